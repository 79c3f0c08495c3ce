using CimSim.Devices.Config;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Mapping;

/// <summary>Knobs of the mapper that are not hardware (the hardware is the <see cref="HardwareSpec"/>).</summary>
public sealed record MapperOptions
{
    /// <summary>
    /// Pack several small blocks of one matrix into one SRAM macro at disjoint rows/columns (run one after
    /// another). LoRA blocks are tiny (r = 4 rows of B), so without packing most of each macro is empty.
    /// </summary>
    public bool PackSramBlocks { get; init; } = true;

    /// <summary>Storage precision of graph tensors (KV cache bytes come from its KvBits).</summary>
    public GraphPrecision Precision { get; init; } = GraphPrecision.W8A8;

    /// <summary>Layers whose K and V are resident in attention macros at once (the pool is reloaded from the KV store per layer).</summary>
    public int AttentionLayersResident { get; init; } = 1;

    /// <summary>Walk the operator graph to total the work per unit class (<see cref="MappingResult.Work"/>).</summary>
    public bool ComputeWork { get; init; } = true;
}

/// <summary>
/// Places a model on one or more hybrid chips: W0 -> RRAM crossbars (or SRAM / digital per `mapping.w0` and the
/// per-module `mapping.placement` globs), LoRA A and B -> SRAM CIM macros (per `mapping.lora`), lm_head per
/// `mapping.placement` / `mapping.lm_head`, QK^T and PV -> SRAM CIM macros or the digital unit, the KV cache -> the
/// global buffers spilling to DRAM, the embedding table -> buffer or DRAM. Layers are partitioned across chips
/// (pipeline) when one chip's tile or area budget is exceeded; units are assigned in layer order (q, k, v, o, gate,
/// up, down), densely packed into the tiles of a 2-D mesh. Equations: docs/mapping.md.
/// </summary>
public static class Mapper
{
    public static MappingResult Map(HardwareSpec hw, ModelSpec model, LoraSpec? lora, WorkloadSpec workload, MapperOptions? options = null)
    {
        options ??= new MapperOptions();
        var problems = new List<string>();
        var warnings = new List<string>();
        var ctx = new MapContext(hw, model, lora, workload, options, problems);
        CheckUnits(ctx);
        var (w0, loraA, loraB, lmHead) = PlaceMatrices(ctx, warnings);
        var layout = ChipLayout.Build(ctx, w0, loraA, loraB, lmHead);
        var kv = SizeKvCache(ctx, layout);
        var digitalWeightBytes = w0.OfType<MatrixPlacement>().Concat(loraA.OfType<MatrixPlacement>()).Concat(loraB.OfType<MatrixPlacement>()).Append(lmHead)
            .Where(p => p.Target == ComputeTarget.Digital).Sum(p => p.Weights * options.Precision.WeightBits / 8);
        CheckBudgets(ctx, layout, kv, digitalWeightBytes);

        var placed = layout.Placements;
        var rram = placed.Where(p => p.Target == ComputeTarget.Rram).ToList();
        var sram = placed.Where(p => p.Target == ComputeTarget.Sram).ToList();
        var paramsTotal = model.ParameterCount + (lora?.ParameterCount(model) ?? 0);
        var paramsRram = rram.Sum(p => p.Weights);
        var paramsSram = sram.Sum(p => p.Weights);
        var tiedCopy = model.TieWordEmbeddings && layout.LmHead.IsOnChip ? layout.LmHead.Weights : 0;
        var result = new MappingResult(hw, model, lora, workload, layout.W0, layout.LoraA, layout.LoraB, layout.LmHead)
        {
            RramArrays = layout.Chips.Sum(c => c.RramArrays),
            SramWeightMacros = layout.Chips.Sum(c => c.SramWeightMacros),
            SramAttentionMacros = layout.Chips.Sum(c => c.SramAttentionMacros),
            Tiles = layout.Chips.Sum(c => c.Tiles),
            Chips = layout.Chips.Count,
            ChipList = layout.Chips,
            ChipLinks = layout.Links,
            TileBufferBytes = layout.TileBufferBytes,
            TileBufferBytesNeeded = layout.TileBufferBytesNeeded,
            RramUtilisation = Ratio(rram.Sum(p => p.UsedCells), rram.Sum(p => p.ProvisionedCells)),
            SramUtilisation = Ratio(sram.Sum(p => p.UsedCells), sram.Sum(p => p.ProvisionedCells)),
            Area = layout.Chips.SelectMany(c => c.Area).GroupBy(a => a.Component)
                .Select(g => new AreaEntry(g.Key, g.Sum(a => a.Count), g.Sum(a => a.SquareMillimetres))).ToList(),
            ParamsTotal = paramsTotal,
            ParamsRram = paramsRram,
            ParamsSram = paramsSram,
            ParamsOther = paramsTotal - paramsRram - paramsSram + tiedCopy,
            KvCache = kv,
            Attention = hw.Mapping.Attention,
            Embedding = hw.Mapping.Embedding,
            EmbeddingBytes = ctx.EmbeddingBytes,
            Problems = problems,
            Warnings = warnings,
        };
        if (!options.ComputeWork) return result;
        result.Work = WalkWork(new OperatorGraph(model, lora, workload, options.Precision), result);
        return result;
    }

