using CimSim.Devices.Config;
using CimSim.Workloads.Models;

namespace CimSim.Mapping;

/// <summary>
/// What the buffers must hold for a mapping (docs/mapping.md "Buffers"), in bytes. Tokens stream through the layers
/// one input vector per sequence at a time, double-buffered (one vector in use, the next arriving):
/// <list type="bullet">
/// <item>tile: for every matrix with units on the tile, 2 x batch x (its input rows on the tile x activation bits +
///   its outputs on the tile x partial-sum bits), partial-sum bits = weight bits + input bits + ceil(log2 K) (exact
///   accumulation of K products);</item>
/// <item>global, activations: 2 x batch x (hidden + max(q + k + v widths, 2 x intermediate)) x activation bits / 8
///   (the residual stream plus the widest pair of projection outputs);</item>
/// <item>global, KV share: batch x 2 x kv_dim x kv_bits / 8 bytes per position per layer on the chip.</item>
/// </list>
/// </summary>
public static class BufferNeeds
{
    /// <summary>Bits a matrix places in a tile's buffer for the input rows and outputs it holds there.</summary>
    public static long TileBits(int batch, long inputRows, long outputs, int activationBits, int weightBits, int k)
        => 2L * batch * (inputRows * activationBits + outputs * PartialSumBits(weightBits, activationBits, k));

    /// <summary>weight bits + input bits + ceil(log2 K).</summary>
    public static int PartialSumBits(int weightBits, int inputBits, int k) => weightBits + inputBits + (k <= 1 ? 0 : (int)Math.Ceiling(Math.Log2(k) - 1e-12));

    /// <summary>Activation bytes of one chip's global buffer.</summary>
    public static long ActivationBytes(ModelSpec m, int batch, int activationBits)
    {
        long widest = Math.Max((long)m.NumAttentionHeads * m.HeadDim + 2L * m.KeyValueDim, 2L * m.IntermediateSize);
        return Tiling.CeilDiv(2L * batch * (m.HiddenSize + widest) * activationBits, 8);
    }

    /// <summary>Area of a buffer of <paramref name="bytes"/>, scaled from the configured design point (area_mm2 at capacity_bytes).</summary>
    public static double AreaSquareMillimetres(BufferSpec b, long bytes) => b.AreaSquareMillimetres * bytes / b.CapacityBytes;

    /// <summary>
    /// Distinct row blocks and column blocks among grid cells [a, b) of a RowBlocks x ColumnBlocks grid numbered
    /// column-major (cell u: row block u mod RB, column block u / RB), repeated for copies; a range that wraps a copy
    /// counts the whole grid (upper bound).
    /// </summary>
    public static (long RowBlocks, long ColumnBlocks) Distinct(long a, long b, long rowBlocks, long columnBlocks)
    {
        var grid = rowBlocks * columnBlocks;
        if (b - a >= grid) return (rowBlocks, columnBlocks);
        var s = a % grid;
        var e = s + (b - a);
        if (e > grid) return (rowBlocks, columnBlocks);
        var c0 = s / rowBlocks;
        var c1 = (e - 1) / rowBlocks;
        var rows = c1 - c0 >= 2 ? rowBlocks : c1 == c0 ? e - s : Math.Min(rowBlocks, (rowBlocks - s % rowBlocks) + ((e - 1) % rowBlocks + 1));
        return (rows, c1 - c0 + 1);
    }
}
