using CimSim.Devices.Config;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Mapping;

/// <summary>Area of one component class, square millimetres.</summary>
public sealed record AreaEntry(string Component, long Count, double SquareMillimetres);

/// <summary>Where the KV cache lives and how much of it spills off chip.</summary>
public sealed record KvCachePlacement
{
    public required StorageTarget Target { get; init; }

    /// <summary>Bytes one token adds to one layer's cache for the whole batch: batch x 2 x kv_dim x kv_bits / 8.</summary>
    public required long BytesPerTokenPerLayer { get; init; }

    /// <summary>
    /// Whole cache at the longest KV length L = P + G - 1, all layers: bytes per token x sum over layers of the positions
    /// each holds, L, or min(L, W) on a sliding-window layer (<see cref="MapContext.KvPositions"/>).
    /// </summary>
    public required long TotalBytes { get; init; }

    /// <summary>Bytes of the on-chip buffer given to the KV cache.</summary>
    public required long BufferBytesAvailable { get; init; }

    /// <summary>KV positions per layer held on chip; positions at or beyond this index live in off-chip DRAM.</summary>
    public required int OnChipTokens { get; init; }

    public required int MaxKvLength { get; init; }

    /// <summary>Bytes held on chip: bytes per token x sum over layers of min(on-chip positions, the layer's positions).</summary>
    public required long OnChipBytes { get; init; }

    public long SpilledBytes => TotalBytes - OnChipBytes;

    public required int Layers { get; init; }

    public bool Spills => SpilledBytes > 0;
}

/// <summary>Work per unit class over the whole workload (walk of the operator graph).</summary>
public sealed record MappedWork
{
    public long RramMacs { get; init; }

    public long SramMacs { get; init; }

    /// <summary>MACs of QK^T and PV.</summary>
    public long AttentionMacs { get; init; }

    /// <summary>MACs of static matrices on the digital unit (W0 or lm_head with target digital).</summary>
    public long DigitalMacs { get; init; }

    /// <summary>FLOPs of vector operators (norms, RoPE, softmax, SiLU, products, adds, LoRA merges) on the digital unit.</summary>
    public long DigitalVectorFlops { get; init; }

    /// <summary>Bytes read from off-chip DRAM: embedding rows, streamed digital weights, KV entries beyond the on-chip part.</summary>
    public long DramBytesRead { get; init; }

    /// <summary>Bytes written to off-chip DRAM: KV entries beyond the on-chip part.</summary>
    public long DramBytesWritten { get; init; }

    public long TotalMacs => RramMacs + SramMacs + AttentionMacs + DigitalMacs;

    /// <summary>Activation bits carried by the on-chip mesh between the hub and matrix / attention tiles (inputs and outputs).</summary>
    public long NocBits { get; init; }

    /// <summary>Those bits times the hops each travels (placement-derived; docs/mapping.md "Topology").</summary>
    public double NocBitHops { get; init; }

    /// <summary>Mean hops per mesh bit (0 when nothing crosses the mesh).</summary>
    public double AverageHops => NocBits == 0 ? 0 : NocBitHops / NocBits;
}

/// <summary>One chip of a (possibly multi-chip) mapping: its layers, units, tiles, mesh, buffers and area.</summary>
public sealed record ChipPlacement
{
    public required int Index { get; init; }

    /// <summary>First and last decoder layer on the chip (-1 when it holds only lm_head).</summary>
    public required int FirstLayer { get; init; }

    public required int LastLayer { get; init; }

    /// <summary>Decoder layers the chip is home to (0 on a later column slice of a split layer).</summary>
    public int Layers => FirstLayer < 0 || LayerSlice > 0 ? 0 : LastLayer - FirstLayer + 1;

    /// <summary>Column slice of layer <see cref="FirstLayer"/> this chip holds when that layer is split over <see cref="LayerSlices"/> chips (slice 0 is its home).</summary>
    public int LayerSlice { get; init; }

    public int LayerSlices { get; init; } = 1;

    public required bool HoldsLmHead { get; init; }

    public required long RramArrays { get; init; }

    public required long SramWeightMacros { get; init; }

    public required long SramAttentionMacros { get; init; }

    public long SramMacros => SramWeightMacros + SramAttentionMacros;

    public required long Tiles { get; init; }

    public required MeshTopology Mesh { get; init; }

    /// <summary>Mean hops between the hub and the attention pool's macros.</summary>
    public required double AttentionHops { get; init; }

