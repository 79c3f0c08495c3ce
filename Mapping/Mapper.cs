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

    /// <summary>Buffer bytes kept for activations (not given to the KV cache or a buffered embedding table).</summary>
    public long ActivationReserveBytes { get; init; }

    /// <summary>Walk the operator graph to total the work per unit class (<see cref="MappingResult.Work"/>).</summary>
    public bool ComputeWork { get; init; } = true;
}

/// <summary>
/// Places a model on a hybrid chip: W0 -> RRAM crossbars (or SRAM / digital per `mapping.w0`), LoRA A and B ->
/// SRAM CIM macros (per `mapping.lora`), lm_head per `mapping.lm_head`, QK^T and PV -> SRAM CIM macros or the
/// digital unit, the KV cache -> the global buffer spilling to DRAM, the embedding table -> buffer or DRAM.
/// Units are assigned in layer order (q, k, v, o, gate, up, down), densely packed into tiles.
/// See docs/mapping.md for the equations.
/// </summary>
public static class Mapper
{
    public static MappingResult Map(HardwareSpec hw, ModelSpec model, LoraSpec? lora, WorkloadSpec workload, MapperOptions? options = null)
    {
        options ??= new MapperOptions();
        var problems = new List<string>();
        var policy = hw.Mapping;
        var arr = hw.Rram.Array;
        var sram = hw.SramCim;

        var rramOk = Tiling.RramOutputsPerArray(arr) > 0;
        if (!rramOk)
            problems.Add($"rram.array: one {arr.WeightBits}-bit weight needs {arr.CellsPerWeight} columns ({arr.Encoding} encoding, {arr.BitsPerCell} bits per cell) plus {Tiling.ReferenceColumns(arr)} reference column(s), but an array has {arr.Cols}");
        var sramOk = Tiling.SramOutputsPerMacro(sram) > 0;
        if (!sramOk)
            problems.Add($"sram_cim: a macro row of {sram.Cols} bit columns cannot hold one {sram.WeightBits}-bit weight");

        long nextArray = 0, nextMacro = 0;
        long rramCellsUsed = 0, rramCellsProvisioned = 0, sramCellsUsed = 0, sramCellsProvisioned = 0;
        long paramsRram = 0, paramsSram = 0, digitalWeightBytes = 0;

        MatrixPlacement Place(MatrixRole role, int layer, LinearModule? module, ComputeTarget target, int k, int n)
        {
            var p = new MatrixPlacement { Role = role, Layer = layer, Module = module, Target = target, K = k, N = n };
            switch (target)
            {
                case ComputeTarget.Rram when rramOk:
                {
                    var outs = Tiling.RramOutputsPerArray(arr);
                    var rb = (int)Tiling.CeilDiv(k, arr.Rows);
                    var cb = (int)Tiling.CeilDiv(n, outs);
                    var units = (int)Tiling.RramArrays(arr, k, n);
                    var used = (long)k * n * arr.CellsPerWeight * arr.Replication;
                    var prov = (long)units * arr.Rows * arr.Cols;
                    p = p with
                    {
                        RowBlocks = rb, ColumnBlocks = cb, OutputsPerUnit = outs, Replication = arr.Replication, Units = units,
                        FirstUnit = (int)nextArray, FirstTile = (int)(nextArray / hw.Rram.ArraysPerTile),
                        LastTile = (int)((nextArray + units - 1) / hw.Rram.ArraysPerTile), UsedCells = used, ProvisionedCells = prov,
                    };
                    nextArray += units;
                    rramCellsUsed += used;
                    rramCellsProvisioned += prov;
                    paramsRram += p.Weights;
                    return p;
                }
                case ComputeTarget.Sram when sramOk:
                {
                    var outs = Tiling.SramOutputsPerMacro(sram);
                    var units = (int)Tiling.SramMacros(sram, k, n, options.PackSramBlocks);
                    var used = (long)k * n * sram.WeightBits;
                    var prov = (long)units * sram.Rows * sram.Cols;
                    var perTile = Math.Max(1, sram.MacrosPerTile);
                    p = p with
                    {
                        RowBlocks = (int)Tiling.CeilDiv(k, sram.Rows), ColumnBlocks = (int)Tiling.CeilDiv(n, outs), OutputsPerUnit = outs,
                        BlocksPerUnit = (int)Tiling.SramBlocksPerMacro(sram, k, n, options.PackSramBlocks), Units = units,
                        FirstUnit = (int)nextMacro, FirstTile = (int)(nextMacro / perTile), LastTile = (int)((nextMacro + units - 1) / perTile),
                        UsedCells = used, ProvisionedCells = prov,
                    };
                    nextMacro += units;
                    sramCellsUsed += used;
                    sramCellsProvisioned += prov;
                    paramsSram += p.Weights;
                    return p;
                }
                default:
                    // Digital (or an unmappable unit, already reported): weights stream from DRAM to the vector unit.
                    digitalWeightBytes += (long)k * n * options.Precision.WeightBits / 8;
                    return p with { Target = ComputeTarget.Digital };
            }
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
                w0[i] = Place(MatrixRole.W0, l, m, policy.W0, inF, outF);
                if (lora is not null && lora.AppliesTo(l, m))
                {
                    loraA[i] = Place(MatrixRole.LoraA, l, m, policy.Lora, inF, lora.Rank);
                    loraB[i] = Place(MatrixRole.LoraB, l, m, policy.Lora, lora.Rank, outF);
                }
            }
        }
        var lmHead = Place(MatrixRole.LmHead, -1, null, policy.LmHead, model.HiddenSize, model.VocabSize);
        var sramWeightMacros = nextMacro;

