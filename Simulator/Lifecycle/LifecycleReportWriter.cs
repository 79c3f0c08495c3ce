using System.Globalization;
using System.Text;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Plots;

namespace CimSim.Simulator.Lifecycle;

/// <summary>Writes report.json, report.md (and accuracy-over-time.png/.svg when there are accuracy points) of a <see cref="LifecycleReport"/> (atomic writes; non-finite numbers fail, exit 2).</summary>
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
    }

    private static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string J(double joules) => joules switch
    {
        >= 1e6 => G(joules / 3.6e6) + " kWh",
        >= 1 => G(joules) + " J",
        >= 1e-3 => G(joules * 1e3) + " mJ",
        _ => G(joules * 1e6) + " uJ",
    };

    public static string ToMarkdown(LifecycleReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var i = r.Inputs;
        var sb = new StringBuilder();
        sb.AppendLine("# The chip over its life").AppendLine();
        sb.AppendLine($"- hardware `{i.Hardware}`, model `{i.Model}`, LoRA rank {i.LoraRank} ({string.Join(",", i.LoraTargets)}), {i.PromptTokens}+{i.GeneratedTokens} tokens per request, GPU `{i.Gpu}`");
        sb.AppendLine($"- {G(i.Months)} months ({G(i.Days)} days), {i.Adapters} adapters switching every {i.SwapEvery} requests, {G(i.RequestsPerDay)} requests/day");
        sb.AppendLine($"- refresh every {(i.RefreshDays > 0 ? G(i.RefreshDays) + " days" : "never")}, re-tune every {(i.RetuneDays > 0 ? G(i.RetuneDays) + " days" : "never")} ({G(i.RetuneGpuHours)} GPU-hours per adapter, assumed)").AppendLine();

        sb.AppendLine("## Energy by phase of life").AppendLine();
        sb.AppendLine("| phase | energy | share |").AppendLine("|---|---:|---:|");
        foreach (var (k, v) in r.EnergyByPhaseJ) sb.AppendLine($"| {k.Replace('_', ' ')} | {J(v)} | {(r.TotalEnergyJ > 0 ? v / r.TotalEnergyJ : 0).ToString("P2", CultureInfo.InvariantCulture)} |");
        sb.AppendLine($"| **total (chip)** | **{J(r.TotalEnergyJ)}** | |");
        sb.AppendLine($"| GPU serving the same mix | {J(r.GpuTotalEnergyJ)} | |").AppendLine();
        sb.AppendLine($"Energy per served token over the life: chip {J(r.EnergyPerTokenJ)}, GPU {J(r.GpuEnergyPerTokenJ)} (GPU / chip = {G(r.GpuEnergyPerTokenJ / r.EnergyPerTokenJ)}x). " +
            $"Re-tuning training on the GPU (not chip energy): {J(r.Maintenance.RetuneTrainingEnergyJ)}.").AppendLine();

        var p = r.Programming;
        sb.AppendLine("## Programming W0").AppendLine();
        sb.AppendLine("| quantity | value |").AppendLine("|---|---:|");
        sb.AppendLine($"| program-and-verify | {(p.ProgramVerify ? "on" : "off")} |");
        sb.AppendLine($"| cells ({p.Arrays:N0} arrays) | {p.Cells:N0} |");
        sb.AppendLine($"| mean pulses per cell / per row (slowest cell) | {G(p.MeanIterationsPerCell)} / {G(p.MeanIterationsPerRow)} |");
        sb.AppendLine($"| cells left outside tolerance | {p.FailFraction.ToString("P4", CultureInfo.InvariantCulture)} |");
        sb.AppendLine($"| conductance error std: one pulse -> after verify | {G(p.SinglePulseStdUs)} uS -> {G(p.ResidualStdUs)} uS |");
        sb.AppendLine($"| energy per cell / whole chip | {G(p.EnergyPerCellPj)} pJ / {J(p.EnergyJ)} |");
        sb.AppendLine($"| programming time | {G(p.TimeS)} s |");
        sb.AppendLine($"| re-programmings survived (mean cell / worst cell, endurance {G(p.EnduranceCycles)}) | {G(p.ReprogrammingsSurvived)} / {G(p.ReprogrammingsSurvivedWorstCell)} |").AppendLine();

        var a = r.Adapters;
        sb.AppendLine("## Adapters as tenants").AppendLine();
        sb.AppendLine("| quantity | value |").AppendLine("|---|---:|");
        sb.AppendLine($"| weights / bytes per adapter | {a.WeightsPerAdapter:N0} / {a.BytesPerAdapter:N0} B |");
        sb.AppendLine($"| resident slots in the mapped SRAM macros | {a.ResidentSlots} |");
        sb.AppendLine($"| one swap: SRAM write + DRAM read | {J(a.SramWriteEnergyJ)} + {J(a.DramReadEnergyJ)} = {J(a.SwapEnergyJ)}, stall {G(a.SwapStallS * 1e6)} us |");
        sb.AppendLine($"| swaps over the life (first loads excluded) | {a.Swaps:N0} |");
        sb.AppendLine($"| one swap on the GPU (adapter read from HBM) | {J(a.GpuSwapEnergyJ)}, {G(a.GpuSwapS * 1e6)} us |").AppendLine();

        var s = r.Serving;
        sb.AppendLine("## Serving").AppendLine();
        sb.AppendLine("| | chip | GPU |").AppendLine("|---|---:|---:|");
        sb.AppendLine($"| energy per request | {J(s.EnergyPerRequestJ)} | {J(s.GpuEnergyPerRequestJ)} |");
        sb.AppendLine($"| latency per request | {G(s.LatencyPerRequestS)} s | {G(s.GpuLatencyPerRequestS)} s |");
        sb.AppendLine($"| throughput with swaps (tokens/s) | {G(s.ThroughputTokensPerS)} | {G(s.GpuThroughputTokensPerS)} |");
        sb.AppendLine($"| throughput without swaps (tokens/s) | {G(s.ThroughputNoSwapTokensPerS)} | |");
        sb.AppendLine($"| serving energy over the life | {J(s.EnergyJ)} | {J(s.GpuEnergyJ)} |");
        sb.AppendLine($"| requests / tokens served | {G(s.Requests)} / {G(s.TokensServed)} | |");
        sb.AppendLine($"| chip utilisation | {s.Utilisation.ToString("P3", CultureInfo.InvariantCulture)} | |").AppendLine();

        var m = r.Maintenance;
        sb.AppendLine("## Refresh and re-tuning").AppendLine();
        sb.AppendLine($"- refreshes: {m.Refreshes} ({J(m.RefreshEnergyJ)}, {G(m.RefreshDowntimeS)} s downtime); programmings of W0 over the life: {m.Programmings} ({(m.WithinEndurance ? "within" : "BEYOND")} endurance)");
        sb.AppendLine($"- re-tunes: {m.Retunes} (SRAM writes {J(m.RetuneWriteEnergyJ)}; GPU training {J(m.RetuneTrainingEnergyJ)})").AppendLine();

        if (r.Accuracy.Count > 0)
        {
            sb.AppendLine($"## Accuracy over deployment time (`{i.AccuracyModel}` on `{i.AccuracyData}`, {i.Seeds} chip seeds, mean ± std)").AppendLine();
            sb.AppendLine("| series | time | age since programming | perplexity | choice acc | KL(ideal‖chip) nats | top-1 agreement |");
            sb.AppendLine("|---|---|---:|---:|---:|---:|---:|");
            foreach (var x in r.Accuracy)
                sb.AppendLine($"| {x.Series} | {x.Label} | {G(x.AgeS)} s | {Pm(x.Perplexity, x.PerplexityStd)} | {Pm(x.ChoiceAccuracy, x.ChoiceAccuracyStd)} | {Pm(x.KlDivergence, x.KlDivergenceStd)} | {Pm(x.Top1Agreement, x.Top1AgreementStd)} |");
            sb.AppendLine();
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
