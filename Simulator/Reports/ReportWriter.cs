using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Simulator.Gpu;
using CimSim.Simulator.Plots;
using static CimSim.Common.Units.UnitFormat;

namespace CimSim.Simulator.Reports;

/// <summary>The one report writer: report.json, report.md, layers.csv, operators.csv, the plots (PNG and SVG) and report.html, each written atomically and byte-identical for the same inputs.</summary>
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
        var layers = Path.Combine(outDir, "layers.csv");
        var operators = Path.Combine(outDir, "operators.csv");
        AtomicFile.WriteAllText(layers, CostBreakdown.ToCsv("layer", report.Cim.Layers));
        AtomicFile.WriteAllText(operators, CostBreakdown.ToCsv("operator", report.Cim.Operators));
        var plots = ReportPlots.WriteAll(report, outDir);
        var html = Path.Combine(outDir, "report.html");
        var svgs = plots.Where(p => p.EndsWith(".svg", StringComparison.Ordinal))
            .Select(p => (Path.GetFileNameWithoutExtension(p), File.ReadAllText(p))).ToList();
        AtomicFile.WriteAllText(html, ReportHtml.Build(report, File.ReadAllBytes(json), svgs));
        return [json, md, layers, operators, .. plots, html];
    }

    /// <summary>Every number in report.json is finite (issue 14: "energy_j: null" hid an overflow); a non-finite one fails the run.</summary>
    private static double? Fin(double v, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(v))] string name = "") =>
        NonFiniteResultException.Require(v, name);

    private static Dictionary<string, double?> Map(IEnumerable<KeyValuePair<string, double>> values, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(values))] string name = "")
    {
        var d = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (var (k, v) in values) d[k] = NonFiniteResultException.Require(v, $"{name}[{k}]");
        return d;
    }

    /// <summary>The report as the records of report.json (<see cref="ReportJson"/>), the one place that fixes its keys.</summary>
    public static ReportJson ToRecords(SimulationReport r)
    {
        var i = r.Inputs;
        var c = r.Cim;
        var g = r.Gpu;
        var inputs = new ReportInputsJson(i.HardwareSource, i.HardwareName, i.Model, i.PromptTokens, i.GeneratedTokens, i.Batch,
            i.LoraRank, i.LoraTargets, i.Gpu, i.Overrides, i.PrefillChunkTokens);
        var resources = new Dictionary<string, ResourceJson>(StringComparer.Ordinal);
        foreach (var s in c.Resources)
            resources[s.ResourceClass] = new ResourceJson(s.Resources, s.Servers, s.BusyCycles, s.StallCycles, s.Requests, Fin(s.Utilisation));
        var cim = new CimJson(Fin(c.LatencyS), Fin(c.TtftS), Fin(c.TpotS), Fin(c.TokensPerS), Fin(c.EnergyJ),
            Fin(c.EnergyJ / Math.Max(1, i.Batch * i.GeneratedTokens)),
            Map(c.EnergyBreakdownJ), Map(c.EnergyByActionJ), Map(c.EnergyByPhaseJ), Map(c.EnergyByLayerJ), Map(c.EnergyByOperatorJ),
            Map(c.ActionCounts), Fin(c.AreaMm2), Map(c.AreaBreakdownMm2), r.MappingProblems.Count == 0, r.MappingProblems,
            c.Cycles, c.PrefillCycles, Fin(c.ClockHz), c.Events, c.Tasks, resources);
        var baseline = new BaselineJson(g.Spec.DisplayName,
            "roofline over the operator graph (achievable compute and bandwidth fractions, per-kernel overhead of the execution mode) + power model (idle + dynamic)",
            GpuSpec.ModeName(g.Mode), g.Spec.Calibration,
            Fin(g.LatencyS), Fin(g.TtftS), Fin(g.TpotS), Fin(g.LatencyS > 0 ? (double)i.Batch * i.GeneratedTokens / g.LatencyS : 0),
            Fin(g.EnergyJ), GpuEnergyLabel, Fin(g.ComputeEnergyJ), GpuComputeEnergyLabel, Fin(g.Spec.ComputeEnergyPjPerMac),
            Fin(g.AveragePowerW), Fin(g.Macs), g.Kernels, Map(g.EnergyByGroupJ));
        var ratios = new RatiosJson(Fin(r.EnergyVsGpu), Fin(r.ComputeEnergyVsGpu), Fin(r.LatencyVsGpu), Fin(r.TpotVsGpu));
        Dictionary<string, JsonElement>? sections = null;
        foreach (var s in r.Sections)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer)) s.WriteJson(w);
            using var doc = JsonDocument.Parse(buffer.WrittenMemory);
            (sections ??= new(StringComparer.Ordinal))[s.Key] = doc.RootElement.Clone();
        }
        return new ReportJson
        {
            SchemaVersion = SimulationReport.SchemaVersion,
            Tool = "cimsim simulate",
            Inputs = inputs,
            Cim = cim,
            Baselines = new Dictionary<string, BaselineJson>(StringComparer.Ordinal) { [g.Spec.Name] = baseline },
            Ratios = ratios,
            Sections = sections,
        };
    }

    /// <summary>report.json bytes: the records through the source-generated serialiser, one trailing newline.</summary>
    public static byte[] ToJson(SimulationReport r)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(ToRecords(r), ReportJsonContext.Default.ReportJson);
        return [.. bytes, (byte)'\n'];
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
        sb.AppendLine("Per-layer and per-operator energy, busy time, weight area and utilisation: layers.csv, operators.csv.");
        sb.AppendLine("Plots (PNG and SVG): energy_breakdown, energy_per_layer, latency_by_phase.");
        return sb.ToString();
    }
}