        // Attention: per sequence and KV head, K^T (head_dim x L) for QK^T and V (L x head_dim) for PV, at the longest
        // KV length, for the layers resident at once.
        long attentionMacros = 0;
        var maxKv = Math.Max(1, workload.MaxKvLength);
        if (policy.Attention == DynamicMatmulTarget.Sram && sramOk)
        {
            var perHead = Tiling.SramMacros(sram, model.HeadDim, maxKv, options.PackSramBlocks)
                          + Tiling.SramMacros(sram, maxKv, model.HeadDim, options.PackSramBlocks);
            attentionMacros = perHead * workload.Batch * model.NumKeyValueHeads * Math.Clamp(options.AttentionLayersResident, 1, model.NumLayers);
        }
        var totalMacros = sramWeightMacros + attentionMacros;

        // Tiles: each holds arrays_per_tile crossbars and macros_per_tile macros; both kinds are packed densely.
        var rramTiles = Tiling.CeilDiv(nextArray, hw.Rram.ArraysPerTile);
        long sramTiles = 0;
        if (totalMacros > 0)
        {
            if (sram.MacrosPerTile == 0) problems.Add($"sram_cim.macros_per_tile: 0, but the mapping needs {totalMacros} SRAM CIM macros");
            else sramTiles = Tiling.CeilDiv(totalMacros, sram.MacrosPerTile);
        }
        var tiles = Math.Max(1, Math.Max(rramTiles, sramTiles));
        long chips = 1;
        if (hw.Chip.Tiles > 0)
        {
            chips = Tiling.CeilDiv(tiles, hw.Chip.Tiles);
            if (tiles > hw.Chip.Tiles)
                problems.Add($"chip.tiles: the mapping needs {tiles} tiles ({rramTiles} for {nextArray} RRAM arrays, {sramTiles} for {totalMacros} SRAM macros) but a chip has {hw.Chip.Tiles} ({chips} chips would be needed)");
        }

        // Embedding table and KV cache.
        var embeddingBytes = model.EmbeddingParameters * options.Precision.WeightBits / 8;
        var bufferFree = hw.Buffer.CapacityBytes - options.ActivationReserveBytes;
        if (policy.Embedding == StorageTarget.Buffer)
        {
            if (embeddingBytes > bufferFree)
                problems.Add($"mapping.embedding: buffer: the embedding table needs {embeddingBytes:N0} bytes but the global buffer has {bufferFree:N0} free (buffer.capacity_bytes)");
            bufferFree -= embeddingBytes;
        }
        var bytesPerTokenPerLayer = (long)workload.Batch * 2 * model.KeyValueDim * options.Precision.KvBits / 8;
        int onChipTokens = 0;
        if (policy.KvCache == StorageTarget.Buffer && bufferFree > 0)
            onChipTokens = (int)Math.Min(maxKv, bufferFree / (bytesPerTokenPerLayer * model.NumLayers));
        var kv = new KvCachePlacement
        {
            Target = policy.KvCache,
            BytesPerTokenPerLayer = bytesPerTokenPerLayer,
            TotalBytes = bytesPerTokenPerLayer * model.NumLayers * workload.MaxKvLength,
            BufferBytesAvailable = Math.Max(0, policy.KvCache == StorageTarget.Buffer ? bufferFree : 0),
            OnChipTokens = onChipTokens,
            MaxKvLength = workload.MaxKvLength,
            Layers = model.NumLayers,
        };
        var dramNeeded = kv.SpilledBytes + (policy.Embedding == StorageTarget.Dram ? embeddingBytes : 0) + digitalWeightBytes;
        if (dramNeeded > hw.Dram.CapacityBytes)
            problems.Add($"dram.capacity_bytes: off-chip data needs {dramNeeded:N0} bytes (spilled KV {kv.SpilledBytes:N0}, embedding, streamed weights {digitalWeightBytes:N0}) but DRAM holds {hw.Dram.CapacityBytes:N0}");

        var area = Area(hw, nextArray, sramWeightMacros, attentionMacros, tiles);
        var totalArea = area.Sum(a => a.SquareMillimetres);
        if (hw.Chip.MaxAreaSquareMillimetres > 0 && totalArea > hw.Chip.MaxAreaSquareMillimetres * chips)
            problems.Add($"chip.max_area_mm2: the mapping needs {totalArea:F2} mm2 but the budget is {hw.Chip.MaxAreaSquareMillimetres:F2} mm2{(chips > 1 ? $" x {chips} chips" : "")}");

