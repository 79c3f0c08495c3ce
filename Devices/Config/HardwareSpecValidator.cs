namespace CimSim.Devices.Config;

/// <summary>
/// Cross-field checks that no single key's range can express (slices divide weight bits, ADC sharing divides columns,
/// G_min below G_max, ...). Per-key type and range checks happen while binding.
/// </summary>
public static class HardwareSpecValidator
{
    /// <summary>Every cross-field problem of a spec; <paramref name="locate"/> maps a YAML path to where it was written.</summary>
    public static IReadOnlyList<ConfigProblem> Validate(HardwareSpec spec, Func<string, ConfigLocation>? locate = null)
    {
        locate ??= _ => ConfigLocation.Default;
        var problems = new List<ConfigProblem>();
        void Add(string path, string message) => problems.Add(new ConfigProblem(locate(path), path, message));

        var r = spec.Rram;
        var a = r.Array;
        if (a.StoredBits % a.BitsPerCell != 0)
            Add("rram.array.weight_bits", $"found weight_bits {a.WeightBits} ({a.StoredBits} stored bits with {ConfigSchema.EnumToYaml(a.Encoding)} encoding) and bits_per_cell {a.BitsPerCell}; expected the stored bits to be a multiple of bits_per_cell (whole slices)");
        if (a.Encoding == WeightEncoding.Differential && a.Cols % 2 != 0)
            Add("rram.array.cols", $"found {a.Cols} columns with differential encoding; expected an even number (G+/G- column pairs)");
        if (a.Cols % r.Adc.ColsPerAdc != 0)
            Add("rram.adc.cols_per_adc", $"found cols_per_adc {r.Adc.ColsPerAdc}, which does not divide rram.array.cols {a.Cols}; expected a divisor of the column count");
        if (r.Adc.ColsPerAdc > a.Cols && a.Cols % r.Adc.ColsPerAdc == 0)
            Add("rram.adc.cols_per_adc", $"found cols_per_adc {r.Adc.ColsPerAdc} > cols {a.Cols}; expected at most the column count");

        var d = r.Device;
        if (!(d.GMinMicrosiemens < d.GMaxMicrosiemens))
            Add("rram.device.g_min_us", $"found G_min {d.GMinMicrosiemens} uS >= G_max {d.GMaxMicrosiemens} uS; expected G_min < G_max (R_off > R_on)");

        var dac = r.Dac;
        if (!dac.BitSerial && dac.Bits != dac.InputBits)
            Add("rram.dac.bits", $"found a {dac.Bits}-bit DAC with bit_serial false and input_bits {dac.InputBits}; expected bits = input_bits (or bit_serial: true)");
        if (dac.BitSerial && dac.Bits > dac.InputBits)
            Add("rram.dac.bits", $"found DAC bits {dac.Bits} > input_bits {dac.InputBits}; expected at most input_bits");
        else if (dac.ParallelSteps > dac.Steps)
            Add("rram.dac.parallel_steps", $"found {dac.ParallelSteps} parallel steps for {dac.Steps} DAC step(s) per input; expected at most {dac.Steps}");

        var adc = r.Adc;
        var table = adc.Table;
        if (table.Bits.Count != table.EnergyPicojoules.Count)
            Add("rram.adc.table.energy_pj", $"found {table.EnergyPicojoules.Count} energies for {table.Bits.Count} resolutions; expected one energy per entry of rram.adc.table.bits");
        if (adc.Impl == AdcModelKind.Table && table.Bits.Count == 0)
            Add("rram.adc.table.bits", "found an empty table with impl: table; expected at least one (bits, energy_pj) point");
        for (var i = 1; i < table.Bits.Count; i++)
            if (table.Bits[i] <= table.Bits[i - 1])
            {
                Add("rram.adc.table.bits", $"found {table.Bits}; expected strictly ascending resolutions");
                break;
            }
        if (table.Bits.Any(b => b is < 1 or > 16)) Add("rram.adc.table.bits", $"found {table.Bits}; expected resolutions in 1 .. 16");
        if (table.EnergyPicojoules.Any(e => !(e > 0))) Add("rram.adc.table.energy_pj", $"found {table.EnergyPicojoules}; expected energies > 0 pJ");
        if (adc.Walden.EnobLossBits >= adc.Bits)
            Add("rram.adc.walden.enob_loss_bits", $"found {adc.Walden.EnobLossBits} with a {adc.Bits}-bit ADC; expected fewer lost bits than the resolution");
        if (adc.Impl == AdcModelKind.SarNeurosim && (adc.SarNeurosim.AMicrowatts < 0 || adc.SarNeurosim.BMicrowatts < 0))
            Add("rram.adc.sar_neurosim", "found a negative a_uw or b_uw; expected a non-negative power fit");

        var n = r.Noise;
        if (n.Programming.Impl == ProgrammingNoiseModel.Polynomial && n.Programming.CoefficientsMicrosiemens.Count == 0)
            Add("rram.noise.programming.coefficients_us", "found no coefficients with impl: polynomial; expected c0..cn, e.g. [0.348, 16.030, -43.853, 45.393, -16.815]");
        if (n.StuckAt.RateGmin + n.StuckAt.RateGmax > 1)
            Add("rram.noise.stuck_at.rate_gmax", $"found rate_gmin + rate_gmax = {n.StuckAt.RateGmin + n.StuckAt.RateGmax}; expected at most 1");
        if (n.Drift.Enabled && n.Drift.TSeconds < n.Drift.T0Seconds)
            Add("rram.noise.drift.t_s", $"found t_s {n.Drift.TSeconds} s < t0_s {n.Drift.T0Seconds} s; expected the read time at or after the reference time");

        var s = spec.SramCim;
        if (s.Cols % s.WeightBits != 0)
            Add("sram_cim.cols", $"found {s.Cols} columns with {s.WeightBits}-bit weights; expected cols to be a multiple of weight_bits");
        var m = spec.Mapping;
        foreach (var (path, needs) in new[]
                 {
                     ("mapping.w0", m.W0 == ComputeTarget.Sram), ("mapping.lora", m.Lora == ComputeTarget.Sram),
                     ("mapping.lm_head", m.LmHead == ComputeTarget.Sram), ("mapping.attention", m.Attention == DynamicMatmulTarget.Sram),
                 })
            if (needs && s.MacrosPerTile == 0)
                Add(path, "found sram placement with sram_cim.macros_per_tile 0; expected at least one SRAM CIM macro per tile");

        var t = spec.Buffer;
        if (t.CapacityBytes * 8 < t.AccessWidthBits)
            Add("buffer.capacity_bytes", $"found {t.CapacityBytes} B, smaller than one {t.AccessWidthBits}-bit access; expected a larger buffer");
        var tb = spec.TileBuffer;
        if (tb.CapacityBytes * 8 < tb.AccessWidthBits)
            Add("tile_buffer.capacity_bytes", $"found {tb.CapacityBytes} B, smaller than one {tb.AccessWidthBits}-bit access; expected a larger buffer");
        return problems;
    }

