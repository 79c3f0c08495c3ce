using System.Globalization;
using System.Text;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Devices.Periphery;
using CimSim.Mapping;
using CimSim.Simulator.Scheduling;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Simulator.Calibration;

/// <summary>One row of docs/validation.md's calibration table: a published figure, how CimSim was configured, what it gives.</summary>
public sealed record CalibrationRow(
    string Reference, string ConfiguredLike, string Quantity, double Published, double CimSim, string Unit, double Tolerance, string Note)
{
    public double Ratio => CimSim / Published;

    /// <summary>True when |ratio - 1| is within the tolerance (NaN tolerance: reported, not held).</summary>
    public bool Within => !double.IsNaN(Tolerance) && Math.Abs(Ratio - 1) <= Tolerance;
}

/// <summary>Block-level results of the paper's Table 6 accounting (decoder blocks only: no embedding, no LM head).</summary>
public sealed record PaperBlockEnergy(double BlocksJ, double RramShare, double LoraShare, double GpuComputeJ)
{
    public double ComputeRatio => BlocksJ / GpuComputeJ;
}

/// <summary>
/// `cimsim validate --calibration`: CimSim's device models and whole chip against published silicon and the
/// paper (docs/validation.md, "Calibration"). Every row is computed from a shipped hw-config through the same device
/// models and pipeline `simulate` uses; nothing here has its own formula for a price.
/// </summary>
public static class CalibrationTable
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One full-array vector MVM priced by the device tables: TOPS/W (2 ops per MAC) and its latency, seconds.</summary>
    public static (double TopsPerWatt, double MvmSeconds) RramMacro(HardwareSpec spec)
    {
        var devices = new DeviceTables(spec);
        var r = devices.Rram;
        var pj = r.ActionsPerVectorMvm().Sum(kv => kv.Value * devices.EnergyPicojoules(kv.Key.Component, kv.Key.Action));
        // The scheduler's closed form of one vector through one array (docs/scheduler.md), on a mapped toy model.
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var workload = new WorkloadSpec(1, 1, 1);
        var mapping = Mapper.Map(spec, model, null, workload, new MapperOptions { ComputeWork = false });
        var hw = HardwareModelBuilder.Build(spec, devices, mapping, 1);
        var cycles = new CimCostModel(hw, ShapeBuilder.Build(model, null, 1, 1, 1)).ArrayVectorCycles;
        return (2.0 * r.MacsPerVectorMvm / pj, hw.Clock.ToSeconds(new Common.Units.Cycles(cycles)));
    }

    /// <summary>ISAAC's IMA cycle: one 1-bit input step through its crossbars every 100 ns (Shafiee et al., ISCA 2016, REFERENCES 4).</summary>
    public const double IsaacImaStepSeconds = 100e-9;

    /// <summary>Crossbars in one ISAAC IMA (ISCA 2016 Table 1: 8 crossbars of 128x128, 8 ADCs, 8 x 128 DACs and S+H).</summary>
    public const int IsaacCrossbarsPerIma = 8;

    /// <summary>
    /// One ISAAC IMA on the configured device models: per component (adc, sample_hold, dac, rram_array, shift_add) the
    /// energy of one DAC step of <see cref="IsaacCrossbarsPerIma"/> full arrays, priced by the device tables (pJ), and
    /// their area (um^2); plus CimSim's own time for one step (seconds, the scheduler's closed form).
    /// </summary>
    public static (IReadOnlyDictionary<string, double> StepPicojoules, IReadOnlyDictionary<string, double> AreaSquareMicrometres, double StepSeconds) IsaacIma(HardwareSpec spec)
    {
        var devices = new DeviceTables(spec);
        var r = devices.Rram;
        var energy = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var ((component, action), count) in r.ActionsPerVectorMvm())
        {
            var key = action == Devices.Rram.RramArrayModel.SampleHold ? action : component;
            energy[key] = energy.GetValueOrDefault(key) + (double)count / r.DacSteps * IsaacCrossbarsPerIma * devices.EnergyPicojoules(component, action);
        }
        var area = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [Devices.Rram.RramArrayModel.AdcComponent] = IsaacCrossbarsPerIma * r.AdcAreaSquareMicrometres,
            [Devices.Rram.RramArrayModel.SampleHold] = IsaacCrossbarsPerIma * r.SampleHoldAreaSquareMicrometres,
            [Devices.Rram.RramArrayModel.DacComponent] = IsaacCrossbarsPerIma * r.DacAreaSquareMicrometres,
            [Devices.Rram.RramArrayModel.ArrayComponent] = IsaacCrossbarsPerIma * r.CellArrayAreaSquareMicrometres,
            [Devices.Rram.RramArrayModel.ShiftAddComponent] = IsaacCrossbarsPerIma * r.ShiftAddAreaSquareMicrometres,
        };
        var (_, mvmSeconds) = RramMacro(spec);
        return (energy, area, mvmSeconds / r.DacSteps);
    }

    /// <summary>SRAM CIM macro: TOPS/W = 2 / E_mac, TOPS/mm^2 = 2 x MAC rate / macro area.</summary>
    public static (double TopsPerWatt, double TopsPerSquareMillimetre) SramMacro(HardwareSpec spec)
    {
        var m = new DeviceTables(spec).Sram;
        return (2.0 / m.Energy[Devices.Sram.SramCimMacroModel.Mac], 2.0 * m.MacsPerSecondPerMacro / 1e12 / (m.AreaSquareMicrometres * 1e-6));
    }

    /// <summary>
    /// The paper's Table 6 accounting: 512 tokens through the decoder blocks (prompt 512, one generated token, so the
    /// LM head and embedding run once and are left out), W8A8, LoRA r = 4 on q,k,v,up,down; energy of the tasks of
    /// layers 0..L-1 only, priced by the device tables.
    /// </summary>
    public static PaperBlockEnergy PaperBlocks(HardwareSpec spec, string model)
    {
        var run = SimulationRunner.RunStages(new SimulationRequest
        {
            Hardware = spec,
            Model = model,
            PromptTokens = 512,
            GeneratedTokens = 1,
            LoraRank = 4,
            LoraTargets = "q,k,v,up,down",
        });
        var prices = Reports.ReportBuilder.PricesPicojoules(run.Devices);
        double blocks = 0, rram = 0, lora = 0;
        var rramComponents = new HashSet<string>(StringComparer.Ordinal)
        {
            Devices.Rram.RramArrayModel.ArrayComponent, Devices.Rram.RramArrayModel.DacComponent,
            Devices.Rram.RramArrayModel.AdcComponent, Devices.Rram.RramArrayModel.ShiftAddComponent,
        };
        foreach (var t in run.Schedule.Program.Tasks)
        {
            if (t.Layer < 0) continue;
            var counts = run.Schedule.CountsByTemplate[t.Id];
            for (var i = 0; i < prices.Length; i++)
            {
                var j = counts[i] * prices[i] * 1e-12;
                blocks += j;
                if (rramComponents.Contains(CountedActions.All[i].Component)) rram += j;
                if (t.Operator.Contains("lora", StringComparison.Ordinal)) lora += j;
            }
        }
        // Static power over the run's time, attributed to the blocks (0 in the paper's config, which prices dynamic energy).
        blocks += run.Report.Cim.EnergyBreakdownJ[Reports.ReportBuilder.LeakageKey];
        return new PaperBlockEnergy(blocks, rram / blocks, lora / blocks, run.Report.Gpu.ComputeEnergyJ);
    }

    /// <summary>Every calibration row, from the hw-configs under <paramref name="configDir"/>.</summary>
    public static IReadOnlyList<CalibrationRow> Rows(string configDir = "hw-configs")
    {
        var rows = new List<CalibrationRow>();
        var hung = HardwareConfigLoader.Load(Path.Combine(configDir, "hung-rram-22nm.yaml"));
        var (rramTops, mvmS) = RramMacro(hung);
        const string hungLike = "hung-rram-22nm.yaml: 22 nm NeuroSim device, 8b/8b, 1-bit input planes sensed in parallel, 128x128, 8-bit survey ADC";
        rows.Add(new("Hung et al., Nat. Electron. 2021 (REFERENCES 3)", hungLike, "RRAM macro TOPS/W at 8b/8b", 15.6, rramTops, "TOPS/W", 0.30,
            "one full-array MVM priced by the device tables; CimSim counts the resistive cell current V^2 G t"));
        rows.Add(new("Hung et al., JSSC 2023 (REFERENCES 3)", hungLike, "RRAM macro TOPS/W at 8b/8b", 21.6, rramTops, "TOPS/W", 0.30, "as above"));
        rows.Add(new("Hung et al., JSSC 2023 (REFERENCES 3)", hungLike, "latency per 8b/8b MVM", 14.4e-9, mvmS, "s", 0.30,
            "input-parallel sensing (rram.dac.parallel_steps 8, an assumption for the macro's time-space readout): one 10 ns read + 8 conversions per ADC + shift-add; bit-serial (parallel_steps 1) takes 10x"));

        rows.AddRange(IsaacRows(HardwareConfigLoader.Load(Path.Combine(configDir, "isaac-like.yaml"))));

        var paper = HardwareConfigLoader.Load(Path.Combine(configDir, "paper-halora.yaml"));
        var (sramTops, sramDensity) = SramMacro(paper);
        const string isscc = "paper-halora.yaml sram_cim (ISSCC'21 figures)";
        rows.Add(new("TSMC 22 nm digital SRAM CIM, ISSCC 2021 (REFERENCES 4)", isscc, "SRAM CIM TOPS/W", 89, sramTops, "TOPS/W", 0.30,
            "by construction: the SRAM macro is a table model whose energy per MAC is this figure"));
        rows.Add(new("TSMC 22 nm digital SRAM CIM, ISSCC 2021 (REFERENCES 4)", isscc, "SRAM CIM TOPS/mm^2", 16.3, sramDensity, "TOPS/mm^2", 0.30,
            "by construction: macro area derived from this density and the configured MAC rate"));

        var survey = new HardwareSpec().Rram.Adc with { Impl = AdcModelKind.Survey };
        foreach (var bits in new[] { 5, 8, 10 })
        {
            var s = new SurveyAdc(survey with { Bits = bits });
            var sar = new NeuroSimSarAdc(survey with { Bits = bits }, new Devices.Rram.RramArrayModel(new HardwareSpec().Rram).ColumnResistanceOhms);
            var table = new TableAdc(survey with { Bits = bits });
            rows.Add(new("ADC survey frontier (Murmann; FoM_W 2.2 fJ/step, FoM_S 175 dB)", "sar-neurosim (REFERENCES 3 fit)", $"{bits}-bit energy per conversion",
                s.EnergyPicojoulesPerConversion, sar.EnergyPicojoulesPerConversion, "pJ", double.NaN,
                "the fit's implied Walden FoM beats the best published SAR above ~5 bits; CimSim warns"));
            rows.Add(new("ADC survey frontier (Murmann; FoM_W 2.2 fJ/step, FoM_S 175 dB)", "table (ISAAC, 32 nm, 1.2 GS/s)", $"{bits}-bit energy per conversion",
                s.EnergyPicojoulesPerConversion, table.EnergyPicojoulesPerConversion, "pJ", double.NaN,
                "ISAAC's ADC is a 32 nm 1.2 GS/s design point"));
            rows.Add(new("ADC survey frontier, area 2^ENOB from ISAAC 8-bit x (22/32)^2", "rram.adc.area_um2 = 567 (ISAAC 8-bit, any resolution)", $"{bits}-bit ADC area",
                s.AreaSquareMicrometres, survey.AreaSquareMicrometres, "um^2", double.NaN,
                "the fixed area key ignores resolution; the survey kind scales it"));
        }

        foreach (var (model, cim, rramShare, loraShare, computeRatio) in new[] { ("llama-3.2-1b", 18.1e-3, 0.728, 0.0054, 0.0329), ("llama-3.2-3b", 51.3e-3, 0.787, 0.0042, 0.0308) })
        {
            var p = PaperBlocks(paper, model);
            var layers = ModelCatalog.Preset(model).NumLayers;
            // The token accounting, explicit: which tokens pass through which weights (the paper's figures fit 512
            // tokens through the decoder blocks without the LM head).
            var like = $"paper-halora.yaml (every parameter the paper states; 8-bit inputs bit-serial, which the paper does not state): 512 prompt tokens, each through W0 q,k,v,o,gate,up,down of all {layers} decoder blocks (RRAM), LoRA A/B r = 4 on q,k,v,up,down (SRAM CIM) and attention (SRAM CIM); embedding and LM head not counted";
            var row = $"HaLoRA Table 6, {model} (REFERENCES 1)";
            rows.Add(new(row, like, "CIM energy", cim, p.BlocksJ, "J", 0.30,
                "missed on purpose, not tuned: bit-serial inputs (NeuroSim's scheme, kept) convert every column once per input bit (ADC about half, cell read about 37 % of the energy); one 8-bit input step gives 0.70x (whole run), an 8-bit DAC 2.9x: the paper's figure lies inside the input schemes it leaves open (section 1, Table 6)"));
            rows.Add(new(row, like, "CIM / A100 compute-only", computeRatio, p.ComputeRatio, "ratio", double.NaN,
                "block energy / the GPU model's A100 compute-only energy of the same 512 tokens; outside the issue's [2 %, 5 %] band for the CIM-energy reason above"));
            rows.Add(new(row, like, "RRAM share of block energy", rramShare, p.RramShare, "share", double.NaN,
                "array + DAC + ADC + shift-add / block energy, beside the paper's; higher because the bit-serial ADC and the cell current dominate"));
            rows.Add(new(row, like, "LoRA share of block energy", loraShare, p.LoraShare, "share", double.NaN,
                "LoRA A/B, their transfers and merges / block energy, beside the paper's (tested within a factor of 2)"));
        }
        return rows;
    }

    /// <summary>
    /// ISAAC's per-IMA component powers and areas (Shafiee et al., ISCA 2016, Table 1; the same figures Accelergy's
    /// hwcomponents-library isaac.py derives its per-action energies from, REFERENCES 4) against the isaac-like
    /// config's device tables. Power = CimSim's energy of one IMA step / ISAAC's 100 ns step, so the ratio compares
    /// energies; CimSim's own step time is its own row.
    /// </summary>
    public static IEnumerable<CalibrationRow> IsaacRows(HardwareSpec isaac)
    {
        var (pj, um2, stepS) = IsaacIma(isaac);
        const string reference = "ISAAC, ISCA 2016 Table 1, per IMA (REFERENCES 4)";
        const string like = "isaac-like.yaml: 32 nm, 8 crossbars 128x128 of 2-bit cells per IMA, 1-bit DACs, one 8-bit ADC per crossbar";
        double MilliwattsAtIsaacStep(string key) => pj[key] * 1e-12 / IsaacImaStepSeconds * 1e3;
        const string perAction = "per-action price from the isaac-32nm preset (Accelergy's isaac.py, 1.2 GS/s) x CimSim's action counts of one step";
        yield return new(reference, like, "ADC power (8 ADCs)", 16, MilliwattsAtIsaacStep("adc"), "mW", 0.30, perAction + "; ISAAC's ADC runs at 1.28 GS/s");
        yield return new(reference, like, "DAC power (8 x 128 1-bit DACs)", 4, MilliwattsAtIsaacStep("dac"), "mW", 0.30, perAction);
        yield return new(reference, like, "S+H power (8 x 128)", 0.01, MilliwattsAtIsaacStep("sample_hold"), "mW", 0.30, perAction);
        yield return new(reference, like, "shift-and-add power", 0.2, MilliwattsAtIsaacStep("shift_add"), "mW", 0.30, perAction + "; one add per conversion");
        yield return new(reference, like, "crossbar power (8 arrays)", 2.4, MilliwattsAtIsaacStep("rram_array"), "mW", double.NaN,
            "not held, on purpose: CimSim prices the cell current V^2 G t with NeuroSim's R_on 100 kOhm, on/off 17, 0.5 V over ISAAC's 100 ns read; ISAAC's 2.4 mW implies a mean conductance about 36x lower (~0.15 uS), which ISAAC does not state");
        var (xbarPj, _, _) = IsaacIma(isaac with { Rram = isaac.Rram with { Array = isaac.Rram.Array with { Impl = ArrayReadModelKind.CrossbarPower } } });
        yield return new(reference, like + ", rram.array.impl: crossbar-power", "crossbar power (8 arrays)", 2.4, xbarPj["rram_array"] * 1e-12 / IsaacImaStepSeconds * 1e3, "mW", 0.30,
            "by construction: the crossbar-power read model prices PUMA's 0.3 mW per 128x128 crossbar over ISAAC's 100 ns (docs/devices.md section 4)");
        yield return new(reference, like, "ADC area (8 ADCs)", 9600, um2["adc"], "um^2", 0.30, "by construction: 1200 um^2 per ADC configured from this figure (isaac-32nm preset); held to catch an area-composition defect");
        yield return new(reference, like, "DAC area (8 x 128)", 170, um2["dac"], "um^2", 0.30, "by construction: 0.166 um^2 per DAC configured from this figure");
        yield return new(reference, like, "S+H area (8 x 128)", 40, um2["sample_hold"], "um^2", 0.30, "by construction: 0.04 um^2 per channel; 128 channels per crossbar (127 weight columns + 1 reference)");
        yield return new(reference, like, "crossbar area (8 arrays)", 200, um2["rram_array"], "um^2", 0.30, "by construction: cell area = ISAAC's 25 um^2 crossbar / 128^2 (isaac-like.yaml); the default 1T1R cell is 100x larger");
        yield return new(reference, like, "shift-and-add area (4 units)", 240, um2["shift_add"], "um^2", 0.30, "by construction: CimSim has one shift-add per ADC, configured at 240 / 8 = 30 um^2");
        yield return new(reference, like, "time of one 1-bit input step", IsaacImaStepSeconds, stepS, "s", double.NaN,
            "not held: CimSim does not overlap the next crossbar read with the conversions (read pulse + 128 conversions at 1.2 GS/s); ISAAC pipelines them behind its S+H");
    }

    /// <summary>The Markdown table of docs/validation.md.</summary>
    public static string Markdown(IEnumerable<CalibrationRow> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| reference | configured like | quantity | published | CimSim | ratio | held within | note |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            sb.AppendLine(string.Create(Inv, $"| {r.Reference} | {r.ConfiguredLike} | {r.Quantity} | {r.Published:G4} {r.Unit} | {r.CimSim:G4} {r.Unit} | {r.Ratio:0.00} | {(double.IsNaN(r.Tolerance) ? "reported" : $"{r.Tolerance:P0}{(r.Within ? "" : " (MISSED)")}")} | {r.Note} |"));
        return sb.ToString();
    }
}
