using CimSim.Common.Random;

namespace CimSim.Devices.Numerics;

/// <summary>
/// Standard normal draws from a seeded <see cref="System.Random"/> (Marsaglia's polar method, <see cref="PolarNormal{TSource}"/>:
/// two normals per accepted pair of uniforms). Used instead of a per-draw MathNet distribution object in the hot loops.
/// </summary>
public sealed class Gaussian(System.Random rng)
{
    private PolarNormal<SystemRandomSource> _polar = new(new SystemRandomSource(rng));

    public System.Random Random { get; } = rng;

    public double Next() => _polar.Next();

    /// <summary>dst[i] += sigma[i] * z_i (sigma given per element).</summary>
    public void AddScaled(Span<float> dst, ReadOnlySpan<float> sigma)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] += (float)(sigma[i] * Next());
    }

    /// <summary>dst[i] += sigma * z_i.</summary>
    public void AddScaled(Span<float> dst, double sigma)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] += (float)(sigma * Next());
    }

    private readonly struct SystemRandomSource(System.Random random) : IUniformSource
    {
        public double NextDouble() => random.NextDouble();
    }
}
