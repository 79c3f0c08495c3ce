namespace CimSim.Simulator.Scheduling;

/// <summary>Action counts of one task, by energy class (counts, never energies: pricing happens once, at the end).</summary>
public struct ActionCounts
{
    private double _rram, _dac, _adc, _shiftAdd, _sramMac, _sramWrite, _buffer, _interconnect, _digital, _offChip;

    public double this[EnergyClass c]
    {
        readonly get => c switch
        {
            EnergyClass.RramArrayRead => _rram,
            EnergyClass.Dac => _dac,
            EnergyClass.Adc => _adc,
            EnergyClass.ShiftAdd => _shiftAdd,
            EnergyClass.SramCimMac => _sramMac,
            EnergyClass.SramWrite => _sramWrite,
            EnergyClass.Buffer => _buffer,
            EnergyClass.Interconnect => _interconnect,
            EnergyClass.DigitalUnit => _digital,
            EnergyClass.OffChipMemory => _offChip,
            _ => 0,
        };
        set
        {
            switch (c)
            {
                case EnergyClass.RramArrayRead: _rram = value; break;
                case EnergyClass.Dac: _dac = value; break;
                case EnergyClass.Adc: _adc = value; break;
                case EnergyClass.ShiftAdd: _shiftAdd = value; break;
                case EnergyClass.SramCimMac: _sramMac = value; break;
                case EnergyClass.SramWrite: _sramWrite = value; break;
                case EnergyClass.Buffer: _buffer = value; break;
                case EnergyClass.Interconnect: _interconnect = value; break;
                case EnergyClass.DigitalUnit: _digital = value; break;
                case EnergyClass.OffChipMemory: _offChip = value; break;
                default: throw new ArgumentOutOfRangeException(nameof(c), c, "leakage is not an action");
            }
        }
    }
}

