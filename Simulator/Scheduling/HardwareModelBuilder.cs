using CimSim.Devices.Config;
using CimSim.Devices.Memory;
using CimSim.Devices.Periphery;
using CimSim.Mapping;

namespace CimSim.Simulator.Scheduling;

/// <summary>
/// Builds the scheduler's <see cref="CimHardwareModel"/> from a validated <see cref="HardwareSpec"/> and the
/// workload shape: per-action cycles from the spec's latencies through the chip clock, per-action energies from
/// the device equations (docs/scheduler.md cites each), and array / macro counts from the weight-stationary
/// placement (every projection of every layer on its own arrays, K/V of each layer in its own SRAM macros).
/// </summary>
public static class HardwareModelBuilder
{
    /// <summary>
    /// Fraction of word lines that conduct in one DAC step: the device layer's bit-serial row activity (1/2),
    /// documented in docs/devices.md and docs/scheduler.md.
    /// </summary>
    public const double InputActivity = CimSim.Devices.Rram.RramArrayModel.DefaultRowActivity;

    private static long Cycles(double seconds, double hz) => Math.Max(0, (long)Math.Ceiling(seconds * hz - 1e-9));

    /// <summary>
    /// ADC energy per conversion (pJ) and conversion time (s), sample-and-hold included, from the device layer's ADC
    /// cost model named by rram.adc.impl (Devices/Periphery/AdcCostModel.cs; equations in docs/devices.md).
    /// The column resistance seen by the NeuroSim SAR fit is that of all rows conducting at mid conductance.
    /// </summary>
    public static (double EnergyPj, double LatencyS) Adc(RramSpec rram)
    {
        var gMid = 0.5 * (rram.Device.GMinMicrosiemens + rram.Device.GMaxMicrosiemens) * 1e-6;
        var rCol = 1.0 / Math.Max(1e-30, rram.Array.Rows * gMid);
        var adc = AdcCostModel.Create(rram.Adc, rCol);
        return (adc.EnergyPicojoulesPerConversion + rram.Adc.SampleHold.EnergyPicojoules,
            adc.LatencySecondsPerConversion + rram.Adc.SampleHold.LatencySeconds);
    }

    /// <summary>Arrays holding one In x Out matrix: ceil(In/rows) x ceil(Out x cells per weight / cols) x replication.</summary>
    public static long ArraysFor(RramArraySpec a, long inFeatures, long outFeatures) =>
        CimCostModel.CeilDiv(inFeatures, a.Rows) * CimCostModel.CeilDiv(outFeatures * a.CellsPerWeight, a.Cols) * a.Replication;

