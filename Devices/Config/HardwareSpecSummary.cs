using System.Globalization;
using CimSim.Common.Noise;

namespace CimSim.Devices.Config;

/// <summary>A one-screen, human-readable summary of a spec (what `cimsim validate` prints).</summary>
public static class HardwareSpecSummary
{
    public static IReadOnlyList<string> Lines(HardwareSpec s)
    {
        var r = s.Rram;
        var a = r.Array;
        var d = r.Device;
        var adc = r.Adc;
        var n = r.Noise;
        var lines = new List<string>
        {
            $"name          {s.Name}",
            $"technology    {s.Technology.NodeNanometres} nm, {G(s.Technology.SupplyVoltageVolts)} V supply, chip clock {Si(s.Clock.FrequencyHz, "Hz")}",
            $"RRAM array    {a.Rows} x {a.Cols}, {a.BitsPerCell} bit/cell, {a.WeightBits}-bit weights in {a.WeightSlices} slice(s), {Yaml(a.Encoding)} encoding, {a.CellsPerWeight} cell(s)/weight, replication {a.Replication}",
            $"RRAM cell     G {G(d.GMinMicrosiemens)} .. {G(d.GMaxMicrosiemens)} uS (R_on {Si(d.ROnOhm, "Ohm")}, on/off {G(d.OnOffRatio)}), read {G(d.ReadVoltageVolts)} V x {Si(d.ReadPulseSeconds, "s")}, {G(d.CellAreaSquareMicrometres)} um^2",
            $"DAC           {r.Dac.Bits}-bit, {(r.Dac.BitSerial ? "bit-serial" : "parallel")}: {r.Dac.Steps} step(s) per {r.Dac.InputBits}-bit {(r.Dac.SignedInputs ? "signed" : "unsigned")} input, {G(new Rram.RramArrayModel(r).Dac.EnergyPicojoulesPerDrive)} pJ/drive ({Yaml(r.Dac.Impl)}){(r.Dac.ParallelSteps > 1 ? $", {r.Dac.ParallelSteps} steps sensed in parallel" : "")}",
            $"ADC           {adc.Bits}-bit {Yaml(adc.Impl)}, {adc.ColsPerAdc} col(s)/ADC ({Math.Max(1, a.Cols / adc.ColsPerAdc)} per array), " +
                (adc.Ideal ? "ideal (exact conversion, priced as " + adc.Bits + "-bit)" : $"full scale {Yaml(adc.Range.FullScale)}" + (adc.Range.FullScale == AdcFullScaleMode.Fraction ? $" x {G(adc.Range.ClipFraction)}" : ""))
                + $"; column sums span {ColumnSumBits(s):0.#} bits" + AdcDesignPoint(s),
            $"noise         {NoiseText(n)}",
            $"tile          {r.ArraysPerTile} RRAM arrays ({(long)r.ArraysPerTile * a.Rows * (a.Cols / a.CellsPerWeight):N0} weights) + {s.SramCim.MacrosPerTile} SRAM CIM macros, tile buffer {Bytes(s.TileBuffer.CapacityBytes)}",
            $"SRAM CIM      {s.SramCim.Rows} x {s.SramCim.Cols} ({s.SramCim.WeightCapacity:N0} {s.SramCim.WeightBits}-bit weights), {G(s.SramCim.EnergyPicojoulesPerMac)} pJ/MAC, {Si(s.SramCim.LatencySecondsPerOp, "s")}/op",
            $"buffer        {Bytes(s.Buffer.CapacityBytes)} {Yaml(s.Buffer.Kind)}, {Si(s.Buffer.BandwidthBytesPerSecond, "B/s")}, {G(s.Buffer.ReadEnergyPicojoulesPerBit)} pJ/bit read",
            $"interconnect  {Yaml(s.Interconnect.Topology)}, {s.Interconnect.LinkWidthBits}-bit links, {s.Interconnect.HopLatencyCycles} cycle(s)/hop, {G(s.Interconnect.RouterEnergyPicojoulesPerBit + s.Interconnect.LinkEnergyPicojoulesPerBitPerHop)} pJ/bit/hop",
            $"digital       {s.Digital.Lanes} lanes at {Si(s.Digital.FrequencyHz, "Hz")}, FP{s.Digital.PrecisionBits}: add {G(s.Digital.AddEnergyPicojoules)} / mul {G(s.Digital.MulEnergyPicojoules)} / exp {G(s.Digital.ExpEnergyPicojoules)} pJ",
            $"DRAM          {Yaml(s.Dram.Kind)}, {Si(s.Dram.BandwidthBytesPerSecond, "B/s")}, {G(s.Dram.EnergyPicojoulesPerBit)} pJ/bit",
            $"chip          tiles {(s.Chip.Tiles == 0 ? "auto (as many as the model needs)" : s.Chip.Tiles.ToString(CultureInfo.InvariantCulture))}, area budget {(s.Chip.MaxAreaSquareMillimetres > 0 ? G(s.Chip.MaxAreaSquareMillimetres) + " mm^2" : "none")}",
            $"mapping       W0 {Yaml(s.Mapping.W0)}, LoRA {Yaml(s.Mapping.Lora)}, LM head {Yaml(s.Mapping.LmHead)}, attention {Yaml(s.Mapping.Attention)}, KV cache {Yaml(s.Mapping.KvCache)}, embedding {Yaml(s.Mapping.Embedding)}",
        };
        return lines;
    }