/// <summary>
/// Closed-form micro-schedules: how many cycles a task holds its resource and which actions it performs, given
/// the tokens it processes and the KV positions it attends to. Equations in docs/scheduler.md.
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

    /// <summary>ADC phase of one DAC step on one array: columns per ADC x conversion cycles (the ADCs of an array work in parallel).</summary>
    public long AdcPhaseCyclesPerStep => hw.ColumnsPerAdc * hw.AdcConversionCycles;

    /// <summary>
    /// Cycles for one input vector through one array: S x (t_read + c x t_adc) + t_shift-add, with S DAC steps and c
    /// columns per ADC (all arrays of a matrix run in parallel on their own DACs and ADCs).
    /// </summary>
    public long ArrayVectorCycles => hw.DacSteps * (hw.ArrayReadCycles + AdcPhaseCyclesPerStep) + hw.ShiftAddCycles;

    /// <summary>Adder-tree latency that merges the partial sums of R row tiles: ceil(log2 R) levels.</summary>
    public long PartialSumCycles(long rowTiles) => rowTiles <= 1 ? 0 : (long)Math.Ceiling(Math.Log2(rowTiles)) * hw.PartialSumAddCycles;

    /// <summary>RRAM matrix-vector product of M vectors: ceil(M / replication) x T_vec + adder-tree latency.</summary>
    public long RramMatVecCycles(long inFeatures, long tokens) =>
        tokens == 0 ? 0 : CeilDiv(tokens, hw.Replication) * ArrayVectorCycles + PartialSumCycles(RowTiles(inFeatures));

    /// <summary>SRAM CIM macros needed to hold an In x Out weight block.</summary>
    public long SramMacros(long inFeatures, long outFeatures) =>
        Math.Max(1, CeilDiv(inFeatures * outFeatures * hw.LoraWeightBits, hw.SramMacroCapacityBits));

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

    /// <summary>Cycles a task holds its resource. <paramref name="kvSum"/> is the sum over its query tokens of the attended positions.</summary>
    public long Duration(TaskTemplate t, long tokens, long kvSum, long kvLength)
    {
        if (tokens == 0) return 0;
        switch (t.Kind)
        {
            case TaskKind.RramMatVec:
                return RramMatVecCycles(t.In, tokens);
            case TaskKind.LoraA:
            case TaskKind.LoraB:
                return CeilDiv((double)tokens * t.In * t.Out, SramMacros(t.In, t.Out) * hw.SramMacsPerCyclePerMacro);
            case TaskKind.KvWrite:
                return hw.AttentionOnSramCim
                    ? CeilDiv((double)tokens * t.BitsPerToken + KvReloadBits(tokens, kvLength, t.BitsPerToken), AttentionMacrosPerLayer * hw.SramWriteBitsPerCyclePerMacro)
                    : CeilDiv((double)tokens * t.BitsPerToken, hw.LinkBitsPerCycle);
            case TaskKind.AttentionScore:
            case TaskKind.AttentionValue:
            {
                var macs = (double)kvSum * t.In;
                var compute = hw.AttentionOnSramCim
                    ? CeilDiv(macs, AttentionMacrosPerLayer * hw.SramMacsPerCyclePerMacro)
                    : CeilDiv(2 * macs, hw.DigitalOpsPerCyclePerUnit);
                var spillBits = KvOffChipFraction(kvLength) * kvLength * shape.KvDim * hw.KvBits;
                return spillBits <= 0 ? compute : Math.Max(compute, hw.DramLatencyCycles + CeilDiv(spillBits, hw.DramBitsPerCycle));
            }
            case TaskKind.Vector:
            {
                var elems = t.ScalesWithKv ? (double)kvSum * t.In : (double)tokens * t.In;
                return CeilDiv(elems * t.OpsPerElement, hw.DigitalOpsPerCyclePerUnit);
            }
            case TaskKind.Transfer:
            {
                // Tile buffer read -> links -> global buffer write: the latencies add, the slowest rate serialises (issue 14, defect 8).
                var bits = (double)tokens * t.BitsPerToken;
                var rate = Math.Min(hw.LinkBitsPerCycle, Math.Min(hw.TileBufferBitsPerCyclePerPort, hw.GlobalBufferBitsPerCyclePerPort));
                return (long)Math.Ceiling(hw.AverageHops) * hw.LinkLatencyCycles + hw.TileBufferLatencyCycles + hw.GlobalBufferLatencyCycles + CeilDiv(bits, rate);
            }
            case TaskKind.Embedding:
                return hw.EmbeddingOffChip
                    ? hw.DramLatencyCycles + CeilDiv((double)tokens * t.BitsPerToken, hw.DramBitsPerCycle)
                    : CeilDiv((double)tokens * t.BitsPerToken, hw.LinkBitsPerCycle);
            case TaskKind.DigitalMatVec:
            {
                var compute = CeilDiv(2.0 * tokens * t.In * t.Out, hw.DigitalOpsPerCyclePerUnit);
                var stream = hw.DramLatencyCycles + CeilDiv((double)t.In * t.Out * hw.LoraWeightBits, hw.DramBitsPerCycle);
                return Math.Max(compute, stream);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(t), t.Kind, null);
        }
    }

    /// <summary>Actions a task performs (closed form; the same counts whatever it waited for).</summary>
    public ActionCounts Actions(TaskTemplate t, long tokens, long kvSum, long kvLength)
    {
        var a = new ActionCounts();
        if (tokens == 0) return a;
        var act = hw.InputBits;
        switch (t.Kind)
        {
            case TaskKind.RramMatVec:
            {
                double s = hw.DacSteps, r = RowTiles(t.In), c = ColumnTiles(t.Out), cols = (double)t.Out * hw.ColumnsPerWeight;
                a[EnergyClass.RramArrayRead] = tokens * s * t.In * cols;
                a[EnergyClass.Dac] = tokens * s * t.In * c;
                a[EnergyClass.Adc] = tokens * s * cols * r;
                a[EnergyClass.ShiftAdd] = tokens * (s * cols * r + (r - 1) * t.Out);
                a[EnergyClass.Buffer] = tokens * (double)(t.In + t.Out) * act;
                break;
            }
            case TaskKind.LoraA:
            case TaskKind.LoraB:
                a[EnergyClass.SramCimMac] = (double)tokens * t.In * t.Out;
                break;
            case TaskKind.KvWrite:
                if (hw.AttentionOnSramCim)
                {
                    var reload = KvReloadBits(tokens, kvLength, t.BitsPerToken);
                    a[EnergyClass.SramWrite] = (double)tokens * t.BitsPerToken + reload;
                    a[EnergyClass.Buffer] = reload;
                }
                else a[EnergyClass.Buffer] = (double)tokens * t.BitsPerToken;
                break;
            case TaskKind.AttentionScore:
            case TaskKind.AttentionValue:
            {
                var macs = (double)kvSum * t.In;
                if (hw.AttentionOnSramCim) a[EnergyClass.SramCimMac] = macs;
                else
                {
                    a[EnergyClass.DigitalUnit] = 2 * macs;
                    a[EnergyClass.Buffer] = (double)kvSum * shape.KvDim * hw.KvBits;
                }
                a[EnergyClass.OffChipMemory] = KvOffChipFraction(kvLength) * kvLength * shape.KvDim * hw.KvBits;
                break;
            }
            case TaskKind.Vector:
            {
                var elems = t.ScalesWithKv ? (double)kvSum * t.In : (double)tokens * t.In;
                a[EnergyClass.DigitalUnit] = elems * t.OpsPerElement;
                a[EnergyClass.Buffer] = 2 * elems * act;
                break;
            }
            case TaskKind.Transfer:
                a[EnergyClass.Interconnect] = (double)tokens * t.BitsPerToken * hw.AverageHops;
                break;
            case TaskKind.Embedding:
                if (hw.EmbeddingOffChip) a[EnergyClass.OffChipMemory] = (double)tokens * t.BitsPerToken;
                else a[EnergyClass.Buffer] = (double)tokens * t.BitsPerToken;
                break;
            case TaskKind.DigitalMatVec:
                a[EnergyClass.DigitalUnit] = 2.0 * tokens * t.In * t.Out;
                a[EnergyClass.OffChipMemory] = (double)t.In * t.Out * hw.LoraWeightBits;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(t), t.Kind, null);
        }
        return a;
    }
}