        var paramsTotal = model.ParameterCount + (lora?.ParameterCount(model) ?? 0);
        var tiedCopy = model.TieWordEmbeddings && lmHead.IsOnChip ? lmHead.Weights : 0;
        var result = new MappingResult(hw, model, lora, workload, w0, loraA, loraB, lmHead)
        {
            RramArrays = nextArray,
            SramWeightMacros = sramWeightMacros,
            SramAttentionMacros = attentionMacros,
            Tiles = tiles,
            Chips = chips,
            RramUtilisation = rramCellsProvisioned == 0 ? 0 : (double)rramCellsUsed / rramCellsProvisioned,
            SramUtilisation = sramCellsProvisioned == 0 ? 0 : (double)sramCellsUsed / sramCellsProvisioned,
            Area = area,
            ParamsTotal = paramsTotal,
            ParamsRram = paramsRram,
            ParamsSram = paramsSram,
            ParamsOther = paramsTotal - paramsRram - paramsSram + tiedCopy,
            KvCache = kv,
            Attention = policy.Attention,
            Embedding = policy.Embedding,
            EmbeddingBytes = embeddingBytes,
            Problems = problems,
        };
        if (!options.ComputeWork) return result;
        result.Work = WalkWork(new OperatorGraph(model, lora, workload, options.Precision), result);
        return result;
    }

    /// <summary>Area of the occupied units plus per-tile and global components (spec area fields).</summary>
    private static List<AreaEntry> Area(HardwareSpec hw, long arrays, long weightMacros, long attentionMacros, long tiles)
    {
        const double Um2ToMm2 = 1e-6;
        var a = hw.Rram.Array;
        var adcsPerArray = Tiling.CeilDiv(a.Cols, hw.Rram.Adc.ColsPerAdc);
        return
        [
            new("rram.cells", arrays * a.Cells, arrays * a.Cells * hw.Rram.Device.CellAreaSquareMicrometres * Um2ToMm2),
            new("rram.dac", arrays * a.Rows, arrays * a.Rows * hw.Rram.Dac.AreaSquareMicrometres * Um2ToMm2),
            new("rram.adc", arrays * adcsPerArray, arrays * adcsPerArray * hw.Rram.Adc.AreaSquareMicrometres * Um2ToMm2),
            new("rram.sample_hold", arrays * a.Cols, arrays * a.Cols * hw.Rram.Adc.SampleHold.AreaSquareMicrometres * Um2ToMm2),
            new("rram.shift_add", arrays * adcsPerArray, arrays * adcsPerArray * hw.Rram.ShiftAdd.AreaSquareMicrometres * Um2ToMm2),
            new("sram_cim.weights", weightMacros, weightMacros * hw.SramCim.AreaSquareMicrometres * Um2ToMm2),
            new("sram_cim.attention", attentionMacros, attentionMacros * hw.SramCim.AreaSquareMicrometres * Um2ToMm2),
            new("buffer.global", 1, hw.Buffer.AreaSquareMillimetres),
            new("buffer.tile", tiles, tiles * hw.TileBuffer.AreaSquareMillimetres),
            new("digital", 1, hw.Digital.AreaSquareMillimetres),
            new("tile_overhead", tiles, tiles * hw.Chip.TileOverheadAreaSquareMillimetres),
        ];
    }

    /// <summary>Totals the graph's work per unit class: one pass over every operator of every step.</summary>
    private static MappedWork WalkWork(OperatorGraph graph, MappingResult r)
    {
        long rram = 0, sram = 0, attention = 0, digital = 0, vector = 0, dramRead = 0, dramWrite = 0;
        var kv = r.KvCache;
        var embeddingInDram = r.Embedding == StorageTarget.Dram;
        foreach (var step in graph.Steps)
        {
            // The part of this step's KV traffic beyond the on-chip positions goes to DRAM (per layer, per sequence).
            var offChipRead = Math.Max(0, step.KvLength - kv.OnChipTokens);
            var newFrom = step.KvLength - step.Tokens;
            var offChipWritten = Math.Max(0, step.KvLength - Math.Max(kv.OnChipTokens, newFrom));
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
                        break;
                    }
                    case OperatorKind.AttentionScore or OperatorKind.AttentionContext:
                        attention += op.Macs;
                        // Each of K and V: batch x kv_dim entries per position.
                        dramRead += (long)graph.Workload.Batch * graph.Model.KeyValueDim * offChipRead * graph.Precision.KvBits / 8;
                        break;
                    case OperatorKind.KvWrite:
                        dramWrite += kv.BytesPerTokenPerLayer * offChipWritten;
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
            RramMacs = rram, SramMacs = sram, AttentionMacs = attention, DigitalMacs = digital, DigitalVectorFlops = vector,
            DramBytesRead = dramRead, DramBytesWritten = dramWrite,
        };
    }
}