    private static double Ratio(long used, long provisioned) => provisioned == 0 ? 0 : (double)used / provisioned;

    /// <summary>Validation: can one weight be stored in an RRAM array and in an SRAM macro at all?</summary>
    private static void CheckUnits(MapContext ctx)
    {
        var arr = ctx.Hw.Rram.Array;
        var sram = ctx.Hw.SramCim;
        if (!ctx.RramOk)
            ctx.Problems.Add($"rram.array: one {arr.WeightBits}-bit weight needs {arr.CellsPerWeight} columns ({arr.Encoding} encoding, {arr.BitsPerCell} bits per cell) plus {Tiling.ReferenceColumns(arr)} reference column(s), but an array has {arr.Cols}");
        if (!ctx.SramOk)
            ctx.Problems.Add($"sram_cim: a macro row of {sram.Cols} bit columns cannot hold one {sram.WeightBits}-bit weight");
    }

    /// <summary>
    /// Placement: each static matrix's target (first matching `mapping.placement` glob, else mapping.w0 / lm_head /
    /// lora) and its unit count on that target; where the units sit is <see cref="ChipLayout"/>'s job.
    /// Globs that match no frozen matrix of this model become warnings.
    /// </summary>
    private static (MatrixPlacement?[] W0, MatrixPlacement?[] LoraA, MatrixPlacement?[] LoraB, MatrixPlacement LmHead) PlaceMatrices(MapContext ctx, List<string> warnings)
    {
        var (model, lora, policy) = (ctx.Model, ctx.Lora, ctx.Hw.Mapping);
        var rules = policy.Placement;
        var matched = new bool[rules.Rules.Count];
        ComputeTarget Resolve(string name, ComputeTarget fallback)
        {
            for (var i = 0; i < rules.Rules.Count; i++)
            {
                if (!rules.Rules[i].Matches(name)) continue;
                matched[i] = true;
                return rules.Rules[i].Target;
            }
            return fallback;
        }
        var count = model.NumLayers * LinearModules.Count;
        var w0 = new MatrixPlacement?[count];
        var loraA = new MatrixPlacement?[count];
        var loraB = new MatrixPlacement?[count];
        for (var l = 0; l < model.NumLayers; l++)
        {
            foreach (var m in model.Projections)
            {
                var (inF, outF) = model.Shape(m);
                var i = l * LinearModules.Count + (int)m;
                w0[i] = ctx.Size(MatrixRole.W0, l, m, Resolve(m.HfPath(l), policy.W0), inF, outF);
                if (lora is null || !lora.AppliesTo(l, m)) continue;
                loraA[i] = ctx.Size(MatrixRole.LoraA, l, m, policy.Lora, inF, lora.Rank);
                loraB[i] = ctx.Size(MatrixRole.LoraB, l, m, policy.Lora, lora.Rank, outF);
            }
        }
        var lmHead = ctx.Size(MatrixRole.LmHead, -1, null, Resolve("lm_head", policy.LmHead), model.HiddenSize, model.VocabSize);
        ApplyAdcBits(policy.AdcBits, ctx.Hw.Rram.Adc.Bits, model, w0, ref lmHead, warnings);
        // A rule shadowed by an earlier one still "matches" something in principle; warn only when it matches no module at all.
        for (var i = 0; i < rules.Rules.Count; i++)
        {
            if (matched[i]) continue;
            var pattern = rules.Rules[i].Pattern;
            var any = pattern == "lm_head" || rules.Rules[i].Matches("lm_head")
                      || Enumerable.Range(0, model.NumLayers).Any(l => model.Projections.Any(m => rules.Rules[i].Matches(m.HfPath(l))));
            warnings.Add(any
                ? $"mapping.placement: pattern '{pattern}' is shadowed by earlier patterns (first match wins) and places nothing"
                : $"mapping.placement: pattern '{pattern}' matches no frozen matrix of {model.Name} ({model.NumLayers} layers) and places nothing");
        }
        return (w0, loraA, loraB, lmHead);
    }

