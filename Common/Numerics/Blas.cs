using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace CimSim.Common.Numerics;

/// <summary>
/// Single-precision GEMM/GEMV on row-major spans. Calls OpenBLAS's cblas_sgemm through P/Invoke when the
/// library is present (Debian: libopenblas0, ~180 GFLOP/s on 2 cores) and falls back to a managed kernel on
/// System.Numerics.Tensors otherwise. Lengths are validated once here, never inside loops.
/// </summary>
public static unsafe class Blas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm;
    private static readonly delegate* unmanaged<int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemv;
    private static readonly delegate* unmanaged<int, void> SetThreads;
    private static readonly delegate* unmanaged<int> GetThreads;
    private static readonly Lock ThreadsLock = new();
    private static int _singleThreadedRegions, _threadsBefore;

    /// <summary>Name of the native library in use, or null when the managed fallback runs.</summary>
    public static string? NativeLibraryName { get; }

    /// <summary>Set to true to force the managed kernel (tests compare both).</summary>
    public static bool ForceManaged { get; set; }

    public static bool IsNative => Sgemm != null && !ForceManaged;

    /// <summary>OpenBLAS's thread count now, or null without OpenBLAS.</summary>
    public static int? NativeThreads => GetThreads != null ? GetThreads() : null;

    /// <summary>Multiply-adds from which a GEMM counts as large for <see cref="TimeLargeGemms"/>: 2^24, a 256^3 product
    /// (every projection and lm_head of a prefill; not the per-head attention products or the bit-accurate tiles).</summary>
    public const long LargeGemmMultiplyAdds = 1L << 24;

    private static long _largeGemmTicks, _largeGemmFlops;

    /// <summary>
    /// When set, every native GEMM of at least <see cref="LargeGemmMultiplyAdds"/> adds its wall time and its 2 m n k FLOPs
    /// to <see cref="LargeGemmTotals"/> (`cimsim bench accuracy --full` reports how much of a run its large GEMMs take
    /// and at what rate). Off by default; on, it costs two timestamps per large call.
    /// </summary>
    public static bool TimeLargeGemms { get; set; }

    /// <summary>Wall seconds and FLOPs of the large GEMMs timed since the last <see cref="ResetLargeGemmTotals"/>.</summary>
    public static (double Seconds, double Flops) LargeGemmTotals =>
        (Interlocked.Read(ref _largeGemmTicks) / (double)System.Diagnostics.Stopwatch.Frequency, Interlocked.Read(ref _largeGemmFlops));

    public static void ResetLargeGemmTotals()
    {
        Interlocked.Exchange(ref _largeGemmTicks, 0);
        Interlocked.Exchange(ref _largeGemmFlops, 0);
    }

    static Blas()
    {
        foreach (var name in new[] { "libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libcblas.so.3" })
        {
            if (NativeLibrary.TryLoad(name, out var handle)
                && NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var gemm)
                && NativeLibrary.TryGetExport(handle, "cblas_sgemv", out var gemv))
            {
                Sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)gemm;
                Sgemv = (delegate* unmanaged<int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)gemv;
                NativeLibraryName = name;
                if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var set)
                    && NativeLibrary.TryGetExport(handle, "openblas_get_num_threads", out var get))
                {
                    SetThreads = (delegate* unmanaged<int, void>)set;
                    GetThreads = (delegate* unmanaged<int>)get;
                }
                return;
            }
        }
    }

    /// <summary>
    /// C[m x n] = alpha * op(A) * op(B) + beta * C, all row-major. op(A) is m x k, op(B) is k x n.
    /// With transB, B is stored n x k (the Hugging Face [out, in] weight layout), so Y = X W^T is
    /// Gemm(false, true, tokens, out, in, 1, X, W, 0, Y).
    /// </summary>
    public static void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), "negative GEMM dimension");
        if (a.Length < (long)m * k) throw new ArgumentException($"A holds {a.Length} floats, needs {(long)m * k}", nameof(a));
        if (b.Length < (long)k * n) throw new ArgumentException($"B holds {b.Length} floats, needs {(long)k * n}", nameof(b));
        if (c.Length < (long)m * n) throw new ArgumentException($"C holds {c.Length} floats, needs {(long)m * n}", nameof(c));
        if (m == 0 || n == 0) return;
        if (m == 1 && !transA)
        {
            // One row (a decode step): a matrix-vector product, which BLAS runs at memory bandwidth where
            // sgemm's packing would waste most of the time. y = op(B)^T a, with B stored n x k (transB) or k x n.
            if (transB) Gemv(false, n, k, alpha, b, a, beta, c);
            else Gemv(true, k, n, alpha, b, a, beta, c);
            return;
        }
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (IsNative)
        {
            bool timed = TimeLargeGemms && (long)m * n * k >= LargeGemmMultiplyAdds;
            long start = timed ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
                Sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, pa, Math.Max(1, lda), pb, Math.Max(1, ldb), beta, pc, Math.Max(1, n));
            if (timed)
            {
                Interlocked.Add(ref _largeGemmTicks, System.Diagnostics.Stopwatch.GetTimestamp() - start);
                Interlocked.Add(ref _largeGemmFlops, 2L * m * n * k);
            }
            return;
        }
        ManagedGemm(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    /// <summary>
    /// Runs <paramref name="body"/> with every BLAS call on its caller's thread alone (OpenBLAS set to one thread, then
    /// restored): for callers that spread many small independent GEMMs over the cores themselves, where BLAS's own
    /// threads would only wait on them. A product's values can differ in the last bits from the same product split
    /// over BLAS threads (the kernels at the edges of each thread's part round differently), so a caller that cuts its
    /// products into fixed tiles here gets values that do not depend on the core count. Regions may nest and overlap
    /// across threads (one setting, restored when the last ends); a GEMM that another thread runs meanwhile also runs
    /// on one thread. Without OpenBLAS it just runs the body.
    /// </summary>
    public static void SingleThreaded(Action body)
    {
        if (SetThreads == null || GetThreads == null)
        {
            body();
            return;
        }
        lock (ThreadsLock)
            if (_singleThreadedRegions++ == 0)
            {
                _threadsBefore = GetThreads();
                SetThreads(1);
            }
        try { body(); }
        finally
        {
            lock (ThreadsLock)
                if (--_singleThreadedRegions == 0) SetThreads(_threadsBefore);
        }
    }

    /// <summary>y[m] = alpha * A[m x n] x + beta * y (row-major A), or with transA y[n] = alpha * A^T x + beta * y.</summary>
    public static void Gemv(bool transA, int m, int n, float alpha, ReadOnlySpan<float> a, ReadOnlySpan<float> x, float beta, Span<float> y)
    {
        int xl = transA ? m : n, yl = transA ? n : m;
        if (a.Length < (long)m * n) throw new ArgumentException($"A holds {a.Length} floats, needs {(long)m * n}", nameof(a));
        if (x.Length < xl) throw new ArgumentException($"x holds {x.Length} floats, needs {xl}", nameof(x));
        if (y.Length < yl) throw new ArgumentException($"y holds {y.Length} floats, needs {yl}", nameof(y));
        if (m == 0 || n == 0) return;
        if (IsNative)
        {
            fixed (float* pa = a) fixed (float* px = x) fixed (float* py = y)
                Sgemv(RowMajor, transA ? Trans : NoTrans, m, n, alpha, pa, Math.Max(1, n), px, 1, beta, py, 1);
            return;
        }
        if (!transA)
        {
            for (int i = 0; i < m; i++)
                y[i] = alpha * TensorPrimitives.Dot(a.Slice(i * n, n), x[..n]) + (beta == 0 ? 0 : beta * y[i]);
        }
        else
        {
            var yy = y[..n];
            if (beta == 0) yy.Clear(); else TensorPrimitives.Multiply(yy, beta, yy);
            for (int i = 0; i < m; i++)
                TensorPrimitives.MultiplyAdd(a.Slice(i * n, n), alpha * x[i], yy, yy);
        }
    }

    private static void ManagedGemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c)
    {
        // Materialise op(B) as k x n row-major once, then accumulate rows: C[i,:] += alpha*A[i,p]*B[p,:].
        float[]? bt = null;
        ReadOnlySpan<float> bk = b;
        if (transB)
        {
            bt = new float[(long)k * n];
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    bt[p * n + j] = b[j * k + p];
            bk = bt;
        }
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * n, n);
            if (beta == 0) row.Clear(); else if (beta != 1) TensorPrimitives.Multiply(row, beta, row);
            for (int p = 0; p < k; p++)
            {
                float av = transA ? a[p * m + i] : a[i * k + p];
                if (av == 0) continue;
                TensorPrimitives.MultiplyAdd(bk.Slice(p * n, n), alpha * av, row, row);
            }
        }
    }
}
