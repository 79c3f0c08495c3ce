using System.Globalization;
using System.Text;
using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Simulator.Gpu;
using CimSim.Simulator.Plots;
using static CimSim.Common.Units.UnitFormat;

namespace CimSim.Simulator.Reports;

/// <summary>The one report writer: report.json, report.md and the PNG plots, each written atomically and byte-identical for the same inputs.</summary>
public static class ReportWriter
{
    public const string GpuEnergyLabel = "GPU board energy: roofline time x (idle power + dynamic energy per byte and per FLOP); what the GPU would draw";
    public const string GpuComputeEnergyLabel = "GPU compute-only energy: MACs x (TDP / dense INT8 MAC rate), the accounting of the HaLoRA paper's Table 6";

    /// <summary>Writes every output into <paramref name="outDir"/>; returns the paths written.</summary>
    public static IReadOnlyList<string> WriteAll(SimulationReport report, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var json = Path.Combine(outDir, "report.json");
        var md = Path.Combine(outDir, "report.md");
        AtomicFile.WriteAllBytes(json, ToJson(report));
        AtomicFile.WriteAllText(md, ToMarkdown(report));
        var plots = ReportPlots.WriteAll(report, outDir);
        return [json, md, .. plots];
    }

    /// <summary>Every number in report.json is finite (issue 14: "energy_j: null" hid an overflow); a non-finite one fails the run.</summary>
    private static void Num(Utf8JsonWriter w, string name, double v) => w.WriteNumber(name, NonFiniteResultException.Require(v, name));

