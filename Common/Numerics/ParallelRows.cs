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
}
