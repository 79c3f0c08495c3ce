using System.Globalization;
using System.Text;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Plots;

namespace CimSim.Simulator.Lifecycle;

/// <summary>Writes report.json, report.md, report.html (and accuracy-over-time.png/.svg when there are accuracy points) of a <see cref="LifecycleReport"/> (atomic writes; non-finite numbers fail, exit 2).</summary>
public static class LifecycleReportWriter
{
    /// <summary>The JSON shape of the accuracy report (snake_case, indented), so both reports read alike.</summary>
    public static string ToJson(LifecycleReport report) => NonFiniteResultException.Serialize(report, AccuracyReportWriter.JsonOptions, "the lifecycle report") + "\n";

    public static void Write(LifecycleReport report, string directory)
    {
        // Both texts first, so a failure leaves nothing half-written.
        var json = ToJson(report);
        var md = ToMarkdown(report);
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "report.json"), json);
        AtomicFile.WriteAllText(Path.Combine(directory, "report.md"), md);
        if (report.Accuracy.Count > 0) PlotDefaults.Save(LifecyclePlots.AccuracyOverTime(report), Path.Combine(directory, "accuracy-over-time"));
        AtomicFile.WriteAllText(Path.Combine(directory, LifecycleHtml.FileName), LifecycleHtml.Build(report, json, directory));
    }

    private static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string J(double joules) => joules switch
    {
        >= 1e6 => G(joules / 3.6e6) + " kWh",
        >= 1 => G(joules) + " J",
        >= 1e-3 => G(joules * 1e3) + " mJ",
        _ => G(joules * 1e6) + " uJ",
    };

    /// <summary>What the run was given, as (input, value) rows.</summary>
    internal static IReadOnlyList<string[]> InputRows(LifecycleReport r)
    {
        var i = r.Inputs;
        return
        [
            ["hardware", i.Hardware], ["model", i.Model], ["LoRA", $"rank {i.LoraRank} ({string.Join(",", i.LoraTargets)})"],
            ["tokens per request", $"{i.PromptTokens}+{i.GeneratedTokens}"], ["GPU", i.Gpu], ["deployment", $"{G(i.Months)} months ({G(i.Days)} days)"],
            ["adapters", $"{i.Adapters}, switching every {i.SwapEvery} requests"], ["requests per day", G(i.RequestsPerDay)],
            ["refresh", i.RefreshDays > 0 ? $"every {G(i.RefreshDays)} days" : "never"],
            ["re-tune", $"{(i.RetuneDays > 0 ? $"every {G(i.RetuneDays)} days" : "never")} ({G(i.RetuneGpuHours)} GPU-hours per adapter, assumed)"],
            ["drift compensation", i.DriftCompensation ? $"global, a reference read of every array every {G(i.DriftCompensationPeriodS)} s" : "off"],
            .. (i.AccuracyAdapter is { } a ? new[] { new[] { "deployed LoRA (accuracy points)", a } } : []),
            .. i.RetunedAdapters.Select(x => new[] { "re-tuned LoRA", x }),
        ];
    }

    /// <summary>(phase, energy, share of the chip total) rows, then the chip total and the GPU.</summary>
    internal static IReadOnlyList<string[]> EnergyRows(LifecycleReport r) =>
    [
        .. r.EnergyByPhaseJ.Select(kv => new[] { kv.Key.Replace('_', ' '), J(kv.Value), (r.TotalEnergyJ > 0 ? kv.Value / r.TotalEnergyJ : 0).ToString("P2", CultureInfo.InvariantCulture) }),
        ["total (chip)", J(r.TotalEnergyJ), ""],
        ["GPU serving the same mix", J(r.GpuTotalEnergyJ), ""],
    ];

    internal static string EnergyPerTokenText(LifecycleReport r) =>
        $"Energy per served token over the life: chip {J(r.EnergyPerTokenJ)}, GPU {J(r.GpuEnergyPerTokenJ)} (GPU / chip = {G(r.GpuEnergyPerTokenJ / r.EnergyPerTokenJ)}x). " +
        $"Re-tuning training on the GPU (not chip energy): {J(r.Maintenance.RetuneTrainingEnergyJ)}.";

    internal static IReadOnlyList<string[]> ProgrammingRows(LifecycleReport r)
    {
        var p = r.Programming;
        return
        [
            ["program-and-verify", p.ProgramVerify ? "on" : "off"],
            [$"cells ({p.Arrays:N0} arrays)", $"{p.Cells:N0}"],
            ["mean pulses per cell / per row (slowest cell)", $"{G(p.MeanIterationsPerCell)} / {G(p.MeanIterationsPerRow)}"],
            ["cells left outside tolerance", p.FailFraction.ToString("P4", CultureInfo.InvariantCulture)],
            ["conductance error std: one pulse -> after verify", $"{G(p.SinglePulseStdUs)} uS -> {G(p.ResidualStdUs)} uS"],
            ["energy per cell / whole chip", $"{G(p.EnergyPerCellPj)} pJ / {J(p.EnergyJ)}"],
            ["programming time", $"{G(p.TimeS)} s"],
            [$"re-programmings survived (mean cell / worst cell, endurance {G(p.EnduranceCycles)})", $"{G(p.ReprogrammingsSurvived)} / {G(p.ReprogrammingsSurvivedWorstCell)}"],
        ];
    }

    internal static IReadOnlyList<string[]> AdapterRows(LifecycleReport r)
    {
        var a = r.Adapters;
        return
        [
            ["weights / bytes per adapter", $"{a.WeightsPerAdapter:N0} / {a.BytesPerAdapter:N0} B"],
            ["resident slots in the mapped SRAM macros", $"{a.ResidentSlots}"],
            ["one swap: SRAM write + DRAM read", $"{J(a.SramWriteEnergyJ)} + {J(a.DramReadEnergyJ)} = {J(a.SwapEnergyJ)}, stall {G(a.SwapStallS * 1e6)} us"],
            ["swaps over the life (first loads excluded)", $"{a.Swaps:N0}"],
            ["one swap on the GPU (adapter read from HBM)", $"{J(a.GpuSwapEnergyJ)}, {G(a.GpuSwapS * 1e6)} us"],
        ];
    }

    /// <summary>(quantity, chip, GPU) rows.</summary>
    internal static IReadOnlyList<string[]> ServingRows(LifecycleReport r)
    {
        var s = r.Serving;
        return
        [
            ["energy per request", J(s.EnergyPerRequestJ), J(s.GpuEnergyPerRequestJ)],
            ["latency per request", $"{G(s.LatencyPerRequestS)} s", $"{G(s.GpuLatencyPerRequestS)} s"],
            ["throughput with swaps (tokens/s)", G(s.ThroughputTokensPerS), G(s.GpuThroughputTokensPerS)],
            ["throughput without swaps (tokens/s)", G(s.ThroughputNoSwapTokensPerS), ""],
            ["serving energy over the life", J(s.EnergyJ), J(s.GpuEnergyJ)],
            ["requests / tokens served", $"{G(s.Requests)} / {G(s.TokensServed)}", ""],
            ["chip utilisation", s.Utilisation.ToString("P3", CultureInfo.InvariantCulture), ""],
        ];
    }

    internal static IReadOnlyList<string> MaintenanceLines(LifecycleReport r)
    {
        var m = r.Maintenance;
        return
        [
            $"refreshes: {m.Refreshes} ({J(m.RefreshEnergyJ)}, {G(m.RefreshDowntimeS)} s downtime); programmings of W0 over the life: {m.Programmings} ({(m.WithinEndurance ? "within" : "BEYOND")} endurance)",
            $"re-tunes: {m.Retunes} (SRAM writes {J(m.RetuneWriteEnergyJ)}; GPU training {J(m.RetuneTrainingEnergyJ)})",
            $"drift-compensation reference reads: {G(m.CompensationReads)} of every array ({J(m.CompensationEnergyJ)}, {G(m.CompensationDowntimeS)} s)",
        ];
    }

    /// <summary>(series, time, age, perplexity, choice accuracy, KL, top-1 agreement) rows, mean ± std over chip seeds.</summary>
    internal static IReadOnlyList<string[]> AccuracyRows(LifecycleReport r) =>
        [.. r.Accuracy.Select(x => new[] { x.Series, x.Label, $"{G(x.AgeS)} s", Pm(x.Perplexity, x.PerplexityStd), Pm(x.ChoiceAccuracy, x.ChoiceAccuracyStd),
            Pm(x.KlDivergence, x.KlDivergenceStd), Pm(x.Top1Agreement, x.Top1AgreementStd) })];

    /// <summary>(time, age, KL without / with re-tuning, choice accuracy without / with, perplexity without / with) at every re-tuned age.</summary>
    internal static IReadOnlyList<string[]> RetuneRows(LifecycleReport r) =>
        [.. r.Accuracy.Where(x => x.Series == LifecycleRunner.RetunedSeries).Select(x =>
        {
            var before = r.Accuracy.First(b => b.Series != LifecycleRunner.RetunedSeries && b.AgeS == x.AgeS && b.TimeS == x.TimeS);
            return new[] { x.Label, Pm(before.KlDivergence, before.KlDivergenceStd), Pm(x.KlDivergence, x.KlDivergenceStd),
                Pm(before.ChoiceAccuracy, before.ChoiceAccuracyStd), Pm(x.ChoiceAccuracy, x.ChoiceAccuracyStd), Pm(before.Perplexity, before.PerplexityStd), Pm(x.Perplexity, x.PerplexityStd) };
        })];

    internal static readonly string[] RetuneHeader = ["age", "KL without re-tuning", "KL re-tuned", "choice acc without", "choice acc re-tuned", "perplexity without", "perplexity re-tuned"];

    internal static readonly string[] AccuracyHeader = ["series", "time", "age since programming", "perplexity", "choice acc", "KL(ideal‖chip) nats", "top-1 agreement"];

    private static void MdTable(StringBuilder sb, IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        sb.AppendLine("| " + string.Join(" | ", header) + " |");
        sb.AppendLine("|---|" + string.Concat(Enumerable.Repeat("---:|", header.Count - 1)));
        foreach (var row in rows) sb.AppendLine("| " + string.Join(" | ", row) + " |");
        sb.AppendLine();
    }

    public static string ToMarkdown(LifecycleReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var i = r.Inputs;
        var sb = new StringBuilder();
        sb.AppendLine("# The chip over its life").AppendLine();
        foreach (var row in InputRows(r)) sb.AppendLine($"- {row[0]}: {row[1]}");
        sb.AppendLine();

        sb.AppendLine("## Energy by phase of life").AppendLine();
        MdTable(sb, ["phase", "energy", "share"], EnergyRows(r));
        sb.AppendLine(EnergyPerTokenText(r)).AppendLine();

        sb.AppendLine("## Programming W0").AppendLine();
        MdTable(sb, ["quantity", "value"], ProgrammingRows(r));
        sb.AppendLine("## Adapters as tenants").AppendLine();
        MdTable(sb, ["quantity", "value"], AdapterRows(r));
        sb.AppendLine("## Serving").AppendLine();
        MdTable(sb, ["", "chip", "GPU"], ServingRows(r));

        sb.AppendLine("## Refresh and re-tuning").AppendLine();
        foreach (var line in MaintenanceLines(r)) sb.AppendLine("- " + line);
        sb.AppendLine();

        if (r.Accuracy.Count > 0)
        {
            sb.AppendLine($"## Accuracy over deployment time (`{i.AccuracyModel}` on `{i.AccuracyData}`, {i.Seeds} chip seeds, mean ± std)").AppendLine();
            MdTable(sb, AccuracyHeader, AccuracyRows(r));
            if (r.Accuracy.Any(x => x.Series == LifecycleRunner.RetunedSeries))
            {
                sb.AppendLine("### With and without re-tuning the LoRA against the drifted chip (same chips; KL against the deployed adapter on ideal devices)").AppendLine();
                MdTable(sb, RetuneHeader, RetuneRows(r));
            }
        }
        if (r.Notes.Count > 0)
        {
            sb.AppendLine("## Notes").AppendLine();
            foreach (var n in r.Notes) sb.AppendLine("- " + n);
        }
        return sb.ToString();
    }

    private static string Pm(double? mean, double? std) => mean is { } v ? $"{G(v)} ± {G(std ?? 0)}" : "n/a";
}
