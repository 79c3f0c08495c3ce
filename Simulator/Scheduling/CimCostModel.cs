using CimSim.Devices.Digital;
using A = CimSim.Simulator.Scheduling.CountedActions;

namespace CimSim.Simulator.Scheduling;

/// <summary>
/// Closed-form micro-schedules: how many cycles a task holds its resource and which device actions it performs,
/// given the tokens it processes and the KV positions it attends to. Counts only, named by the device models
/// (<see cref="CountedActions"/>); pricing happens once, in Reports. Equations in docs/scheduler.md.
/// </summary>
public sealed class CimCostModel(CimHardwareModel hw, TransformerShape shape)
{
    public CimHardwareModel Hardware => hw;

    public static long CeilDiv(long a, long b) => (a + b - 1) / b;

    private static long CeilDiv(double a, double b) => (long)Math.Ceiling(a / b - 1e-12);

    /// <summary>Row tiles of an In x Out weight matrix: ceil(In / rows).</summary>
    public long RowTiles(long inFeatures) => CeilDiv(inFeatures, hw.ArrayRows);

    /// <summary>Column tiles: ceil(Out x columns per weight / usable columns per array).</summary>
    public long ColumnTiles(long outFeatures) => CeilDiv(outFeatures * hw.ColumnsPerWeight, hw.ArrayColumns - hw.ReferenceColumnsPerArray);

    /// <summary>ADC phase of one DAC step on one array: conversions per ADC x conversion cycles (the ADCs of an array work in parallel).</summary>
    public long AdcPhaseCyclesPerStep => AdcPhaseCyclesPerStepAt(null);

    /// <summary>The ADC phase with ADCs at <paramref name="adcBits"/> (a mapping.adc_bits override; null: rram.adc.bits).</summary>
    public long AdcPhaseCyclesPerStepAt(int? adcBits) => hw.ConversionsPerAdcPerStep * hw.ConversionCycles(adcBits);

    /// <summary>
    /// Cycles for one input vector through one array: ceil(S / P) x (t_read + c x t_adc) + t_shift-add, with S DAC steps,
    /// P of them sensed at once (input-parallel sensing, each on its own copy of the sense chain) and c conversions per
    /// ADC (all arrays of a matrix run in parallel on their own DACs and ADCs).
    /// </summary>
    public long ArrayVectorCycles => ArrayVectorCyclesAt(null);

    /// <summary><see cref="ArrayVectorCycles"/> with the array's ADCs at <paramref name="adcBits"/> (null: rram.adc.bits).</summary>
    public long ArrayVectorCyclesAt(int? adcBits) => hw.SequentialDacSteps * (hw.ArrayReadCycles + AdcPhaseCyclesPerStepAt(adcBits)) + hw.ShiftAddCycles;

    /// <summary>Adder-tree latency that merges the partial sums of R row tiles: ceil(log2 R) levels.</summary>
    public long PartialSumCycles(long rowTiles) => rowTiles <= 1 ? 0 : (long)Math.Ceiling(Math.Log2(rowTiles)) * hw.PartialSumAddCycles;

    /// <summary>RRAM matrix-vector product of M vectors: ceil(M / replication) x T_vec + adder-tree latency.</summary>
    public long RramMatVecCycles(long inFeatures, long tokens, int? adcBits = null) =>
        tokens == 0 ? 0 : CeilDiv(tokens, hw.Replication) * ArrayVectorCyclesAt(adcBits) + PartialSumCycles(RowTiles(inFeatures));

    /// <summary>Layers resident in the attention pool at once (at most the model's layers).</summary>
    public int ResidentLayers => Math.Clamp(hw.AttentionLayersResident, 1, shape.Layers);

    /// <summary>Attention macros serving one sequence of one layer: the pool split over resident layers and batch items.</summary>
    public long AttentionMacrosPerLayer => Math.Max(1, hw.AttentionMacros / ((long)ResidentLayers * Math.Max(1, shape.Batch)));

    /// <summary>K/V bits reloaded into the attention pool before a layer attends (0 when every layer stays resident).</summary>
    public double KvReloadBits(long tokens, long kvLength, long bitsPerToken) =>
        ResidentLayers >= shape.Layers ? 0 : Math.Max(0, kvLength - tokens) * (double)bitsPerToken;

    /// <summary>Fraction of the KV cache (all layers) that does not fit on chip at this KV length.</summary>
    public double KvOffChipFraction(long kvLength)
    {
        var total = (double)kvLength * 2 * shape.KvDim * hw.KvBits * shape.Layers * shape.Batch;
        return total <= hw.KvOnChipCapacityBits ? 0 : (total - hw.KvOnChipCapacityBits) / total;
    }

