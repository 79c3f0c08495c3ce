namespace CimSim.Devices.Numerics;

/// <summary>
/// Standard normal draws from a seeded <see cref="System.Random"/> (Marsaglia's polar method: two normals per
/// accepted pair of uniforms). Used instead of a per-draw MathNet distribution object in the hot loops.
/// </summary>
public sealed class Gaussian(System.Random rng)
{
    private double _spare;
    private bool _hasSpare;

    public System.Random Random { get; } = rng;

    public double Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u, v, s;
        do
        {
            u = 2 * Random.NextDouble() - 1;
            v = 2 * Random.NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

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
}
