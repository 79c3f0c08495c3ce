using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Devices.Rram;
using CimSim.Mapping;

namespace CimSim.Simulator.Scheduling;

/// <summary>
/// Builds the scheduler's <see cref="CimHardwareModel"/>: geometry and per-action latencies read from the device
/// models (<see cref="DeviceTables"/>) through the chip clock, unit counts from the <see cref="MappingResult"/>.
/// Nothing here prices an action: energies, areas and leakage stay in the device models (docs/scheduler.md).
/// </summary>
public static class HardwareModelBuilder
{
    /// <summary>Builds the model for a mapped workload; <paramref name="attentionLayersResident"/> is the mapper's option.</summary>
    public static CimHardwareModel Build(HardwareSpec hw, DeviceTables devices, MappingResult mapping, int attentionLayersResident)
    {
        ArgumentNullException.ThrowIfNull(hw);
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(mapping);
        var clock = hw.ChipClock;
        var rram = devices.Rram;
        var shiftAddCycles = clock.FromSecondsCeiling(rram.Spec.ShiftAdd.LatencySeconds).Value;
        return new CimHardwareModel
        {
            Clock = clock,
            Mapping = mapping,
            // Crossbars: geometry and the latencies of the array model's actions.
            ArrayRows = rram.Rows,
            ArrayColumns = rram.Columns,
            ColumnsPerWeight = rram.Spec.Array.CellsPerWeight,
            ChannelsPerWeight = rram.Spec.Array.WeightSlices,
            ReferenceColumnsPerArray = rram.ReferenceColumns,
            InputBits = rram.Spec.Dac.InputBits,
            DacBits = rram.Format.DacBits,
            ParallelDacSteps = rram.ParallelSteps,
            AdcsPerArray = rram.AdcsPerArray,
            ConversionsPerAdcPerStep = rram.ConversionsPerAdcPerStep,
            ArrayReadCycles = Math.Max(1, clock.FromSecondsCeiling(rram.AnalogPhaseSeconds).Value),
            AdcConversionCycles = Math.Max(1, clock.FromSecondsCeiling(rram.Adc.LatencySecondsPerConversion).Value),
            AdcConversionCyclesAt = [0, .. Enumerable.Range(1, RramArrayModel.MaxAdcBits).Select(b => Math.Max(1, clock.FromSecondsCeiling(rram.AdcAt(b).LatencySecondsPerConversion).Value))],
            ShiftAddCycles = shiftAddCycles,
            PartialSumAddCycles = Math.Max(1, shiftAddCycles),
            Replication = rram.Spec.Array.Replication,
            // SRAM CIM macros: throughput of the macro model, pool sizes of the mapping.
            SramMacsPerCyclePerMacro = clock.PerCycle(devices.Sram.MacsPerSecondPerMacro),
            SramWriteBitsPerCyclePerMacro = clock.PerCycle(devices.Sram.WriteBitsPerSecondPerMacro),
            AttentionMacros = (int)Math.Max(1, mapping.SramAttentionMacros),
            AttentionOnSramCim = mapping.Attention == DynamicMatmulTarget.Sram,
            AttentionLayersResident = attentionLayersResident,
            StreamedWeightBits = rram.Spec.Array.WeightBits,
            KvBits = hw.SramCim.InputBits,
            // Digital unit: the device model times its primitives in its own clock.
            Digital = devices.Digital,
            DigitalUnits = 1,
            // Interconnect, buffers and off-chip memory.
            InterconnectLinks = hw.Buffer.Ports,
            LinkBitsPerCycle = hw.Interconnect.LinkWidthBits,
            LinkLatencyCycles = hw.Interconnect.HopLatencyCycles,
            AverageHops = AverageHops(hw.Interconnect, mapping),
            AttentionPoolHops = mapping.ChipList.Select(c => c.AttentionHops).ToArray(),
            // Buffer ports and access latencies time every transfer (the buffer device model owns them; issue 14).
            TileBufferBitsPerCyclePerPort = devices.TileBuffer.BitsPerCyclePerPort(clock.FrequencyHz),
            TileBufferLatencyCycles = devices.TileBuffer.LatencyCycles(clock.FrequencyHz),
            GlobalBufferBitsPerCyclePerPort = devices.GlobalBuffer.BitsPerCyclePerPort(clock.FrequencyHz),
            GlobalBufferLatencyCycles = devices.GlobalBuffer.LatencyCycles(clock.FrequencyHz),
            ChipLinkBitsPerCycle = clock.PerCycle(devices.Interconnect.LinkBitsPerSecond),
            ChipLinkLatencyCycles = clock.FromSecondsCeiling(devices.Interconnect.LinkLatencySeconds).Value,
            DramBitsPerCycle = clock.PerCycle(hw.Dram.BandwidthBytesPerSecond * 8),
            DramLatencyCycles = clock.FromSecondsCeiling(hw.Dram.LatencySeconds).Value,
            KvOnChipCapacityBits = mapping.KvCache.OnChipBytes * 8,
            EmbeddingOffChip = mapping.Embedding == StorageTarget.Dram,
        };
    }

    /// <summary>
    /// Mean hops of an activation transfer that carries no placement-derived hops of its own: the mapping's mean over
    /// all mesh bits (docs/mapping.md "Topology") when it walked the work; else 1 on a bus, 2/3 sqrt(tiles) on a mesh.
    /// </summary>
    public static double AverageHops(InterconnectSpec net, MappingResult mapping) =>
        mapping.Work.NocBits > 0 ? mapping.Work.AverageHops
        : net.Topology == InterconnectTopology.Bus ? 1.0 : Math.Max(1.0, 2.0 / 3.0 * Math.Sqrt(mapping.Tiles));
}
