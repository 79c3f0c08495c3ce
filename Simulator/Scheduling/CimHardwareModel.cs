using CimSim.Common.Units;
using CimSim.Devices.Digital;
using CimSim.Mapping;

namespace CimSim.Simulator.Scheduling;

/// <summary>
/// What the scheduler needs to know about the mapped chip: geometry and per-action cycles, read once from the
/// device models (<see cref="HardwareModelBuilder"/>) and the mapping. No energy lives here: the scheduler counts
/// actions (<see cref="CountedActions"/>) and Reports price them with the device models' tables. Every field is
/// in the unit its name says; cycles are of <see cref="Clock"/>.
/// </summary>
public sealed record CimHardwareModel
{
    public required ClockDomain Clock { get; init; }

    /// <summary>The plan every matrix, macro and tile follows (per-matrix targets and unit counts).</summary>
    public required MappingResult Mapping { get; init; }

    // --- RRAM crossbar arrays ---
    public required int ArrayRows { get; init; }
    public required int ArrayColumns { get; init; }
    /// <summary>Physical columns one weight occupies: weight slices x (2 for a differential pair, 1 otherwise).</summary>
    public required int ColumnsPerWeight { get; init; }
    /// <summary>ADC channels one weight occupies: its slices (a differential pair is subtracted before the ADC).</summary>
    public required int ChannelsPerWeight { get; init; }
    /// <summary>Reference columns per array (offset encoding: 1): read and converted with every step like a weight column.</summary>
    public int ReferenceColumnsPerArray { get; init; }
    /// <summary>Input (activation) bits.</summary>
    public required int InputBits { get; init; }
    /// <summary>Bits the DAC applies per step (1 = bit-serial).</summary>
    public required int DacBits { get; init; }
    /// <summary>ADCs per array.</summary>
    public required int AdcsPerArray { get; init; }
    /// <summary>Channels each ADC converts one after another per DAC step.</summary>
    public required int ConversionsPerAdcPerStep { get; init; }
    /// <summary>Cycles to drive the word lines, let the bit lines settle and sample (the analog phase of one DAC step).</summary>
    public required long ArrayReadCycles { get; init; }
    /// <summary>Cycles of one ADC conversion.</summary>
    public required long AdcConversionCycles { get; init; }

    /// <summary>Cycles of one conversion by an ADC at b bits (index b; mapping.adc_bits overrides), from the same ADC model; null: every ADC at <see cref="AdcConversionCycles"/>.</summary>
    public long[]? AdcConversionCyclesAt { get; init; }

    /// <summary>Cycles of one conversion at <paramref name="bits"/> (null: rram.adc.bits).</summary>
    public long ConversionCycles(int? bits) => bits is { } b && AdcConversionCyclesAt is { } at ? at[b] : AdcConversionCycles;
    /// <summary>Cycles of the shift-and-add stage after the last DAC step of a vector.</summary>
    public required long ShiftAddCycles { get; init; }
    /// <summary>Cycles per level of the partial-sum adder tree across row tiles.</summary>
    public required long PartialSumAddCycles { get; init; }
    /// <summary>Weight copies per matrix (replication for throughput); vectors are spread over the copies.</summary>
    public int Replication { get; init; } = 1;

    // --- SRAM digital CIM (matrices placed on SRAM, attention QK^T and PV) ---
    public required double SramMacsPerCyclePerMacro { get; init; }
    public required double SramWriteBitsPerCyclePerMacro { get; init; }
    /// <summary>SRAM CIM macros holding the K and V caches and computing QK^T and PV, for all resident layers together.</summary>
    public required int AttentionMacros { get; init; }
    /// <summary>Layers whose K/V are resident in the attention macros at once (the mapper's choice).</summary>
    public int AttentionLayersResident { get; init; } = int.MaxValue;
    /// <summary>True: QK^T and PV on SRAM CIM; false: on the digital unit.</summary>
    public bool AttentionOnSramCim { get; init; } = true;
    /// <summary>Stored weight bits of a matrix streamed from DRAM to the digital unit.</summary>
    public int StreamedWeightBits { get; init; } = 8;
    public int KvBits { get; init; } = 8;

    // --- digital vector unit: the device model times its own primitives in its own clock ---
    public required VectorUnitModel Digital { get; init; }
    public required int DigitalUnits { get; init; }

    // --- interconnect ---
    public required int InterconnectLinks { get; init; }
    public required double LinkBitsPerCycle { get; init; }
    public required long LinkLatencyCycles { get; init; }
    public required double AverageHops { get; init; }
    /// <summary>
    /// Mean hops between each chip's hub and its attention pool's macros (<see cref="ChipPlacement.AttentionHops"/>, by
    /// chip index): the distance Q, K/V, scores and probabilities travel to and from the pool (docs/scheduler.md).
    /// </summary>
    public IReadOnlyList<double> AttentionPoolHops { get; init; } = [];
    /// <summary>Chip-to-chip link bits per chip cycle (from the interconnect device model; multi-chip mappings).</summary>
    public double ChipLinkBitsPerCycle { get; init; } = double.PositiveInfinity;
    /// <summary>Cycles of one chip-to-chip transfer's latency.</summary>
    public long ChipLinkLatencyCycles { get; init; }
    /// <summary>Per-port rate and access latency of the tile buffer (source) and global buffer (destination) of a
    /// transfer, from <see cref="Devices.Memory.BufferModel"/>; the link count above is the global buffer's ports.</summary>
    public double TileBufferBitsPerCyclePerPort { get; init; } = double.PositiveInfinity;
    public long TileBufferLatencyCycles { get; init; }
    public double GlobalBufferBitsPerCyclePerPort { get; init; } = double.PositiveInfinity;
    public long GlobalBufferLatencyCycles { get; init; }

    // --- off-chip memory (embedding table, KV spill, matrices on the digital unit) ---
    public required double DramBitsPerCycle { get; init; }
    public required long DramLatencyCycles { get; init; }
    /// <summary>On-chip KV capacity in bits; KV beyond it is read from off-chip memory at every step.</summary>
    public required long KvOnChipCapacityBits { get; init; }
    public bool EmbeddingOffChip { get; init; } = true;

    /// <summary>Number of DAC steps per input vector: ceil(input bits / DAC bits).</summary>
    public int DacSteps => (InputBits + DacBits - 1) / DacBits;

    /// <summary>DAC steps sensed at the same time on copies of an array (rram.dac.parallel_steps, input-parallel sensing).</summary>
    public int ParallelDacSteps { get; init; } = 1;

    /// <summary>DAC steps one after another per input vector: ceil(S / parallel steps).</summary>
    public int SequentialDacSteps => (DacSteps + ParallelDacSteps - 1) / ParallelDacSteps;

    /// <summary>Chip cycles of <paramref name="digitalCycles"/> cycles of the vector unit's clock (through seconds, rounded up).</summary>
    public long ChipCyclesOfDigital(Cycles digitalCycles) => Clock.FromSecondsCeiling(Digital.Clock.ToSeconds(digitalCycles)).Value;
}
