using CimSim.Devices.Config;
using CimSim.Workloads.Models;

namespace CimSim.Mapping;

/// <summary>What a placed static matrix is.</summary>
public enum MatrixRole : byte
{
    /// <summary>A frozen W0 projection.</summary>
    W0,
    LoraA,
    LoraB,
    LmHead,
}

/// <summary>
/// Where one static weight matrix (In x Out = K x N; inputs on rows, outputs on columns) sits.
/// On RRAM: RowBlocks x ColumnBlocks crossbars per copy, times Replication copies, at consecutive array
/// indices from FirstUnit. On SRAM CIM: RowBlocks x ColumnBlocks blocks packed BlocksPerUnit to a macro (blocks
/// sharing a macro run one after another), at consecutive macro indices from FirstUnit. On Digital: weights
/// stream from off-chip memory to the vector unit (no units).
/// </summary>
public sealed record MatrixPlacement
{
    public required MatrixRole Role { get; init; }

    /// <summary>Decoder layer, or -1 for lm_head.</summary>
    public required int Layer { get; init; }

    /// <summary>The projection (W0 or its LoRA branch), null for lm_head.</summary>
    public LinearModule? Module { get; init; }

    public required ComputeTarget Target { get; init; }

    /// <summary>
    /// Resolution of the column ADCs of this matrix's RRAM arrays when a `mapping.adc_bits` glob matches it (null:
    /// rram.adc.bits; always null off RRAM). The cost side prices its conversions, conversion time and ADC area at these
    /// bits, the functional side quantises at them.
    /// </summary>
    public int? AdcBits { get; init; }

    /// <summary>Input features (rows of the stored matrix).</summary>
    public required int K { get; init; }

    /// <summary>Output features (weights per input row).</summary>
    public required int N { get; init; }

    /// <summary>ceil(K / rows per unit).</summary>
    public int RowBlocks { get; init; }

    /// <summary>ceil(N / outputs per unit).</summary>
    public int ColumnBlocks { get; init; }

    /// <summary>Outputs one unit holds side by side (RRAM: usable columns / cells per weight; SRAM: cols / weight bits).</summary>
    public int OutputsPerUnit { get; init; }

    /// <summary>Copies (RRAM only).</summary>
    public int Replication { get; init; } = 1;

    /// <summary>Blocks packed into one unit (SRAM only; 1 on RRAM).</summary>
    public int BlocksPerUnit { get; init; } = 1;

    /// <summary>Arrays (RRAM) or macros (SRAM) this matrix occupies; 0 on Digital.</summary>
    public int Units { get; init; }

    /// <summary>Global index of the first array (RRAM) or macro (SRAM).</summary>
    public int FirstUnit { get; init; }

    /// <summary>Tiles [FirstTile, LastTile] of <see cref="Chip"/> holding this matrix's units (-1 on Digital); unit and tile indices count from 0 on every chip.</summary>
    public int FirstTile { get; init; } = -1;

    public int LastTile { get; init; } = -1;

    /// <summary>The chip holding this matrix (pipeline partition by layers; 0 on a one-chip mapping).</summary>
    public int Chip { get; init; }

    /// <summary>Consecutive chips from <see cref="Chip"/> holding column slices of this matrix (an lm_head, or a decoder layer's matrix, larger than one chip).</summary>
    public int ChipSpan { get; init; } = 1;

    /// <summary>
    /// A decoder-layer matrix split over chips: sum over its column slices s of s x the slice's output features, the
    /// output activations per token times the chip cuts each crosses back to the layer's home chip (0 when not split).
    /// </summary>
    public long SliceOutputCrossings { get; init; }

    /// <summary>
    /// Mean mesh hops between the chip's hub (global buffer and digital unit) and this matrix's tiles, weighted by
    /// units per tile: the distance its input and output activations travel (docs/mapping.md "Topology"); 0 on Digital.
    /// </summary>
    public double Hops { get; init; }

    /// <summary>Hugging Face module name: "model.layers.3.self_attn.q_proj", "...q_proj.lora_A", "lm_head".</summary>
    public string Name => Role switch
    {
        MatrixRole.LmHead => "lm_head",
        MatrixRole.LoraA => Module!.Value.HfPath(Layer) + ".lora_A",
        MatrixRole.LoraB => Module!.Value.HfPath(Layer) + ".lora_B",
        _ => Module!.Value.HfPath(Layer),
    };

    /// <summary>Weights stored (K x N; copies not counted).</summary>
    public long Weights => (long)K * N;

    /// <summary>Physical cells (RRAM) or bit cells (SRAM) holding weights, all copies, reference columns excluded.</summary>
    public long UsedCells { get; init; }

    /// <summary>Physical cells of the units occupied.</summary>
    public long ProvisionedCells { get; init; }

    public double Utilisation => ProvisionedCells == 0 ? 0 : (double)UsedCells / ProvisionedCells;

    public bool IsOnChip => Target != ComputeTarget.Digital;

    public override string ToString() => $"{Role} L{Layer} {Module} {K}x{N} -> {Target} {RowBlocks}x{ColumnBlocks} blocks, {Units} units";
}