    /// <summary>
    /// `mapping.adc_bits`: the first matching glob sets the ADC resolution of an RRAM-placed W0 or lm_head (matrices on
    /// SRAM or digital have no ADC); a rule at rram.adc.bits itself leaves the placement at the default (null). A pattern
    /// that sets the bits of no RRAM matrix of this model is a warning.
    /// </summary>
    private static void ApplyAdcBits(AdcBitsRules rules, int baseBits, ModelSpec model, MatrixPlacement?[] w0, ref MatrixPlacement lmHead, List<string> warnings)
    {
        if (rules.Rules.Count == 0) return;
        var used = new bool[rules.Rules.Count];
        MatrixPlacement Apply(MatrixPlacement p)
        {
            if (p.Target != ComputeTarget.Rram) return p;
            for (var i = 0; i < rules.Rules.Count; i++)
            {
                if (!rules.Rules[i].Matches(p.Name)) continue;
                used[i] = true;
                return rules.Rules[i].Bits == baseBits ? p : p with { AdcBits = rules.Rules[i].Bits };
            }
            return p;
        }
        for (var i = 0; i < w0.Length; i++)
            if (w0[i] is { } p) w0[i] = Apply(p);
        lmHead = Apply(lmHead);
        for (var i = 0; i < rules.Rules.Count; i++)
            if (!used[i] && rules.Rules[i].Bits != baseBits) // a rule at rram.adc.bits asks for nothing
                warnings.Add($"mapping.adc_bits: pattern '{rules.Rules[i].Pattern}' sets the ADC bits of no RRAM-placed frozen matrix of {model.Name} ({model.NumLayers} layers; shadowed, unmatched or placed off RRAM)");
    }

    /// <summary>
    /// KV cache: each chip's global buffer holds the KV of its own layers. Configured buffers give the KV cache what
    /// activations (and a buffered embedding table, on chip 0) leave; positions beyond the smallest per-chip share
    /// spill to DRAM. Auto-sized buffers hold the whole cache. A sliding-window layer holds at most its window.
    /// </summary>
    private static KvCachePlacement SizeKvCache(MapContext ctx, ChipLayout layout)
    {
        var (model, workload, policy) = (ctx.Model, ctx.Workload, ctx.Hw.Mapping);
        var maxKv = Math.Max(1, workload.MaxKvLength);
        var perToken = ctx.KvBytesPerTokenPerLayer;
        var onChipTokens = int.MaxValue;
        long available = 0;
        foreach (var c in layout.Chips.Where(c => c.Layers > 0))
        {
            var free = c.KvBufferBytes;
            available += free;
            onChipTokens = Math.Min(onChipTokens, policy.KvCache == StorageTarget.Buffer && free > 0 ? TokensThatFit(ctx, free, c.FirstLayer, c.Layers, maxKv) : 0);
        }
        if (onChipTokens == int.MaxValue) onChipTokens = 0;
        long total = 0, onChip = 0;
        for (var l = 0; l < model.NumLayers; l++)
        {
            var held = model.AttendedLength(l, workload.MaxKvLength);
            total += perToken * held;
            onChip += perToken * Math.Min(onChipTokens, held);
        }
        return new KvCachePlacement
        {
            Target = policy.KvCache,
            BytesPerTokenPerLayer = perToken,
            TotalBytes = total,
            BufferBytesAvailable = policy.KvCache == StorageTarget.Buffer ? available : 0,
            OnChipTokens = onChipTokens,
            OnChipBytes = onChip,
            MaxKvLength = workload.MaxKvLength,
            Layers = model.NumLayers,
        };
    }