    /// <summary>
    /// Legal but suspicious settings (printed by `cimsim validate` as warnings, never errors): double-counted noise,
    /// a noise model switched on with zero strength, an ADC table extrapolated beyond its points.
    /// </summary>
    public static IReadOnlyList<string> Warnings(HardwareSpec spec)
    {
        var w = new List<string>();
        var n = spec.Rram.Noise;
        var deviceNoise = n.Programming.Impl != ProgrammingNoiseModel.None || n.Read.Sigma > 0 || n.StuckAt.RateGmin > 0 || n.StuckAt.RateGmax > 0 || n.Drift.Enabled;
        if (n.WeightNoise.Sigma > 0 && deviceNoise)
            w.Add("rram.noise: the paper's abstract weight_noise and device-level noise are both on; the same variability may be counted twice");
        var p = n.Programming;
        if ((p.Impl is ProgrammingNoiseModel.GaussianRelativeG or ProgrammingNoiseModel.GaussianRelativeGmax && p.Sigma == 0)
            || (p.Impl == ProgrammingNoiseModel.GaussianAbsolute && p.SigmaMicrosiemens == 0))
            w.Add($"rram.noise.programming: impl {ConfigSchema.EnumToYaml(p.Impl)} with zero sigma{(p.Impl == ProgrammingNoiseModel.GaussianAbsolute ? "_us" : "")} adds no noise");
        if (n.Drift.Enabled && n.Drift.Nu == 0 && n.Drift.NuSigma == 0)
            w.Add("rram.noise.drift: enabled with nu 0 and nu_sigma 0 has no effect");
        if (n.Drift.Compensation && !n.Drift.Enabled)
            w.Add("rram.noise.drift.compensation: on with drift disabled has nothing to compensate (its reference reads are still priced by cimsim lifecycle)");
        if (spec.Rram.ProgramVerify.Enabled && p.Impl == ProgrammingNoiseModel.None)
            w.Add("rram.program_verify: enabled with rram.noise.programming.impl none: every first pulse lands on target (one pulse per cell, no residual)");
        if (n.IrDrop.Enabled && n.IrDrop.WireResistanceOhmPerCell == 0)
            w.Add("rram.noise.ir_drop: enabled with wire_resistance_ohm 0 has no effect");
        // The ADC model states its own validity range (docs/devices.md, "ADC cost models").
        if (Validate(spec).Count == 0 && Rram.RramFormat.Problems(spec.Rram).Count == 0) w.AddRange(new Rram.RramArrayModel(spec.Rram).Adc.RangeWarnings);
        if (p.Impl == ProgrammingNoiseModel.Polynomial && Math.Abs(p.FitGMaxMicrosiemens - spec.Rram.Device.GMaxMicrosiemens) > 1e-9 * p.FitGMaxMicrosiemens)
            w.Add($"rram.noise.programming: the polynomial was fitted for gmax_us {p.FitGMaxMicrosiemens} but the device has g_max_us {spec.Rram.Device.GMaxMicrosiemens}; check how the model rescales it (docs/devices.md)");
        return w;
    }
}
