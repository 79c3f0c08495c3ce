using CimSim.Devices.Config;

namespace CimSim.Mapping;

/// <summary>
/// The ceil-based closed forms of tiling a K x N matrix (inputs on rows) onto fixed-size units; one place for the
/// arithmetic, so that tests can check the mapper against it.
/// </summary>
public static class Tiling
{
    /// <summary>RRAM columns reserved per array for the signed encoding: 1 reference column for offset encoding, 0 for differential.</summary>
    public static int ReferenceColumns(RramArraySpec a) => a.ReferenceColumns;

    /// <summary>
    /// Outputs one crossbar holds: floor((cols - reference columns) / cells per weight), where cells per weight =
    /// ceil(weight_bits / bits_per_cell) slices, doubled for a differential pair. 0 when one weight does not fit.
    /// </summary>
    public static int RramOutputsPerArray(RramArraySpec a) => (a.Cols - ReferenceColumns(a)) / a.CellsPerWeight;

    /// <summary>Crossbars for a K x N matrix: ceil(K / rows) x ceil(N / outputs per array) x replication.</summary>
    public static long RramArrays(RramArraySpec a, long k, long n)
    {
        var outs = RramOutputsPerArray(a);
        if (outs == 0) throw new ArgumentException("one weight needs more columns than the array has", nameof(a));
        return CeilDiv(k, a.Rows) * CeilDiv(n, outs) * a.Replication;
    }

    /// <summary>Weights one SRAM macro row holds: floor(cols / weight_bits).</summary>
    public static int SramOutputsPerMacro(SramCimSpec s) => s.Cols / s.WeightBits;

    /// <summary>
    /// Blocks of a K x N matrix that share one macro when packing: floor(rows / block rows) x floor(weights per
    /// row / block cols), with block = min(K, rows) x min(N, weights per row); 1 without packing.
    /// </summary>
    public static long SramBlocksPerMacro(SramCimSpec s, long k, long n, bool pack)
    {
        if (!pack) return 1;
        var wpr = SramOutputsPerMacro(s);
        var br = Math.Min(k, s.Rows);
        var bc = Math.Min(n, wpr);
        return (s.Rows / br) * (wpr / bc);
    }

    /// <summary>Macros for a K x N matrix: ceil(ceil(K / rows) x ceil(N / weights per row) / blocks per macro).</summary>
    public static long SramMacros(SramCimSpec s, long k, long n, bool pack)
    {
        var wpr = SramOutputsPerMacro(s);
        if (wpr == 0) throw new ArgumentException("one weight needs more columns than the macro has", nameof(s));
        var blocks = CeilDiv(k, s.Rows) * CeilDiv(n, wpr);
        return CeilDiv(blocks, SramBlocksPerMacro(s, k, n, pack));
    }

    public static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