    /// <summary>
    /// Builds the model; with a <paramref name="mapping"/> (the Mapper's result) its array, tile and macro counts,
    /// area and KV placement are used, otherwise the same weight-stationary counts are computed here.
    /// </summary>
    public static CimHardwareModel Build(HardwareSpec hw, TransformerShape shape, MappingResult? mapping = null, int attentionLayersResident = int.MaxValue)
    {
        var f = hw.Clock.FrequencyHz;
        var rram = hw.Rram;
        var arr = rram.Array;
        var (adcE, adcT) = Adc(rram);
        var sram = hw.SramCim;

        // Weight-stationary placement: every projection of every layer, plus lm_head when mapped to RRAM.
        long arrays = 0;
        foreach (var p in Enum.GetValues<Projection>())
        {
            var (i, o) = shape.Shape(p);
            arrays += shape.Layers * ArraysFor(arr, i, o);
        }
        var lmHeadOnRram = hw.Mapping.LmHead == ComputeTarget.Rram;
        if (lmHeadOnRram) arrays += ArraysFor(arr, shape.Hidden, shape.Vocab);
        if (mapping is not null) arrays = mapping.RramArrays;
        var tiles = mapping?.Tiles ?? CimCostModel.CeilDiv(arrays, rram.ArraysPerTile);

        long macroCap = (long)sram.Rows * sram.Cols;
        long loraMacros = 0;
        foreach (var p in Enum.GetValues<Projection>())
        {
            if (!shape.HasLora(p)) continue;
            var (i, o) = shape.Shape(p);
            loraMacros += shape.Layers * (CimCostModel.CeilDiv((long)i * shape.LoraRank * sram.WeightBits, macroCap)
                                          + CimCostModel.CeilDiv((long)shape.LoraRank * o * sram.WeightBits, macroCap));
        }
        var attentionOnSram = hw.Mapping.Attention == DynamicMatmulTarget.Sram;
        long kvBitsPerLayer = (long)(shape.PromptTokens + shape.GeneratedTokens) * 2 * shape.KvDim * sram.InputBits * shape.Batch;
        var attentionMacros = attentionOnSram ? shape.Layers * Math.Max(1, CimCostModel.CeilDiv(kvBitsPerLayer, macroCap)) : 0;
        if (mapping is not null)
        {
            loraMacros = mapping.SramWeightMacros;
            attentionMacros = mapping.SramAttentionMacros;
        }
        else attentionLayersResident = shape.Layers;

        var gMid = 0.5 * (rram.Device.GMinMicrosiemens + rram.Device.GMaxMicrosiemens) * 1e-6;
        var v = rram.Device.ReadVoltageVolts;
        var adcsPerArray = CimCostModel.CeilDiv(arr.Cols, rram.Adc.ColsPerAdc);
        var hops = hw.Interconnect.Topology == InterconnectTopology.Bus ? 1.0 : Math.Max(1.0, 2.0 / 3.0 * Math.Sqrt(tiles));
        var digitalRatio = hw.Digital.FrequencyHz / f;

        var area = mapping is not null
            ? new SortedDictionary<string, double>(mapping.Area.GroupBy(a => a.Component).ToDictionary(g => g.Key, g => g.Sum(a => a.SquareMillimetres)), StringComparer.Ordinal)
            : new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["rram_arrays"] = arrays * arr.Cells * rram.Device.CellAreaSquareMicrometres * 1e-6,
            ["dac"] = arrays * arr.Rows * rram.Dac.AreaSquareMicrometres * 1e-6,
            ["adc"] = arrays * adcsPerArray * (rram.Adc.AreaSquareMicrometres + rram.Adc.SampleHold.AreaSquareMicrometres) * 1e-6,
            ["shift_add"] = arrays * adcsPerArray * rram.ShiftAdd.AreaSquareMicrometres * 1e-6,
            ["sram_cim"] = (loraMacros + attentionMacros) * sram.AreaSquareMicrometres * 1e-6,
            ["buffer"] = hw.Buffer.AreaSquareMillimetres + tiles * hw.TileBuffer.AreaSquareMillimetres,
            ["digital_unit"] = hw.Digital.AreaSquareMillimetres,
            ["tile_overhead"] = tiles * hw.Chip.TileOverheadAreaSquareMillimetres,
        };
        var leakage = arrays * adcsPerArray * rram.Adc.LeakagePowerWatts
                      + (loraMacros + attentionMacros) * sram.LeakagePowerWatts
                      + hw.Buffer.LeakagePowerWatts + tiles * hw.TileBuffer.LeakagePowerWatts
                      + hw.Digital.LeakagePowerWatts + hw.Chip.LeakagePowerWatts;