    /// <summary>log2 of the number of levels a column partial sum can take in one DAC step: rows x input step levels x cell levels.</summary>
    public static double ColumnSumBits(HardwareSpec s)
    {
        var r = s.Rram;
        var stepBits = r.Dac.BitSerial ? Math.Min(r.Dac.Bits, r.Dac.InputBits) : r.Dac.InputBits;
        var levels = (double)r.Array.Rows * ((1L << stepBits) - 1) * ((1L << r.Array.BitsPerCell) - 1) + 1;
        return Math.Log2(levels);
    }

    private static string NoiseText(RramNoiseSpec n)
    {
        var parts = new List<string>();
        if (n.WeightNoise.Sigma > 0)
            parts.Add($"weight noise sigma {G(n.WeightNoise.Sigma)} x " + n.WeightNoise.Scale switch
            {
                NoiseScale.Tile => $"max|W| per {n.WeightNoise.TileRows}x{n.WeightNoise.TileCols} tile",
                NoiseScale.Layer => "max|W| per layer",
                _ => "|w|",
            });
        var p = n.Programming;
        if (p.Impl != ProgrammingNoiseModel.None)
            parts.Add("programming " + Yaml(p.Impl) + p.Impl switch
            {
                ProgrammingNoiseModel.GaussianAbsolute => $" {G(p.SigmaMicrosiemens)} uS",
                ProgrammingNoiseModel.Polynomial => $" {p.CoefficientsMicrosiemens} uS, x = G/{G(p.FitGMaxMicrosiemens)} uS",
                _ => $" sigma {G(p.Sigma)}",
            });
        if (n.Read.Sigma > 0) parts.Add($"read sigma {G(n.Read.Sigma)} x {Yaml(n.Read.RelativeTo)}");
        if (n.StuckAt.RateGmin > 0 || n.StuckAt.RateGmax > 0) parts.Add($"stuck-at G_min {G(n.StuckAt.RateGmin)}, G_max {G(n.StuckAt.RateGmax)}");
        if (n.Drift.Enabled) parts.Add($"drift nu {G(n.Drift.Nu)} at t = {G(n.Drift.TSeconds)} s");
        if (n.IrDrop.Enabled) parts.Add($"IR drop {G(n.IrDrop.WireResistanceOhmPerCell)} Ohm/cell");
        return parts.Count == 0 ? "all off (exact)" : string.Join("; ", parts);
    }

    private static string Yaml(Enum e) => ConfigSchema.EnumToYaml(e);

    private static string G(double x) => x.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>Engineering notation with an SI prefix: 1e9 Hz -> "1 GHz", 1e-8 s -> "10 ns".</summary>
    public static string Si(double x, string unit)
    {
        if (x == 0 || !double.IsFinite(x)) return G(x) + " " + unit;
        string[] prefixes = ["f", "p", "n", "u", "m", "", "k", "M", "G", "T", "P"];
        var exp = (int)Math.Floor(Math.Log10(Math.Abs(x)) / 3);
        exp = Math.Clamp(exp, -5, 5);
        return G(x / Math.Pow(1000, exp)) + " " + prefixes[exp + 5] + unit;
    }

    private static string Bytes(long b) =>
        b >= 1L << 30 && b % (1L << 30) == 0 ? $"{b >> 30} GiB" :
        b >= 1L << 20 && b % (1L << 20) == 0 ? $"{b >> 20} MiB" :
        b >= 1L << 10 && b % (1L << 10) == 0 ? $"{b >> 10} KiB" : $"{b} B";

    /// <summary>The ADC model's design point (energy, time, area per conversion), when the RRAM section can be modelled.</summary>
    private static string AdcDesignPoint(HardwareSpec s)
    {
        if (Rram.RramFormat.Problems(s.Rram).Count > 0) return "";
        var adc = new Rram.RramArrayModel(s.Rram).Adc;
        return $"; {G(adc.EnergyPicojoulesPerConversion)} pJ, {Si(adc.LatencySecondsPerConversion, "s")}, {G(adc.AreaSquareMicrometres)} um^2 per ADC";
    }
}