    /// <summary>Global buffer capacity (configured, or sized from this chip's need).</summary>
    public required long GlobalBufferBytes { get; init; }

    /// <summary>Global buffer bytes left for the KV cache of this chip's layers.</summary>
    public required long KvBufferBytes { get; init; }

    public required IReadOnlyList<AreaEntry> Area { get; init; }

    public double AreaSquareMillimetres => Area.Sum(a => a.SquareMillimetres);
}

/// <summary>The link from chip <see cref="From"/> to the next: activation bits per token times tokens crossing the cut.</summary>
public sealed record ChipLink(int From, int To, long BitsPerToken, long Tokens)
{
    /// <summary>Bits crossing the cut over the whole workload.</summary>
    public long Bits => BitsPerToken * Tokens;
}

/// <summary>
/// The outcome of <see cref="Mapper.Map"/>: every static matrix's placement (cheap per-layer, per-module
/// lookups), unit counts, utilisation, area per component class, parameters per memory, the KV-cache placement,
/// and every reason the design does not fit a configured budget (<see cref="Fits"/> false; never an exception).
/// </summary>
public sealed class MappingResult
{
    private readonly MatrixPlacement?[] _w0; // indexed layer x LinearModules.Count + module; null for modules the model does not have
    private readonly MatrixPlacement?[] _loraA;
    private readonly MatrixPlacement?[] _loraB;

    internal MappingResult(
        HardwareSpec hardware, ModelSpec model, LoraSpec? lora, WorkloadSpec workload,
        MatrixPlacement?[] w0, MatrixPlacement?[] loraA, MatrixPlacement?[] loraB, MatrixPlacement lmHead)
    {
        Hardware = hardware;
        Model = model;
        Lora = lora;
        Workload = workload;
        _w0 = w0;
        _loraA = loraA;
        _loraB = loraB;
        LmHead = lmHead;
    }

    public HardwareSpec Hardware { get; }

    public ModelSpec Model { get; }

    public LoraSpec? Lora { get; }

    public WorkloadSpec Workload { get; }

    /// <summary>The W0 projection <paramref name="m"/> of <paramref name="layer"/> (array lookup).</summary>
    public MatrixPlacement Placement(int layer, LinearModule m) => _w0[layer * LinearModules.Count + (int)m]
        ?? throw new ArgumentException($"{m.HfName()} is not a projection of {Model.Name} (its projections: {string.Join(", ", Model.Projections.Select(p => p.HfName()))})", nameof(m));

    /// <summary>LoRA A of (layer, m), or null when not adapted.</summary>
    public MatrixPlacement? LoraA(int layer, LinearModule m) => _loraA[layer * LinearModules.Count + (int)m];

    /// <summary>LoRA B of (layer, m), or null when not adapted.</summary>
    public MatrixPlacement? LoraB(int layer, LinearModule m) => _loraB[layer * LinearModules.Count + (int)m];

    public MatrixPlacement LmHead { get; }

    /// <summary>Placement of the static matrix an operator multiplies by (W0, LoRA A/B, lm_head), else null.</summary>
    public MatrixPlacement? PlacementOf(in Operator op) => op.Kind switch
    {
        OperatorKind.Projection => Placement(op.Layer, op.Module!.Value),
        OperatorKind.LoraA => LoraA(op.Layer, op.Module!.Value),
        OperatorKind.LoraB => LoraB(op.Layer, op.Module!.Value),
        OperatorKind.LmHead => LmHead,
        _ => null,
    };

    /// <summary>
    /// The placement of the static matrix with Hugging Face module name <paramref name="name"/>
    /// ("model.layers.3.self_attn.q_proj", "model.layers.3.mlp.down_proj.lora_A", "lm_head"; a trailing ".weight" is
    /// ignored), or null when the model has no such matrix (or it has no LoRA branch). The functional path asks this.
    /// </summary>
    public MatrixPlacement? PlacementOf(string name)
    {
        _byName ??= AllPlacements.ToDictionary(p => p.Name, StringComparer.Ordinal);
        if (name.EndsWith(".weight", StringComparison.Ordinal)) name = name[..^7];
        return _byName.TryGetValue(name, out var p) ? p : null;
    }