        return new CimHardwareModel
        {
            Clock = hw.ChipClock,
            ArrayRows = arr.Rows,
            ArrayColumns = arr.Cols,
            ColumnsPerWeight = arr.CellsPerWeight,
            InputBits = rram.Dac.InputBits,
            DacBits = rram.Dac.BitSerial ? rram.Dac.Bits : rram.Dac.InputBits,
            ColumnsPerAdc = rram.Adc.ColsPerAdc,
            ArrayReadCycles = Math.Max(1, Cycles(rram.Dac.LatencySeconds + rram.Device.ReadPulseSeconds, f)),
            AdcConversionCycles = Math.Max(1, Cycles(adcT, f)),
            ShiftAddCycles = Cycles(rram.ShiftAdd.LatencySeconds, f),
            PartialSumAddCycles = Math.Max(1, Cycles(rram.ShiftAdd.LatencySeconds, f)),
            Replication = arr.Replication,
            // Ohmic read of one cell for one DAC step: E = a V^2 G t at the mid conductance, a the input activity (docs/scheduler.md).
            ArrayReadEnergyPjPerRowColumn = InputActivity * v * v * gMid * rram.Device.ReadPulseSeconds * 1e12,
            DacEnergyPjPerConversion = rram.Dac.EnergyPicojoulesPerDrive,
            AdcEnergyPjPerConversion = adcE,
            ShiftAddEnergyPjPerOp = rram.ShiftAdd.EnergyPicojoules,
            SramMacsPerCyclePerMacro = sram.MacsPerOp / Math.Max(1.0, sram.LatencySecondsPerOp * f),
            SramMacroCapacityBits = macroCap,
            SramMacEnergyPj = sram.EnergyPicojoulesPerMac,
            SramWriteEnergyPjPerBit = sram.WriteEnergyPicojoulesPerBit,
            SramWriteBitsPerCyclePerMacro = sram.Cols / Math.Max(1.0, sram.WriteLatencySecondsPerRow * f),
            AttentionMacros = (int)Math.Max(1, attentionMacros),
            AttentionOnSramCim = attentionOnSram,
            AttentionLayersResident = attentionLayersResident,
            LoraWeightBits = sram.WeightBits,
            KvBits = sram.InputBits,
            DigitalUnits = 1,
            DigitalOpsPerCyclePerUnit = hw.Digital.Lanes * digitalRatio,
            DigitalEnergyPjPerOp = 0.5 * (hw.Digital.AddEnergyPicojoules + hw.Digital.MulEnergyPicojoules),
            BufferEnergyPjPerBit = 0.5 * (hw.TileBuffer.ReadEnergyPicojoulesPerBit + hw.TileBuffer.WriteEnergyPicojoulesPerBit),
            InterconnectLinks = hw.Buffer.Ports,
            LinkBitsPerCycle = hw.Interconnect.LinkWidthBits,
            LinkLatencyCycles = hw.Interconnect.HopLatencyCycles,
            AverageHops = hops,
            TileBufferBitsPerCyclePerPort = new BufferModel(hw.TileBuffer, "tile_buffer").BitsPerCyclePerPort(f),
            TileBufferLatencyCycles = new BufferModel(hw.TileBuffer, "tile_buffer").LatencyCycles(f),
            GlobalBufferBitsPerCyclePerPort = new BufferModel(hw.Buffer).BitsPerCyclePerPort(f),
            GlobalBufferLatencyCycles = new BufferModel(hw.Buffer).LatencyCycles(f),
            InterconnectEnergyPjPerBitHop = hw.Interconnect.LinkEnergyPicojoulesPerBitPerHop + hw.Interconnect.RouterEnergyPicojoulesPerBit,
            DramBitsPerCycle = hw.Dram.BandwidthBytesPerSecond * 8 / f,
            DramLatencyCycles = Cycles(hw.Dram.LatencySeconds, f),
            DramEnergyPjPerBit = hw.Dram.EnergyPicojoulesPerBit,
            KvOnChipCapacityBits = mapping is not null
                ? mapping.KvCache.OnChipBytes * 8
                : hw.Mapping.KvCache == StorageTarget.Buffer ? hw.Buffer.CapacityBytes * 8 : 0,
            LmHeadOnRram = lmHeadOnRram,
            EmbeddingOffChip = hw.Mapping.Embedding == StorageTarget.Dram,
            LeakagePowerW = leakage,
            AreaMm2 = area,
        };
    }
}