    /// <summary>The most positions T (at most <paramref name="maxKv"/>) with bytes per token x sum over the chip's layers of min(T, positions held) within <paramref name="freeBytes"/>.</summary>
    private static int TokensThatFit(MapContext ctx, long freeBytes, int firstLayer, int layers, int maxKv)
    {
        // The need grows with T: binary search for the largest T that fits.
        int lo = 0, hi = maxKv;
        while (lo < hi)
        {
            var mid = lo + (hi - lo + 1) / 2;
            long need = 0;
            for (var l = firstLayer; l < firstLayer + layers; l++) need += ctx.KvBytesPerTokenPerLayer * Math.Min(mid, ctx.KvPositions(l));
            if (need <= freeBytes) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>Budgets that are not the chip partition's (DRAM capacity, the chip count limit).</summary>
    private static void CheckBudgets(MapContext ctx, ChipLayout layout, KvCachePlacement kv, long digitalWeightBytes)
    {
        var hw = ctx.Hw;
        var dramNeeded = kv.SpilledBytes + (hw.Mapping.Embedding == StorageTarget.Dram ? ctx.EmbeddingBytes : 0) + digitalWeightBytes;
        if (dramNeeded > hw.Dram.CapacityBytes)
            ctx.Problems.Add($"dram.capacity_bytes: off-chip data needs {dramNeeded:N0} bytes (spilled KV {kv.SpilledBytes:N0}, embedding, streamed weights {digitalWeightBytes:N0}) but DRAM holds {hw.Dram.CapacityBytes:N0}");
        if (hw.Chip.MaxChips > 0 && layout.Chips.Count > hw.Chip.MaxChips)
            ctx.Problems.Add($"chip.max_chips: the mapping needs {layout.Chips.Count} chips (tile budget {(hw.Chip.Tiles > 0 ? hw.Chip.Tiles.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")}, area budget {(hw.Chip.MaxAreaSquareMillimetres > 0 ? $"{hw.Chip.MaxAreaSquareMillimetres:F0} mm2" : "none")} per chip) but at most {hw.Chip.MaxChips} are allowed");
    }

    /// <summary>
    /// New positions newFrom .. kvLength - 1 of one layer whose cache slot is off chip (slot at or beyond
    /// <paramref name="onChip"/>): the slot is the position, or the position mod W on a sliding-window layer (a ring).
    /// </summary>
    internal static long OffChipWrites(ModelSpec model, int layer, int newFrom, int kvLength, int onChip)
    {
        if (!model.IsSlidingLayer(layer)) return Math.Max(0, kvLength - Math.Max(onChip, newFrom));
        long w = model.SlidingWindow!.Value, c = Math.Min(onChip, w);
        // Positions p < n whose slot p mod W is at least c.
        long Below(long n) => n / w * (w - c) + Math.Max(0, n % w - c);
        return Below(kvLength) - Below(newFrom);
    }