    /// <summary>Primitive operations of a vector task (the digital unit's device model decomposes the op).</summary>
    private static PrimitiveCounts VectorCounts(TaskTemplate t, long tokens, long kvSum)
    {
        var op = t.VectorOp ?? VectorOp.Add;
        // Softmax: one row of scores per head and query token, as long as the attended KV; others: one row per token.
        var rows = t.ScalesWithKv ? tokens * t.In : tokens;
        var elements = t.ScalesWithKv ? (double)kvSum * t.In : (double)tokens * t.In;
        return VectorUnitModel.PerElement(op) * elements + VectorUnitModel.PerRow(op) * rows;
    }

    /// <summary>Chip cycles of <paramref name="macs"/> multiply-accumulates on the digital unit.</summary>
    private long DigitalMacCycles(double macs) =>
        hw.ChipCyclesOfDigital(hw.Digital.Latency(VectorOp.Mac, VectorUnitModel.PerElement(VectorOp.Mac) * macs));

    private long SramMacCycles(double macs, long macros) => CeilDiv(macs, Math.Max(1, macros) * hw.SramMacsPerCyclePerMacro);

    /// <summary>Cycles a task holds its resource. <paramref name="kvSum"/> is the sum over its query tokens of the attended positions.</summary>
    public long Duration(TaskTemplate t, long tokens, long kvSum, long kvLength)
    {
        if (tokens == 0) return 0;
        switch (t.Kind)
        {
            case TaskKind.RramMatVec:
                return RramMatVecCycles(t.In, tokens, t.AdcBits);
            case TaskKind.LoraA:
            case TaskKind.LoraB:
            case TaskKind.SramMatVec:
                return SramMacCycles((double)tokens * t.In * t.Out, t.Units);
            case TaskKind.KvWrite:
                return hw.AttentionOnSramCim
                    ? CeilDiv((double)tokens * t.BitsPerToken + KvReloadBits(tokens, kvLength, t.BitsPerToken), AttentionMacrosPerLayer * hw.SramWriteBitsPerCyclePerMacro)
                    : CeilDiv((double)tokens * t.BitsPerToken, hw.LinkBitsPerCycle);
            case TaskKind.AttentionScore:
            case TaskKind.AttentionValue:
                {
                    var macs = (double)kvSum * t.In;
                    var compute = hw.AttentionOnSramCim ? SramMacCycles(macs, AttentionMacrosPerLayer) : DigitalMacCycles(macs);
                    var spillBits = KvOffChipFraction(kvLength) * kvLength * shape.KvDim * hw.KvBits;
                    return spillBits <= 0 ? compute : Math.Max(compute, hw.DramLatencyCycles + CeilDiv(spillBits, hw.DramBitsPerCycle));
                }
            case TaskKind.Vector:
                return hw.ChipCyclesOfDigital(hw.Digital.Latency(t.VectorOp ?? VectorOp.Add, VectorCounts(t, tokens, kvSum)));
            case TaskKind.Transfer:
                {
                    // Tile buffer read -> links -> global buffer write: the latencies add, the slowest rate serialises
                    // (issue 14, defect 8); each chip-link crossing adds the link's latency and serialisation.
                    var bits = TransferBits(t, tokens, kvSum, kvLength);
                    var rate = Math.Min(hw.LinkBitsPerCycle, Math.Min(hw.TileBufferBitsPerCyclePerPort, hw.GlobalBufferBitsPerCyclePerPort));
                    return (long)Math.Ceiling(Hops(t)) * hw.LinkLatencyCycles + hw.TileBufferLatencyCycles + hw.GlobalBufferLatencyCycles + CeilDiv(bits, rate)
                           + (t.LinkCrossings == 0 ? 0 : t.LinkCrossings * (hw.ChipLinkLatencyCycles + CeilDiv(bits, hw.ChipLinkBitsPerCycle)));
                }
            case TaskKind.Embedding:
                return hw.EmbeddingOffChip
                    ? hw.DramLatencyCycles + CeilDiv((double)tokens * t.BitsPerToken, hw.DramBitsPerCycle)
                    : CeilDiv((double)tokens * t.BitsPerToken, hw.LinkBitsPerCycle);
            case TaskKind.DigitalMatVec:
                {
                    var stream = hw.DramLatencyCycles + CeilDiv((double)t.In * t.Out * hw.StreamedWeightBits, hw.DramBitsPerCycle);
                    return Math.Max(DigitalMacCycles((double)tokens * t.In * t.Out), stream);
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(t), t.Kind, null);
        }
    }

