using CimSim.Common.Numerics;

namespace CimSim.Tests.Common;

public class BlasTests
{
    private static float[] Fill(int n, int seed)
    {
        var r = new System.Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    [TestCase(false, false, 7)]
    [TestCase(false, true, 7)]
    [TestCase(true, false, 7)]
    [TestCase(true, true, 7)]
    [TestCase(false, false, 1)]
    [TestCase(false, true, 1)]
    public void Gemm_NativeAndManaged_MatchNaiveProduct(bool ta, bool tb, int m)
    {
        const int n = 5, k = 9;
        var a = Fill(m * k, 1); var b = Fill(k * n, 2);
        var expected = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                expected[i * n + j] = (float)s;
            }
        foreach (var managed in new[] { false, true })
        {
            Blas.ForceManaged = managed;
            try
            {
                var c = new float[m * n];
                Blas.Gemm(ta, tb, m, n, k, 1f, a, b, 0f, c);
                Assert.That(c, Is.EqualTo(expected).Within(1e-4f), $"managed={managed}");
            }
            finally { Blas.ForceManaged = false; }
        }
    }

    [Test]
    public void Gemv_MatchesGemm()
    {
        const int m = 6, n = 11;
        var a = Fill(m * n, 3); var x = Fill(n, 4);
        var y1 = new float[m]; var y2 = new float[m];
        Blas.Gemv(false, m, n, 1f, a, x, 0f, y1);
        Blas.Gemm(false, false, m, 1, n, 1f, a, x, 0f, y2);
        Assert.That(y1, Is.EqualTo(y2).Within(1e-5f));
    }

    [Test]
    [NonParallelizable] // the totals are process-wide
    public void TimeLargeGemms_CountsTwoMnkOfLargeCallsOnly_WhileOn()
    {
        if (!Blas.IsNative) Assert.Ignore("no OpenBLAS here: only native calls are timed");
        var a = Fill(256 * 300, 5); var b = Fill(300 * 256, 6); var c = new float[256 * 256];
        Blas.ResetLargeGemmTotals();
        try
        {
            Blas.TimeLargeGemms = true;
            Blas.Gemm(false, true, 256, 256, 300, 1f, a, b, 0f, c);  // 256 x 256 x 300 multiply-adds: large
            Blas.Gemm(false, true, 255, 256, 256, 1f, a, b, 0f, c);  // just under 2^24: not counted
            Blas.TimeLargeGemms = false;
            Blas.Gemm(false, true, 256, 256, 300, 1f, a, b, 0f, c);  // timing off
            var (seconds, flops) = Blas.LargeGemmTotals;
            Assert.That(flops, Is.EqualTo(2.0 * 256 * 256 * 300));
            Assert.That(seconds, Is.GreaterThan(0));
            Blas.ResetLargeGemmTotals();
            Assert.That(Blas.LargeGemmTotals, Is.EqualTo((0.0, 0.0)));
        }
        finally { Blas.TimeLargeGemms = false; }
    }

    [Test]
    [NonParallelizable] // the thread count is process-wide: a region running in another test would hold it at one
    public void SingleThreaded_OneThreadInsideNestedRegions_RestoredAfterAndOnThrow()
    {
        if (Blas.NativeThreads is null) Assert.Ignore("no OpenBLAS here: the region only runs its body");
        int before = Blas.NativeThreads!.Value;
        int inner = 0, nested = 0;
        Blas.SingleThreaded(() =>
        {
            inner = Blas.NativeThreads!.Value;
            Blas.SingleThreaded(() => nested = Blas.NativeThreads!.Value);
            Assert.That(Blas.NativeThreads, Is.EqualTo(1), "still one thread after a nested region ends");
        });
        Assert.That((inner, nested), Is.EqualTo((1, 1)));
        Assert.That(Blas.NativeThreads, Is.EqualTo(before), "restored");
        Assert.Throws<InvalidOperationException>(() => Blas.SingleThreaded(() => throw new InvalidOperationException()));
        Assert.That(Blas.NativeThreads, Is.EqualTo(before), "restored after the body threw");
    }
}