    private static void Map(Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, double>> values)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in values) Num(w, k, v);
        w.WriteEndObject();
    }

    public static byte[] ToJson(SimulationReport r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("schema_version", SimulationReport.SchemaVersion);
            w.WriteString("tool", "cimsim simulate");
            var i = r.Inputs;
            w.WriteStartObject("inputs");
            w.WriteString("hw_config", i.HardwareSource);
            w.WriteString("hw_name", i.HardwareName);
            w.WriteString("model", i.Model);
            w.WriteNumber("prompt_tokens", i.PromptTokens);
            w.WriteNumber("generate_tokens", i.GeneratedTokens);
            w.WriteNumber("batch", i.Batch);
            w.WriteNumber("lora_rank", i.LoraRank);
            w.WriteStartArray("lora_targets");
            foreach (var t in i.LoraTargets) w.WriteStringValue(t);
            w.WriteEndArray();
            w.WriteString("gpu", i.Gpu);
            w.WriteStartArray("overrides");
            foreach (var o in i.Overrides) w.WriteStringValue(o);
            w.WriteEndArray();
            w.WriteNumber("prefill_chunk_tokens", i.PrefillChunkTokens);
            w.WriteEndObject();

            var c = r.Cim;
            w.WriteStartObject("cim");
            Num(w, "latency_s", c.LatencyS);
            Num(w, "ttft_s", c.TtftS);
            Num(w, "tpot_s", c.TpotS);
            Num(w, "tokens_per_s", c.TokensPerS);
            Num(w, "energy_j", c.EnergyJ);
            Num(w, "energy_per_generated_token_j", c.EnergyJ / Math.Max(1, i.Batch * i.GeneratedTokens));
            Map(w, "energy_breakdown_j", c.EnergyBreakdownJ);
            Map(w, "energy_by_action_j", c.EnergyByActionJ);
            Map(w, "energy_by_phase_j", c.EnergyByPhaseJ);
            Map(w, "energy_by_layer_j", c.EnergyByLayerJ);
            Map(w, "energy_by_operator_j", c.EnergyByOperatorJ);
            Map(w, "action_counts", c.ActionCounts);
            Num(w, "area_mm2", c.AreaMm2);
            Map(w, "area_breakdown_mm2", c.AreaBreakdownMm2);
            w.WriteBoolean("mapping_fits", r.MappingProblems.Count == 0);
            w.WriteStartArray("mapping_problems");
            foreach (var p in r.MappingProblems) w.WriteStringValue(p);
            w.WriteEndArray();
            w.WriteNumber("cycles", c.Cycles);
            w.WriteNumber("prefill_cycles", c.PrefillCycles);
            Num(w, "clock_hz", c.ClockHz);
            w.WriteNumber("events", c.Events);
            w.WriteNumber("tasks", c.Tasks);
            w.WriteStartObject("resources");
            foreach (var s in c.Resources)
            {
                w.WriteStartObject(s.ResourceClass);
                w.WriteNumber("resources", s.Resources);
                w.WriteNumber("servers", s.Servers);
                w.WriteNumber("busy_cycles", s.BusyCycles);
                w.WriteNumber("stall_cycles", s.StallCycles);
                w.WriteNumber("requests", s.Requests);
                Num(w, "utilisation", s.Utilisation);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();

            var g = r.Gpu;
            w.WriteStartObject("baselines");
            w.WriteStartObject(g.Spec.Name);
            w.WriteString("device", g.Spec.DisplayName);
            w.WriteString("model", "roofline over the operator graph (achievable compute and bandwidth fractions, per-kernel overhead of the execution mode) + power model (idle + dynamic)");
            w.WriteString("execution_mode", GpuSpec.ModeName(g.Mode));
            w.WriteString("calibration", g.Spec.Calibration);
            Num(w, "latency_s", g.LatencyS);
            Num(w, "ttft_s", g.TtftS);
            Num(w, "tpot_s", g.TpotS);
            Num(w, "tokens_per_s", g.LatencyS > 0 ? (double)i.Batch * i.GeneratedTokens / g.LatencyS : 0);
            Num(w, "energy_j", g.EnergyJ);
            w.WriteString("energy_label", GpuEnergyLabel);
            Num(w, "compute_energy_j", g.ComputeEnergyJ);
            w.WriteString("compute_energy_label", GpuComputeEnergyLabel);
            Num(w, "compute_energy_pj_per_mac", g.Spec.ComputeEnergyPjPerMac);
            Num(w, "average_power_w", g.AveragePowerW);
            Num(w, "macs", g.Macs);
            w.WriteNumber("kernels", g.Kernels);
            Map(w, "energy_by_group_j", g.EnergyByGroupJ);
            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartObject("ratios");
            Num(w, "energy_vs_gpu", r.EnergyVsGpu);
            Num(w, "compute_energy_vs_gpu", r.ComputeEnergyVsGpu);
            Num(w, "latency_vs_gpu", r.LatencyVsGpu);
            Num(w, "tpot_vs_gpu", r.TpotVsGpu);
            w.WriteEndObject();

            foreach (var s in r.Sections)
            {
                w.WritePropertyName(s.Key);
                s.WriteJson(w);
            }
            w.WriteEndObject();
        }
        ms.WriteByte((byte)'\n');
        return ms.ToArray();
    }

    private static string F(double v, string fmt = "G4") => v.ToString(fmt, CultureInfo.InvariantCulture);

    public static string ToMarkdown(SimulationReport r)
    {
        var i = r.Inputs;
        var c = r.Cim;
        var g = r.Gpu;
        var sb = new StringBuilder();
        sb.AppendLine($"# CimSim simulate: {i.Model} on {i.HardwareName}");
        sb.AppendLine();
        sb.AppendLine($"Hardware `{i.HardwareSource}`{(i.Overrides.Count > 0 ? " with " + string.Join(", ", i.Overrides.Select(o => $"`{o}`")) : "")}; " +
            $"batch {i.Batch}, prompt {i.PromptTokens}, generate {i.GeneratedTokens}; LoRA r={i.LoraRank} on {string.Join(",", i.LoraTargets)}; " +
            $"baseline {g.Spec.DisplayName}.");
        sb.AppendLine();
        sb.AppendLine("## Summary");
        sb.AppendLine();
        sb.AppendLine($"| metric | hybrid CIM | {g.Spec.Name} | CIM / GPU |");
        sb.AppendLine("|---|---|---|---|");
        sb.AppendLine($"| latency | {Seconds(c.LatencyS)} | {Seconds(g.LatencyS)} | {F(r.LatencyVsGpu)} |");
        sb.AppendLine($"| time to first token | {Seconds(c.TtftS)} | {Seconds(g.TtftS)} | {F(c.TtftS / g.TtftS)} |");
        sb.AppendLine($"| time per output token | {Seconds(c.TpotS)} | {Seconds(g.TpotS)} | {F(r.TpotVsGpu)} |");
        sb.AppendLine($"| tokens/s | {F(c.TokensPerS)} | {F(i.Batch * (double)i.GeneratedTokens / g.LatencyS)} | |");
        sb.AppendLine($"| energy (GPU: board, roofline x power model) | {Joules(c.EnergyJ)} | {Joules(g.EnergyJ)} | {F(r.EnergyVsGpu)} |");
        sb.AppendLine($"| energy (GPU: compute-only, paper's accounting) | {Joules(c.EnergyJ)} | {Joules(g.ComputeEnergyJ)} | {F(r.ComputeEnergyVsGpu)} |");
        sb.AppendLine($"| area | {F(c.AreaMm2)} mm^2 | | |");
        sb.AppendLine();
        sb.AppendLine("Two GPU energies, never to be confused:");
        sb.AppendLine($"- **board**: {GpuEnergyLabel} (average {F(g.AveragePowerW)} W over {g.Kernels} kernels, {GpuSpec.ModeName(g.Mode)} execution; calibration: {g.Spec.Calibration});");
        sb.AppendLine($"- **compute-only**: {GpuComputeEnergyLabel} ({F(g.Spec.ComputeEnergyPjPerMac)} pJ/MAC x {F(g.Macs)} MACs).");
        sb.AppendLine();
        if (r.MappingProblems.Count > 0)
        {
            sb.AppendLine("**The model does not fit the configured budgets** (simulated anyway):");
            foreach (var p in r.MappingProblems) sb.AppendLine($"- {p}");
            sb.AppendLine();
        }
        sb.AppendLine($"Simulated {c.Cycles} cycles at {F(c.ClockHz / 1e6)} MHz ({c.PrefillCycles} in prefill); {c.Events} events, {c.Tasks} tasks.");
        sb.AppendLine();
        void Table(string title, string unit, IReadOnlyDictionary<string, double> values, double total, Func<double, string> fmt)
        {
            sb.AppendLine($"## {title}");
            sb.AppendLine();
            sb.AppendLine($"| {unit} | value | share |");
            sb.AppendLine("|---|---|---|");
            foreach (var (k, v) in values) sb.AppendLine($"| {k} | {fmt(v)} | {F(total > 0 ? 100 * v / total : 0, "0.00")} % |");
            sb.AppendLine();
        }
        Table("CIM energy by component", "component", c.EnergyBreakdownJ, c.EnergyJ, Joules);
        Table("CIM energy by action", "component.action", c.EnergyByActionJ, c.EnergyJ, Joules);
        Table("CIM energy by phase", "phase", c.EnergyByPhaseJ, c.EnergyJ, Joules);
        Table("CIM energy by operator (summed over layers)", "operator", c.EnergyByOperatorJ, c.EnergyJ, Joules);
        Table("CIM energy by layer", "layer", c.EnergyByLayerJ, c.EnergyJ, Joules);
        Table("CIM area", "component", c.AreaBreakdownMm2, c.AreaMm2, v => F(v) + " mm^2");
        sb.AppendLine("## Resource utilisation and stalls");
        sb.AppendLine();
        sb.AppendLine("| class | resources | servers | busy cycles | stall cycles | requests | utilisation |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var s in c.Resources)
            sb.AppendLine($"| {s.ResourceClass} | {s.Resources} | {s.Servers} | {s.BusyCycles} | {s.StallCycles} | {s.Requests} | {F(100 * s.Utilisation, "0.00")} % |");
        sb.AppendLine();
        Table($"{g.Spec.Name} board energy by operator group", "group", g.EnergyByGroupJ, g.EnergyJ, Joules);
        foreach (var s in r.Sections) s.WriteMarkdown(sb);
        sb.AppendLine("Plots: energy_breakdown.png, energy_per_layer.png, latency_by_phase.png.");
        return sb.ToString();
    }
}