    /// <summary>
    /// Adds the device actions a task performs to <paramref name="counts"/> (indexed by <see cref="CountedActions"/>;
    /// closed form, the same counts whatever it waited for).
    /// </summary>
    public void AddActions(TaskTemplate t, long tokens, long kvSum, long kvLength, Span<double> counts)
    {
        if (tokens == 0) return;
        var act = hw.InputBits;
        switch (t.Kind)
        {
            case TaskKind.RramMatVec:
                {
                    double s = hw.DacSteps, r = RowTiles(t.In), c = ColumnTiles(t.Out);
                    // Physical columns read (weights plus each column tile's reference columns) and ADC channels converted
                    // (a differential pair is one channel; a reference column is one).
                    double refCols = c * hw.ReferenceColumnsPerArray;
                    double columns = (double)t.Out * hw.ColumnsPerWeight + refCols;
                    double channels = (double)t.Out * hw.ChannelsPerWeight + refCols;
                    counts[A.CellRead] += tokens * s * t.In * columns;
                    counts[A.DacDrive] += tokens * s * t.In * c;
                    // A mapping.adc_bits override converts at its own resolution, priced as its own action.
                    counts[t.AdcBits is { } b ? A.AdcConversionAt[b] : A.AdcConversion] += tokens * s * channels * r;
                    counts[A.SampleHold] += tokens * s * channels * r;
                    counts[A.ShiftAdd] += tokens * (s * channels * r + (r - 1) * t.Out);
                    ActivationTraffic(t, tokens, counts);
                    break;
                }
            case TaskKind.LoraA:
            case TaskKind.LoraB:
            case TaskKind.SramMatVec:
                counts[A.SramMac] += (double)tokens * t.In * t.Out;
                ActivationTraffic(t, tokens, counts);
                break;
            case TaskKind.DigitalMatVec:
                AddDigitalMacs((double)tokens * t.In * t.Out, counts);
                counts[A.DramBit] += (double)t.In * t.Out * hw.StreamedWeightBits;
                ActivationTraffic(t, tokens, counts);
                break;
            case TaskKind.KvWrite:
                {
                    // The KV store is the global buffer; with attention on SRAM CIM the new rows (and, when the pool is
                    // shared by layers, the reloaded ones read back from the store) are also written into the macros.
                    counts[A.GlobalBufferWrite] += (double)tokens * t.BitsPerToken;
                    if (!hw.AttentionOnSramCim) break;
                    var reload = KvReloadBits(tokens, kvLength, t.BitsPerToken);
                    counts[A.SramWriteBit] += (double)tokens * t.BitsPerToken + reload;
                    counts[A.GlobalBufferRead] += reload;
                    break;
                }
            case TaskKind.AttentionScore:
            case TaskKind.AttentionValue:
                {
                    var macs = (double)kvSum * t.In;
                    if (hw.AttentionOnSramCim) counts[A.SramMac] += macs;
                    else
                    {
                        AddDigitalMacs(macs, counts);
                        counts[A.GlobalBufferRead] += (double)kvSum * shape.KvDim * hw.KvBits;
                    }
                    counts[A.DramBit] += KvOffChipFraction(kvLength) * kvLength * shape.KvDim * hw.KvBits;
                    break;
                }
            case TaskKind.Vector:
                {
                    var p = VectorCounts(t, tokens, kvSum);
                    counts[A.DigitalAdd] += p.Add;
                    counts[A.DigitalMul] += p.Mul;
                    counts[A.DigitalExp] += p.Exp;
                    counts[A.DigitalDiv] += p.Div;
                    var elems = t.ScalesWithKv ? (double)kvSum * t.In : (double)tokens * t.In;
                    counts[A.TileBufferRead] += elems * act;
                    counts[A.TileBufferWrite] += elems * act;
                    break;
                }
            case TaskKind.Transfer:
                {
                    var bits = TransferBits(t, tokens, kvSum, kvLength);
                    counts[A.HopBit] += bits * Hops(t);
                    counts[A.LinkBit] += bits * t.LinkCrossings;
                    break;
                }
            case TaskKind.Embedding:
                counts[hw.EmbeddingOffChip ? A.DramBit : A.GlobalBufferRead] += (double)tokens * t.BitsPerToken;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(t), t.Kind, null);
        }
    }

    /// <summary>
    /// Bits a transfer moves: tokens x bits per token, plus the attended positions x bits per position (scores and
    /// probabilities to and from the attention pool), plus the K/V rows reloaded into a shared pool.
    /// </summary>
    public double TransferBits(TaskTemplate t, long tokens, long kvSum, long kvLength) =>
        (double)tokens * t.BitsPerToken + (double)kvSum * t.BitsPerAttendedPosition
        + (t.CarriesKvReload ? KvReloadBits(tokens, kvLength, t.BitsPerToken) : 0);

    /// <summary>Hops of a transfer: the task's own (placed tiles) or the hardware model's mesh average.</summary>
    private double Hops(TaskTemplate t) => t.Hops ?? hw.AverageHops;

    /// <summary>A matrix task reads its input activations from and writes its outputs to the tile buffer.</summary>
    private void ActivationTraffic(TaskTemplate t, long tokens, Span<double> counts)
    {
        counts[A.TileBufferRead] += (double)tokens * t.In * hw.InputBits;
        counts[A.TileBufferWrite] += (double)tokens * t.Out * hw.InputBits;
    }

    private static void AddDigitalMacs(double macs, Span<double> counts)
    {
        var p = VectorUnitModel.PerElement(VectorOp.Mac) * macs;
        counts[A.DigitalAdd] += p.Add;
        counts[A.DigitalMul] += p.Mul;
    }
}
