using System.Runtime.Intrinsics;
using CimSim.Common.Random;
using CimSim.Devices.Numerics;
using MathNet.Numerics.Distributions;

namespace CimSim.Tests.Common.Random;

/// <summary>
/// The fast generators of Common/Random: the xoshiro256** value type and the polar method over it give MathNet's draws
/// exactly (the reference stream every chip was drawn from); the vectorised Box-Muller stream is checked against the
/// normal law (moments, Kolmogorov-Smirnov, tails, serial correlation) at alpha = 1e-6 and against its documented contract.
/// </summary>
public class NormalStreamsTests
{
    private const double Alpha = 1e-6;

    [TestCase(0UL, "")]
    [TestCase(1UL, "rram/model.layers.0.mlp.up_proj/rows64/weight-noise")]
    [TestCase(ulong.MaxValue, "a")]
    public void Xoshiro256StarStarSource_SameDrawsAsTheMathNetStream(ulong seed, string purpose)
    {
        var reference = RandomStreams.Create(seed, purpose);
        var fast = Xoshiro256StarStarSource.Create(seed, purpose);
        for (int i = 0; i < 10_000; i++) Assert.That(fast.NextDouble(), Is.EqualTo(reference.NextDouble()), $"draw {i}");
    }

    [Test]
    public void PolarNormal_SameDrawsAsGaussianOnTheMathNetStream()
    {
        var reference = new Gaussian(RandomStreams.Create(42, "p"));
        var fast = new PolarNormal<Xoshiro256StarStarSource>(Xoshiro256StarStarSource.Create(42, "p"));
        for (int i = 0; i < 10_001; i++) Assert.That(fast.Next(), Is.EqualTo(reference.Next()), $"draw {i}");
    }

    [Test]
    public void PolarNormal_FillGivesTheDrawsOfNext_AcrossBlocksAndSpares()
    {
        // Lengths 0 .. 700 (several 128-pair blocks, odd and even) mixed with single draws, so a spare left by either
        // method is taken by the other; the reference is the scalar method on MathNet's stream.
        var reference = new Gaussian(RandomStreams.Create(43, "fill"));
        var fast = new PolarNormal<Xoshiro256StarStarSource>(Xoshiro256StarStarSource.Create(43, "fill"));
        var lengths = new System.Random(5);
        var z = new double[700];
        long drawn = 0;
        for (int call = 0; call < 400; call++)
        {
            if (call % 3 == 2)
            {
                Assert.That(fast.Next(), Is.EqualTo(reference.Next()), $"single draw {drawn}");
                drawn++;
                continue;
            }
            int n = call == 0 ? 0 : lengths.Next(0, z.Length + 1);
            fast.Fill(z.AsSpan(0, n));
            for (int i = 0; i < n; i++, drawn++) Assert.That(z[i], Is.EqualTo(reference.Next()), $"draw {drawn} (call {call}, length {n})");
        }
    }

    private static float[] BoxMullerDraws(int n, ulong seed = 7, string purpose = "bm", int rowLength = 2048)
    {
        var stream = VectorNormalStream.Create(seed, purpose);
        var z = new float[n];
        for (int i = 0; i < n; i += rowLength) stream.Fill(z.AsSpan(i, Math.Min(rowLength, n - i)));
        return z;
    }

    [Test]
    public void BoxMuller_MeanVarianceAndKolmogorovSmirnovAgreeWithTheStandardNormal()
    {
        const int n = 1 << 20;
        var z = BoxMullerDraws(n);
        double mean = z.Average(v => (double)v);
        double var = z.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        double zCrit = Normal.InvCDF(0, 1, 1 - Alpha / 2);
        Assert.That(Math.Abs(mean) * Math.Sqrt(n), Is.LessThan(zCrit), "mean");
        var chi = new ChiSquared(n - 1);
        Assert.That((n - 1) * var, Is.InRange(chi.InverseCumulativeDistribution(Alpha / 2), chi.InverseCumulativeDistribution(1 - Alpha / 2)), "variance");
        // Kolmogorov-Smirnov against the normal CDF: P(sqrt(n) D > x) ~ 2 exp(-2 x^2).
        var sorted = z.Select(v => (double)v).Order().ToArray();
        double d = 0;
        for (int i = 0; i < n; i++)
        {
            double f = Normal.CDF(0, 1, sorted[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / n - f, f - (double)i / n));
        }
        Assert.That(d * Math.Sqrt(n), Is.LessThan(Math.Sqrt(Math.Log(2 / Alpha) / 2)), "KS");
    }