    /// <summary>Where the matrix named <paramref name="name"/> runs (rram, sram or digital); throws for a name the model lacks.</summary>
    public ComputeTarget TargetOf(string name)
        => PlacementOf(name)?.Target ?? throw new ArgumentException($"'{name}' is not a static matrix of {Model.Name} (expected e.g. model.layers.0.self_attn.q_proj or lm_head)", nameof(name));

    private Dictionary<string, MatrixPlacement>? _byName;

    /// <summary>The chip holding decoder layer <paramref name="layer"/> (lm_head's chip for -1).</summary>
    public int ChipOfLayer(int layer)
    {
        if (layer < 0) return LmHead.Chip;
        if (_chipOfLayer is null)
        {
            var map = new int[Model.NumLayers];
            foreach (var c in ChipList.Where(c => c.LayerSlice == 0)) // a split layer's home is its slice 0
                for (var l = Math.Max(0, c.FirstLayer); l <= c.LastLayer; l++) map[l] = c.Index;
            _chipOfLayer = map;
        }
        return (uint)layer < (uint)_chipOfLayer.Length ? _chipOfLayer[layer]
            : throw new ArgumentOutOfRangeException(nameof(layer), layer, $"the model has {Model.NumLayers} layers");
    }

    private int[]? _chipOfLayer;

    /// <summary>Every static-matrix placement: W0 by layer and module, then LoRA A/B, then lm_head.</summary>
    public IEnumerable<MatrixPlacement> AllPlacements
        => _w0.OfType<MatrixPlacement>().Concat(_loraA.OfType<MatrixPlacement>()).Concat(_loraB.OfType<MatrixPlacement>()).Append(LmHead);

    /// <summary>RRAM crossbars holding weights (replicas included).</summary>
    public long RramArrays { get; init; }

    /// <summary>SRAM CIM macros holding static weights (LoRA A/B, and W0 or lm_head when mapped to SRAM).</summary>
    public long SramWeightMacros { get; init; }

    /// <summary>SRAM CIM macros for QK^T and PV (0 when attention runs on the digital unit).</summary>
    public long SramAttentionMacros { get; init; }

    public long SramMacros => SramWeightMacros + SramAttentionMacros;

    /// <summary>Tiles over all chips.</summary>
    public long Tiles { get; init; }

    public long Chips { get; init; }

    /// <summary>Every chip (one for a model within one chip's budgets).</summary>
    public required IReadOnlyList<ChipPlacement> ChipList { get; init; }

    /// <summary>Chip-to-chip links of the pipeline (empty on one chip).</summary>
    public required IReadOnlyList<ChipLink> ChipLinks { get; init; }

    /// <summary>Bits crossing all chip cuts over the workload.</summary>
    public long ChipLinkBits => ChipLinks.Sum(l => l.Bits);

    /// <summary>Tile buffer capacity per tile (configured, or the largest need when tile_buffer.sizing is auto).</summary>
    public long TileBufferBytes { get; init; }

    /// <summary>The largest staging need of any tile (docs/mapping.md "Buffers").</summary>
    public long TileBufferBytesNeeded { get; init; }

    /// <summary>Weight cells / provisioned cells of the occupied crossbars (reference columns count as unused).</summary>
    public double RramUtilisation { get; init; }

    /// <summary>Weight bit cells / bit cells of the SRAM weight macros.</summary>
    public double SramUtilisation { get; init; }

    public required IReadOnlyList<AreaEntry> Area { get; init; }

    public double AreaSquareMillimetres => Area.Sum(a => a.SquareMillimetres);

    /// <summary>Model parameters plus LoRA parameters.</summary>
    public long ParamsTotal { get; init; }

    /// <summary>Weights stored in RRAM (a tied lm_head on RRAM stores a second copy of the embedding matrix).</summary>
    public long ParamsRram { get; init; }

    /// <summary>Weights stored in SRAM CIM macros.</summary>
    public long ParamsSram { get; init; }

    /// <summary>Parameters kept elsewhere: embedding table, norm weights, biases, digital-target weights.</summary>
    public long ParamsOther { get; init; }

    public required KvCachePlacement KvCache { get; init; }

    public DynamicMatmulTarget Attention { get; init; }

    public StorageTarget Embedding { get; init; }

    public long EmbeddingBytes { get; init; }

    public MappedWork Work { get; internal set; } = new();

    /// <summary>Every reason the mapping exceeds a configured budget (empty when it fits).</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    public bool Fits => Problems.Count == 0;

    /// <summary>Things worth saying that do not stop the design (e.g. a placement glob that places nothing).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