    /// <summary>Totals the graph's work per unit class and its on-chip traffic: one pass over every operator of every step.</summary>
    private static MappedWork WalkWork(OperatorGraph graph, MappingResult r)
    {
        long rram = 0, sram = 0, attention = 0, digital = 0, vector = 0, dramRead = 0, dramWrite = 0, nocBits = 0;
        double bitHops = 0;
        var kv = r.KvCache;
        var embeddingInDram = r.Embedding == StorageTarget.Dram;
        foreach (var step in graph.Steps)
        {
            // The part of this step's KV traffic beyond the on-chip positions goes to DRAM (per layer, per sequence).
            var newFrom = step.KvLength - step.Tokens;
            foreach (var op in graph.Operators(step))
            {
                switch (op.Kind)
                {
                    case OperatorKind.Projection or OperatorKind.LoraA or OperatorKind.LoraB or OperatorKind.LmHead:
                        {
                            var p = r.PlacementOf(op);
                            switch (p?.Target)
                            {
                                case ComputeTarget.Rram: rram += op.Macs; break;
                                case ComputeTarget.Sram: sram += op.Macs; break;
                                default:
                                    digital += op.Macs;
                                    dramRead += op.InputB.Bytes;
                                    break;
                            }
                            if (p is { IsOnChip: true })
                            {
                                // Input activations from the hub to the matrix's tiles and outputs back.
                                var bits = (op.InputA.Bytes + op.Output.Bytes) * 8;
                                nocBits += bits;
                                bitHops += bits * p.Hops;
                            }
                            break;
                        }
                    case OperatorKind.AttentionScore or OperatorKind.AttentionContext:
                        attention += op.Macs;
                        // Each of K and V: batch x kv_dim entries per position.
                        var offChipRead = Math.Max(0, graph.Model.AttendedLength(op.Layer, step.KvLength) - kv.OnChipTokens);
                        dramRead += (long)graph.Workload.Batch * graph.Model.KeyValueDim * offChipRead * graph.Precision.KvBits / 8;
                        if (r.Attention == DynamicMatmulTarget.Sram)
                        {
                            var bits = (op.InputA.Bytes + op.Output.Bytes) * 8;
                            nocBits += bits;
                            bitHops += bits * r.ChipList[r.ChipOfLayer(op.Layer)].AttentionHops;
                        }
                        break;
                    case OperatorKind.KvWrite:
                        dramWrite += kv.BytesPerTokenPerLayer * OffChipWrites(graph.Model, op.Layer, newFrom, step.KvLength, kv.OnChipTokens);
                        if (r.Attention == DynamicMatmulTarget.Sram)
                        {
                            // The new K/V rows travel from the hub into the attention pool's macros.
                            var bits = op.Output.Bytes * 8;
                            nocBits += bits;
                            bitHops += bits * r.ChipList[r.ChipOfLayer(op.Layer)].AttentionHops;
                        }
                        break;
                    case OperatorKind.Embedding:
                        if (embeddingInDram) dramRead += op.InputB.Bytes;
                        break;
                    default:
                        vector += op.Flops;
                        break;
                }
            }
        }
        return new MappedWork
        {
            RramMacs = rram,
            SramMacs = sram,
            AttentionMacs = attention,
            DigitalMacs = digital,
            DigitalVectorFlops = vector,
            DramBytesRead = dramRead,
            DramBytesWritten = dramWrite,
            NocBits = nocBits,
            NocBitHops = bitHops,
        };
    }
}

/// <summary>The inputs of one mapping and the per-matrix sizing closed forms (<see cref="Tiling"/>).</summary>
internal sealed class MapContext(HardwareSpec hw, ModelSpec model, LoraSpec? lora, WorkloadSpec workload, MapperOptions options, List<string> problems)
{
    public HardwareSpec Hw { get; } = hw;
    public ModelSpec Model { get; } = model;
    public LoraSpec? Lora { get; } = lora;
    public WorkloadSpec Workload { get; } = workload;
    public MapperOptions Options { get; } = options;
    public List<string> Problems { get; } = problems;
    public bool RramOk { get; } = Tiling.RramOutputsPerArray(hw.Rram.Array) > 0;
    public bool SramOk { get; } = Tiling.SramOutputsPerMacro(hw.SramCim) > 0;
    public long EmbeddingBytes => Model.EmbeddingParameters * Options.Precision.WeightBits / 8;
    public long KvBytesPerTokenPerLayer => (long)Workload.Batch * 2 * Model.KeyValueDim * Options.Precision.KvBits / 8;