    [TestCase(2.0)]
    [TestCase(3.0)]
    [TestCase(4.0)]
    public void BoxMuller_TailFractionWithinBinomialBounds(double x)
    {
        const int n = 1 << 21;
        var z = BoxMullerDraws(n, 11);
        int beyond = z.Count(v => Math.Abs(v) > x);
        var bin = new Binomial(2 * Normal.CDF(0, 1, -x), n);
        Assert.That(bin.CumulativeDistribution(beyond), Is.GreaterThan(Alpha / 2), $"{beyond} beyond {x}: too few");
        Assert.That(1 - bin.CumulativeDistribution(beyond - 1), Is.GreaterThan(Alpha / 2), $"{beyond} beyond {x}: too many");
    }

    [Test]
    public void BoxMuller_SuccessiveDrawsUncorrelatedAtEveryLagOfOneStep()
    {
        // Lags 1..16 cover a lane's cosine/sine pair (lag 8) and the next step of the same lane (lag 16).
        const int n = 1 << 20;
        var z = BoxMullerDraws(n, 13);
        double zCrit = Normal.InvCDF(0, 1, 1 - Alpha / 2 / 16);
        for (int lag = 1; lag <= 16; lag++)
        {
            double s = 0;
            for (int i = 0; i + lag < n; i++) s += (double)z[i] * z[i + lag];
            double r = s / (n - lag);
            Assert.That(Math.Abs(r) * Math.Sqrt(n - lag), Is.LessThan(zCrit), $"lag {lag}");
        }
    }

    [Test]
    public void BoxMuller_SameStreamSameDraws_OtherPurposeOrSeedDiffers()
    {
        var a = BoxMullerDraws(4096);
        Assert.That(BoxMullerDraws(4096), Is.EqualTo(a));
        Assert.That(BoxMullerDraws(4096, purpose: "other"), Is.Not.EqualTo(a));
        Assert.That(BoxMullerDraws(4096, seed: 8), Is.Not.EqualTo(a));
    }

    [Test]
    public void BoxMuller_FillTakesWholeStepsOf16_AndDropsTheRest()
    {
        var a = VectorNormalStream.Create(3, "steps");
        var b = VectorNormalStream.Create(3, "steps");
        var first20 = new float[20];
        var first32 = new float[32];
        a.Fill(first20);
        b.Fill(first32);
        Assert.That(first20, Is.EqualTo(first32[..20]));
        var nextA = new float[16];
        var nextB = new float[16];
        a.Fill(nextA);
        b.Fill(nextB);
        Assert.That(nextA, Is.EqualTo(nextB), "20 values took two steps, as 32 did");
    }

    [Test]
    public void BoxMuller_NeverBeyondTheDocumentedBound()
    {
        var z = BoxMullerDraws(1 << 20, 17);
        Assert.That(z.Max(v => Math.Abs(v)), Is.LessThanOrEqualTo(Math.Sqrt(2 * Math.Log(1 << 25)) + 1e-5));
        Assert.That(z.All(float.IsFinite));
    }

    [Test]
    public void SinCosTwoPi_MatchesMathWithin5e7_OnEveryQuadrantAndBoundary()
    {
        var t = Enumerable.Range(0, 1 << 16).Select(i => i / (float)(1 << 16)).Concat([0.25f, 0.5f, 0.75f, 1f - 1f / (1 << 24)]).ToArray();
        for (int i = 0; i + 8 <= t.Length; i += 8)
        {
            VectorNormalStream.SinCosTwoPi(Vector256.Create(t, i), out var sin, out var cos);
            for (int j = 0; j < 8; j++)
            {
                double angle = 2 * Math.PI * t[i + j];
                Assert.That(sin[j], Is.EqualTo(Math.Sin(angle)).Within(5e-7), $"sin at t = {t[i + j]}");
                Assert.That(cos[j], Is.EqualTo(Math.Cos(angle)).Within(5e-7), $"cos at t = {t[i + j]}");
            }
        }
    }
}
