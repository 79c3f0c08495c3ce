namespace CimSim.Common.Numerics;

/// <summary>
/// Row-wise element work (input quantisation, output scaling, RMSNorm, residual adds) on all cores: rows in blocks of about 64 Ki elements, one
/// block per task, on the caller's thread alone when there is a single block. Each row's values depend on that row only,
/// so the result does not depend on the thread count.
/// </summary>
public static class ParallelRows
{
    private const int ElementsPerBlock = 1 << 16;

    public static void For(int rows, int width, Action<int> row)
    {
        int perBlock = Math.Max(1, ElementsPerBlock / Math.Max(1, width)), blocks = (rows + perBlock - 1) / perBlock;
        if (blocks <= 1)
        {
            for (int t = 0; t < rows; t++) row(t);
            return;
        }
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, b =>
        {
            for (int t = b * perBlock, end = Math.Min(rows, t + perBlock); t < end; t++) row(t);
        });
    }

    /// <summary>Row r of a read-only matrix: its index and its values.</summary>
    public delegate void ReadOnlyRowAction(int row, ReadOnlySpan<float> values);

    /// <summary>
    /// <see cref="For(int, int, Action{int})"/> over the rows of <paramref name="data"/> of <paramref name="width"/>
    /// values each (the last one shorter when the length is not a multiple), each row handed to
    /// <paramref name="row"/> as a span: a lambda cannot hold the caller's span, so it is read through a fixed pointer.
    /// </summary>
    public static unsafe void For(ReadOnlySpan<float> data, int width, ReadOnlyRowAction row)
    {
        long length = data.Length;
        int rows = (int)((length + width - 1) / width);
        fixed (float* p = data)
        {
            nint start = (nint)p;
            For(rows, width, r =>
            {
                long at = (long)r * width;
                row(r, new ReadOnlySpan<float>((float*)start + at, (int)Math.Min(width, length - at)));
            });
        }
    }
}