    /// <summary>
    /// KV positions layer <paramref name="layer"/> holds at the longest KV length L (at least 1): L, or min(L, W) on a
    /// sliding-window layer, whose cache is a ring of the last W positions (Mistral; Gemma 2/3 local layers;
    /// transformers' sliding-window cache).
    /// </summary>
    public int KvPositions(int layer) => Model.AttendedLength(layer, Math.Max(1, Workload.MaxKvLength));

    /// <summary>KV cache bytes of layers firstLayer .. firstLayer + layers - 1 at the longest KV length.</summary>
    public long KvBytes(int firstLayer, int layers)
    {
        long bytes = 0;
        for (var l = firstLayer; l < firstLayer + layers; l++) bytes += KvBytesPerTokenPerLayer * KvPositions(l);
        return bytes;
    }

    /// <summary>The device models of the chip: the one source of area per instance (built once per mapping).</summary>
    public CimSim.Devices.Energy.DeviceTables Devices => _devices ??= new CimSim.Devices.Energy.DeviceTables(Hw);

    private CimSim.Devices.Energy.DeviceTables? _devices;

    /// <summary>A matrix's blocks and unit count on its target (no position yet); an unmappable target falls back to Digital.</summary>
    public MatrixPlacement Size(MatrixRole role, int layer, LinearModule? module, ComputeTarget target, int k, int n)
    {
        var p = new MatrixPlacement { Role = role, Layer = layer, Module = module, Target = target, K = k, N = n };
        var arr = Hw.Rram.Array;
        var sram = Hw.SramCim;
        switch (target)
        {
            case ComputeTarget.Rram when RramOk:
                {
                    var outs = Tiling.RramOutputsPerArray(arr);
                    var units = (int)Tiling.RramArrays(arr, k, n);
                    return p with
                    {
                        RowBlocks = (int)Tiling.CeilDiv(k, arr.Rows),
                        ColumnBlocks = (int)Tiling.CeilDiv(n, outs),
                        OutputsPerUnit = outs,
                        Replication = arr.Replication,
                        Units = units,
                        UsedCells = (long)k * n * arr.CellsPerWeight * arr.Replication,
                        ProvisionedCells = (long)units * arr.Rows * arr.Cols,
                    };
                }
            case ComputeTarget.Sram when SramOk:
                {
                    var outs = Tiling.SramOutputsPerMacro(sram);
                    var units = (int)Tiling.SramMacros(sram, k, n, Options.PackSramBlocks);
                    return p with
                    {
                        RowBlocks = (int)Tiling.CeilDiv(k, sram.Rows),
                        ColumnBlocks = (int)Tiling.CeilDiv(n, outs),
                        OutputsPerUnit = outs,
                        BlocksPerUnit = (int)Tiling.SramBlocksPerMacro(sram, k, n, Options.PackSramBlocks),
                        Units = units,
                        UsedCells = (long)k * n * sram.WeightBits,
                        ProvisionedCells = (long)units * sram.Rows * sram.Cols,
                    };
                }
            default:
                // Digital (or an unmappable unit, already reported): weights stream from DRAM to the vector unit.
                return p with { Target = ComputeTarget.Digital };
        }
    }

    /// <summary>SRAM macros of one chip's attention pool: K^T and V per sequence and KV head at the longest KV length, for the resident layers.</summary>
    public long AttentionPoolMacros(int layersOnChip)
    {
        if (Hw.Mapping.Attention != DynamicMatmulTarget.Sram || !SramOk || layersOnChip == 0) return 0;
        var maxKv = Math.Max(1, Workload.MaxKvLength);
        var sram = Hw.SramCim;
        var perHead = Tiling.SramMacros(sram, Model.HeadDim, maxKv, Options.PackSramBlocks) + Tiling.SramMacros(sram, maxKv, Model.HeadDim, Options.PackSramBlocks);
        return perHead * Workload.Batch * Model.NumKeyValueHeads * Math.Clamp(Options.AttentionLayersResident, 1, layersOnChip);
    }
}
