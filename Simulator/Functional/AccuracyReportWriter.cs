using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Simulator.Plots;

namespace CimSim.Simulator.Functional;

/// <summary>Writes report.json, report.md and accuracy-vs-sigma.png of an <see cref="AccuracyReport"/>.</summary>
public static class AccuracyReportWriter
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string ToJson(AccuracyReport report) => NonFiniteResultException.Serialize(report, JsonOptions, "the accuracy report") + "\n";

    public static void Write(AccuracyReport report, string directory)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, "report.json"), ToJson(report));
        AtomicFile.WriteAllText(Path.Combine(directory, "report.md"), ToMarkdown(report));
        if (report.Levels.Count > 1) WritePlot(report, Path.Combine(directory, "accuracy-vs-sigma.png"));
        AtomicFile.WriteAllText(Path.Combine(directory, Reports.AccuracyHtml.FileName), Reports.AccuracyHtml.Build(report, ToJson(report), directory));
    }

    private static string F(double? v, string fmt = "0.0000") => v is { } x ? x.ToString(fmt, CultureInfo.InvariantCulture) : "n/a";

    private static string MS(MetricSummary m, string fmt = "0.0000") => m.Mean is null ? "n/a" : $"{F(m.Mean, fmt)} ± {F(m.Std, fmt)}";

    /// <summary>The accuracy section as Markdown (also usable inside a larger report).</summary>
    public static string ToMarkdown(AccuracyReport r, int headingLevel = 1)
    {
        var h = new string('#', headingLevel);
        var sb = new StringBuilder();
        sb.AppendLine($"{h} Accuracy on RRAM hardware").AppendLine();
        sb.AppendLine($"- model: `{r.Model}`{(r.Adapter is null ? "" : $", adapter `{r.Adapter}`")}");
        sb.AppendLine($"- hardware: `{r.Hardware}`, device model: {r.DevicePath}");
        sb.AppendLine($"- data: `{r.Data}` ({r.TextItems} texts, {r.ChoiceItems} multiple-choice questions), tokenizer: {r.Tokenizer}, max {r.MaxTokens} tokens");
        sb.AppendLine($"- chip instances (seeds) per noise level: {string.Join(", ", r.Seeds)}; mean ± sample std over chips").AppendLine();
        sb.AppendLine($"Ideal devices: perplexity {F(r.Ideal.Perplexity, "0.000")}, choice accuracy {F(r.Ideal.ChoiceAccuracy)}, acc_norm {F(r.Ideal.ChoiceAccuracyNorm)}").AppendLine();
        sb.AppendLine("| weight-noise sigma | perplexity | choice acc | acc_norm | KL(ideal‖chip) nats | top-1 agreement |");
        sb.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var l in r.Levels)
            sb.AppendLine($"| {l.Sigma.ToString("G4", CultureInfo.InvariantCulture)} | {MS(l.Perplexity, "0.000")} | {MS(l.ChoiceAccuracy)} | {MS(l.ChoiceAccuracyNorm)} | {MS(l.KlDivergence, "0.00000")} | {MS(l.Top1Agreement)} |");
        sb.AppendLine();
        foreach (var l in r.Levels)
        {
            sb.AppendLine($"{h}# Per-module output error at sigma {l.Sigma.ToString("G4", CultureInfo.InvariantCulture)} (W0 product vs exact product on the same input; mean over chips)").AppendLine();
            sb.AppendLine("| module | SNR dB | relative error |").AppendLine("|---|---:|---:|");
            foreach (var m in l.Modules) sb.AppendLine($"| {m.Name} | {F(m.SnrDb, "0.0")} | {F(m.RelativeError, "0.00000")} |");
            sb.AppendLine().AppendLine("| decoder layer output (residual stream vs ideal model) | SNR dB | relative error |").AppendLine("|---|---:|---:|");
            foreach (var m in l.DecoderLayers) sb.AppendLine($"| {m.Name} | {F(m.SnrDb, "0.0")} | {F(m.RelativeError, "0.00000")} |");
            sb.AppendLine();
        }
        if (r.Notes.Count > 0)
        {
            sb.AppendLine("Notes:").AppendLine();
            foreach (var n in r.Notes) sb.AppendLine("- " + n);
        }
        return sb.ToString();
    }

    /// <summary>
    /// Accuracy (multiple choice if any, top-1 agreement always) versus the weight-noise sigma, with std error bars over
    /// chip instances, the ideal model's accuracy and the chance level (uniform guessing), as PNG and SVG (same base name).
    /// </summary>
    public static void WritePlot(AccuracyReport r, string path)
    {
        var plot = PlotDefaults.NewPlot();
        var xs = r.Levels.Select(l => l.Sigma).ToArray();
        void Series(string label, Func<NoiseLevelResult, MetricSummary> pick, double? idealValue)
        {
            var ms = r.Levels.Select(pick).ToList();
            if (ms.Any(m => m.Mean is null)) return;
            var ys = ms.Select(m => m.Mean!.Value).ToArray();
            var sc = plot.Add.Scatter(xs, ys);
            sc.LegendText = label;
            var eb = plot.Add.ErrorBar(xs, ys, ms.Select(m => m.Std ?? 0).ToArray());
            eb.Color = sc.Color;
            if (idealValue is { } iv)
            {
                var line = plot.Add.HorizontalLine(iv);
                line.Color = sc.Color;
                line.LinePattern = ScottPlot.LinePattern.Dashed;
                line.LegendText = label + " (ideal)";
            }
        }
        Series("multiple-choice accuracy", l => l.ChoiceAccuracy, r.Ideal.ChoiceAccuracy);
        Series("top-1 agreement with ideal", l => l.Top1Agreement, null);
        if (r.ChanceAccuracy is { } chance && r.Levels.All(l => l.ChoiceAccuracy.Mean is not null))
        {
            var line = plot.Add.HorizontalLine(chance);
            line.Color = ScottPlot.Colors.Gray;
            line.LinePattern = ScottPlot.LinePattern.Dotted;
            line.LegendText = "chance (uniform guess)";
        }
        plot.Title($"Accuracy vs RRAM weight noise ({r.DevicePath}, {r.Seeds.Count} chips)");
        plot.XLabel("weight-noise sigma (relative to max|W| per tile)");
        plot.YLabel("accuracy (fraction of items; ± std over chips)");
        plot.ShowLegend(ScottPlot.Alignment.LowerLeft);
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(0, 1.05);
        PlotDefaults.Save(plot, Path.ChangeExtension(path, null));
    }
}
