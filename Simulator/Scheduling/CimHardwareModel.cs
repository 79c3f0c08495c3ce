using CimSim.Common.Units;

namespace CimSim.Simulator.Scheduling;

/// <summary>Energy classes of the CIM breakdown (issue 4): every action the scheduler counts lands in one.</summary>
public enum EnergyClass
{
    RramArrayRead,
    Dac,
    Adc,
    ShiftAdd,
    SramCimMac,
    SramWrite,
    Buffer,
    Interconnect,
    DigitalUnit,
    OffChipMemory,
    Leakage,
}

/// <summary>
/// What the scheduler needs to know about the hybrid chip, gathered once from the hardware config, the device
/// cost models and the mapping: geometry and per-action cycles (timing) and per-action energies (pricing), kept
/// apart so that the same action counts price any technology. Every field is in the unit its name says.
/// </summary>
public sealed record CimHardwareModel
{
    public required ClockDomain Clock { get; init; }

    // --- RRAM crossbar arrays (weight-stationary W0) ---
    public required int ArrayRows { get; init; }
    public required int ArrayColumns { get; init; }
    /// <summary>Columns one weight occupies: weight slices x (2 for a differential pair, 1 otherwise).</summary>
    public required int ColumnsPerWeight { get; init; }
    /// <summary>Extra columns per array for an offset/reference column scheme (0 for differential pairs).</summary>
    public int ReferenceColumnsPerArray { get; init; }
    /// <summary>Input (activation) bits.</summary>
    public required int InputBits { get; init; }
    /// <summary>Bits the DAC applies per step (1 = bit-serial).</summary>
    public required int DacBits { get; init; }
    /// <summary>Columns that share one ADC (converted one after another).</summary>
    public required int ColumnsPerAdc { get; init; }
    /// <summary>Cycles to drive the word lines and let the bit lines settle for one DAC step (sample and hold).</summary>
    public required long ArrayReadCycles { get; init; }
    /// <summary>Cycles of one ADC conversion.</summary>
    public required long AdcConversionCycles { get; init; }
    /// <summary>Cycles of the shift-and-add stage after the last DAC step of a vector.</summary>
    public required long ShiftAddCycles { get; init; }
    /// <summary>Cycles per level of the partial-sum adder tree across row tiles.</summary>
    public required long PartialSumAddCycles { get; init; }
    /// <summary>Weight copies per matrix (replication for throughput); vectors are spread over the copies.</summary>
    public int Replication { get; init; } = 1;

    public required double ArrayReadEnergyPjPerRowColumn { get; init; }
    public required double DacEnergyPjPerConversion { get; init; }
    public required double AdcEnergyPjPerConversion { get; init; }
    public required double ShiftAddEnergyPjPerOp { get; init; }

    // --- SRAM digital CIM (LoRA A/B, attention QK^T and PV) ---
    public required double SramMacsPerCyclePerMacro { get; init; }
    public required long SramMacroCapacityBits { get; init; }
    public required double SramMacEnergyPj { get; init; }
    public required double SramWriteEnergyPjPerBit { get; init; }
    public required double SramWriteBitsPerCyclePerMacro { get; init; }
    /// <summary>SRAM CIM macros holding the K and V caches and computing QK^T and PV, for all resident layers together.</summary>
    public required int AttentionMacros { get; init; }
    /// <summary>
    /// Layers whose K/V are resident in the attention macros at once (the mapper's choice). When fewer than the
    /// model's layers, a layer's whole K/V is reloaded from the buffer into the pool before it attends.
    /// </summary>
    public int AttentionLayersResident { get; init; } = int.MaxValue;
    /// <summary>True: QK^T and PV on SRAM CIM; false: on the digital units.</summary>
    public bool AttentionOnSramCim { get; init; } = true;
    public int LoraWeightBits { get; init; } = 8;
    public int KvBits { get; init; } = 8;

    // --- digital vector units (norms, softmax, RoPE, activations, residual adds, LoRA merge) ---
    public required int DigitalUnits { get; init; }
    public required double DigitalOpsPerCyclePerUnit { get; init; }
    public required double DigitalEnergyPjPerOp { get; init; }

    // --- buffers and interconnect ---
    public required double BufferEnergyPjPerBit { get; init; }
    public required int InterconnectLinks { get; init; }
    public required double LinkBitsPerCycle { get; init; }
    public required long LinkLatencyCycles { get; init; }
    public required double AverageHops { get; init; }
    public required double InterconnectEnergyPjPerBitHop { get; init; }
    /// <summary>Per-port rate and access latency of the tile buffer (source) and global buffer (destination) of a
    /// transfer, from <see cref="Devices.Memory.BufferModel"/>; the link count above is the global buffer's ports.</summary>
    public double TileBufferBitsPerCyclePerPort { get; init; } = double.PositiveInfinity;
    public long TileBufferLatencyCycles { get; init; }
    public double GlobalBufferBitsPerCyclePerPort { get; init; } = double.PositiveInfinity;
    public long GlobalBufferLatencyCycles { get; init; }

    // --- off-chip memory (embedding table, KV spill, lm_head when not on RRAM) ---
    public required double DramBitsPerCycle { get; init; }
    public required long DramLatencyCycles { get; init; }
    public required double DramEnergyPjPerBit { get; init; }
    /// <summary>On-chip KV capacity in bits; KV beyond it is read from off-chip memory at every step.</summary>
    public required long KvOnChipCapacityBits { get; init; }
    public bool LmHeadOnRram { get; init; } = true;
    public bool EmbeddingOffChip { get; init; } = true;

    /// <summary>Static (leakage) power of the whole chip, priced over the run's duration.</summary>
    public required double LeakagePowerW { get; init; }

    /// <summary>Area by component class (mm^2), from the mapping and the device area models.</summary>
    public IReadOnlyDictionary<string, double> AreaMm2 { get; init; } = new SortedDictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Number of DAC steps per input vector: ceil(input bits / DAC bits).</summary>
    public int DacSteps => (InputBits + DacBits - 1) / DacBits;

    public double EnergyPj(EnergyClass c) => c switch
    {
        EnergyClass.RramArrayRead => ArrayReadEnergyPjPerRowColumn,
        EnergyClass.Dac => DacEnergyPjPerConversion,
        EnergyClass.Adc => AdcEnergyPjPerConversion,
        EnergyClass.ShiftAdd => ShiftAddEnergyPjPerOp,
        EnergyClass.SramCimMac => SramMacEnergyPj,
        EnergyClass.SramWrite => SramWriteEnergyPjPerBit,
        EnergyClass.Buffer => BufferEnergyPjPerBit,
        EnergyClass.Interconnect => InterconnectEnergyPjPerBitHop,
        EnergyClass.DigitalUnit => DigitalEnergyPjPerOp,
        EnergyClass.OffChipMemory => DramEnergyPjPerBit,
        EnergyClass.Leakage => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
    };
}
