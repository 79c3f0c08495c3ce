using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CimSim.Common.Random;

/// <summary>A source of uniform doubles in [0, 1) that the polar method can be inlined over.</summary>
public interface IUniformSource
{
    double NextDouble();
}

/// <summary>
/// xoshiro256** (Blackman and Vigna 2018) as a value type: the same sequence as MathNet.Numerics' Xoshiro256StarStar
/// created by <see cref="RandomStreams.Create"/> for the same (seed, purpose) (state from splitmix64 of the folded seed,
/// doubles from the top 53 bits), without the virtual calls, locks and seed-robust base constructor of a
/// <see cref="System.Random"/> subclass. Tested draw for draw against MathNet's generator.
/// </summary>
public struct Xoshiro256StarStarSource : IUniformSource
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>The stream <see cref="RandomStreams.Create"/> gives for (seed, purpose).</summary>
    public static Xoshiro256StarStarSource Create(ulong seed, string purpose)
    {
        var derived = RandomStreams.DeriveSeed(seed, purpose);
        ulong x = (ulong)(int)(derived ^ (derived >> 32)); // MathNet takes an int seed and sign-extends it
        return new Xoshiro256StarStarSource
        {
            _s0 = SplitMix64(ref x),
            _s1 = SplitMix64(ref x),
            _s2 = SplitMix64(ref x),
            _s3 = SplitMix64(ref x),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9, t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (long)(NextUInt64() >> 11) * (1.0 / (1UL << 53)); // below 2^53: the signed conversion is exact, one instruction

    internal static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>
/// Standard normal draws by Marsaglia's polar method over any uniform source: two normals per accepted pair of
/// uniforms (u, v) in the unit disc, u f first, then v f, with f = sqrt(-2 ln s / s), s = u^2 + v^2.
/// The one implementation of the method (Devices' Gaussian uses it over a System.Random).
/// </summary>
public struct PolarNormal<TSource>(TSource source) where TSource : struct, IUniformSource
{
#pragma warning disable IDE0044 // mutable on purpose: a readonly struct field would be copied on every draw and never advance
    private TSource _source = source;
#pragma warning restore IDE0044
    private double _spare;
    private bool _hasSpare;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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
            u = 2 * _source.NextDouble() - 1;
            v = 2 * _source.NextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

    /// <summary>
    /// Writes the next <paramref name="destination"/>.Length draws: the same values, in the same order, as that many
    /// calls of <see cref="Next"/> (a spare left by either is used by the other). Faster on long spans: a block's accepted
    /// pairs are found first (the rejection test without a branch), then their logarithms, then f for four pairs at once
    /// (division and square root are correctly rounded in every lane, so f is bit for bit the scalar one).
    /// </summary>
    public void Fill(Span<double> destination)
    {
        int n = destination.Length, k = 0;
        if (n == 0) return;
        if (_hasSpare)
        {
            destination[k++] = _spare;
            _hasSpare = false;
        }
        const int Block = 128;
        Span<double> us = stackalloc double[Block], vs = stackalloc double[Block], ss = stackalloc double[Block], logs = stackalloc double[Block];
        var source = _source; // a local copy stays in registers; written back below
        while (k < n)
        {
            int pairs = Math.Min(Block, (n - k + 1) / 2);
            // Each candidate is written at m and kept by advancing m only when it is accepted.
            for (int m = 0; m < pairs;)
            {
                double u = 2 * source.NextDouble() - 1, v = 2 * source.NextDouble() - 1, s = u * u + v * v;
                us[m] = u;
                vs[m] = v;
                ss[m] = s;
                // Accepted when s < 1 (the sign bit of s - 1, exact in sign for s in [0, 2]) and s != 0 (never false in
                // practice: a predictable branch); a data-dependent branch here mispredicts on a fifth of the pairs.
                int accepted = (int)((ulong)BitConverter.DoubleToInt64Bits(s - 1) >> 63);
                m += s != 0 ? accepted : 0;
            }
            // f = sqrt(-2 ln s / s), into ss: the logarithms first (independent calls), then four lanes at a time.
            var fs = ss[..pairs];
            for (int j = 0; j < pairs; j++) logs[j] = Math.Log(fs[j]);
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var minusTwo = Vector256.Create(-2.0);
                for (; i <= pairs - Vector256<double>.Count; i += Vector256<double>.Count)
                {
                    var f = Vector256.Sqrt(minusTwo * Vector256.Create((ReadOnlySpan<double>)logs.Slice(i, Vector256<double>.Count))
                        / Vector256.Create((ReadOnlySpan<double>)fs.Slice(i, Vector256<double>.Count)));
                    f.CopyTo(fs.Slice(i, Vector256<double>.Count));
                }
            }
            for (; i < pairs; i++) fs[i] = Math.Sqrt(-2 * logs[i] / fs[i]);
            int whole = Math.Min(pairs, (n - k) / 2);
            var pairsOut = destination.Slice(k, 2 * whole);
            for (int j = 0; j < whole; j++)
            {
                pairsOut[2 * j] = us[j] * fs[j];
                pairsOut[2 * j + 1] = vs[j] * fs[j];
            }
            k += 2 * whole;
            if (whole < pairs)
            {
                destination[k++] = us[whole] * fs[whole];
                _spare = vs[whole] * fs[whole];
                _hasSpare = true;
            }
        }
        _source = source;
    }
}

/// <summary>
/// Fast standard normal draws in float: the Box-Muller transform on 8 independent xoshiro128** lanes at once
/// (docs/devices.md, "Weight noise draws"). Each step of the 8 lanes gives two words per lane, u1 from the first and
/// u2 from the second (their top 24 bits; u1 = (k + 1/2) 2^-24, so ln u1 is finite); the lane's two normals are
/// r cos(2 pi u2) and r sin(2 pi u2), r = sqrt(-2 ln u1). One step writes 16 normals: the 8 cosines, then the 8 sines.
/// <see cref="Fill"/> of n values takes ceil(n / 16) steps and drops what is left of the last one, so a stream's
/// values depend on the lengths it is filled with. |z| is at most sqrt(2 ln 2^25) = 5.89 (the tail beyond has
/// probability 4e-9). About 8x faster than the polar method on the same machine; same values on every x64 machine
/// with AVX2 (the logarithm is .NET's vectorised one; sine and cosine are polynomials below, add and multiply only).
/// </summary>
public struct VectorNormalStream
{
    private Vector256<uint> _s0, _s1, _s2, _s3;

    /// <summary>Lane states from splitmix64 of the (seed, purpose) stream seed: 32 words, none of the lanes all zero.</summary>
    public static VectorNormalStream Create(ulong seed, string purpose)
    {
        ulong x = RandomStreams.DeriveSeed(seed, purpose);
        Span<uint> words = stackalloc uint[32];
        for (int i = 0; i < 32; i += 2)
        {
            ulong z = Xoshiro256StarStarSource.SplitMix64(ref x);
            words[i] = (uint)z;
            words[i + 1] = (uint)(z >> 32);
        }
        for (int lane = 0; lane < 8; lane++)
            if ((words[lane] | words[8 + lane] | words[16 + lane] | words[24 + lane]) == 0) words[lane] = 1;
        return new VectorNormalStream
        {
            _s0 = Vector256.Create<uint>(words[..8]),
            _s1 = Vector256.Create<uint>(words.Slice(8, 8)),
            _s2 = Vector256.Create<uint>(words.Slice(16, 8)),
            _s3 = Vector256.Create<uint>(words.Slice(24, 8)),
        };
    }

    /// <summary>Writes standard normal draws into <paramref name="destination"/>.</summary>
    public void Fill(Span<float> destination)
    {
        Span<float> last = stackalloc float[16];
        var scale = Vector256.Create(1f / (1 << 24));
        var half = Vector256.Create(0.5f / (1 << 24));
        var minusTwo = Vector256.Create(-2f);
        int n = destination.Length, k = 0;
        for (; k < n; k += 16)
        {
            var r1 = Next();
            var r2 = Next();
            var u1 = Vector256.ConvertToSingle((r1 >> 8).AsInt32()) * scale + half;
            var u2 = Vector256.ConvertToSingle((r2 >> 8).AsInt32()) * scale;
            var radius = Vector256.Sqrt(minusTwo * Vector256.Log(u1));
            SinCosTwoPi(u2, out var sin, out var cos);
            if (k + 16 <= n)
            {
                (radius * cos).CopyTo(destination.Slice(k, 8));
                (radius * sin).CopyTo(destination.Slice(k + 8, 8));
            }
            else
            {
                (radius * cos).CopyTo(last[..8]);
                (radius * sin).CopyTo(last[8..]);
                last[..(n - k)].CopyTo(destination[k..]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<uint> Next()
    {
        // xoshiro128** per lane (Blackman and Vigna 2018).
        var result = RotateLeft(_s1 * 5u, 7) * 9u;
        var t = _s1 << 9;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 11);
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> RotateLeft(Vector256<uint> x, int k) => (x << k) | (x >> (32 - k));

    /// <summary>
    /// sin(2 pi t) and cos(2 pi t) for t in [0, 1): quadrant q = floor(4 t), angle r = (4 t - q) pi/2 in [0, pi/2), Taylor
    /// series to r^11 (sine) and r^12 (cosine), whose truncation error is below 6e-8 there; then rotated by q quarter turns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SinCosTwoPi(Vector256<float> t, out Vector256<float> sin, out Vector256<float> cos)
    {
        var x4 = t * 4f;
        var q = Vector256.Floor(x4);
        var r = (x4 - q) * (MathF.PI / 2);
        var quadrant = Vector256.ConvertToInt32(q);
        var r2 = r * r;
        var s = r * (r2 * (r2 * (r2 * (r2 * (r2 * C(-1f / 39916800f) + C(1f / 362880f)) - C(1f / 5040f)) + C(1f / 120f)) - C(1f / 6f)) + C(1f));
        var c = r2 * (r2 * (r2 * (r2 * (r2 * (r2 * C(1f / 479001600f) - C(1f / 3628800f)) + C(1f / 40320f)) - C(1f / 720f)) + C(1f / 24f)) - C(0.5f)) + C(1f);
        // (sin, cos) of q pi/2 + r: q 0: (s, c); 1: (c, -s); 2: (-s, -c); 3: (-c, s).
        var one = Vector256.Create(1);
        var two = Vector256.Create(2);
        var odd = Vector256.Equals(quadrant & one, one).AsSingle();
        var negateSin = Vector256.Equals(quadrant & two, two).AsSingle();
        var negateCos = Vector256.Equals((quadrant + one) & two, two).AsSingle();
        var signBit = Vector256.Create(-0f);
        sin = Vector256.ConditionalSelect(odd, c, s) ^ (negateSin & signBit);
        cos = Vector256.ConditionalSelect(odd, s, c) ^ (negateCos & signBit);
    }

    private static Vector256<float> C(float value) => Vector256.Create(value);
}
