using CimSim.Simulator.Functional;

namespace CimSim.Simulator.Reports;

/// <summary>
/// report.html of `cimsim accuracy`: inputs, the ideal model, one row per noise level (mean ± std over chip
/// instances), per-module and per-decoder-layer error, notes, the accuracy-vs-sigma plot when there is one
/// (the PNG inlined as a data: image), and report.json. One file, no network.
/// </summary>
public static class AccuracyHtml
{
    public const string FileName = "report.html", PlotFile = "accuracy-vs-sigma.png";

    /// <summary>Ids of the page's sections, in order ("plots" only when there are several noise levels).</summary>
    public static readonly string[] SectionIds = ["inputs", "ideal", "levels", "modules", "decoder-layers", "notes", "plots", "report-json"];

    private static string F(double? v) => v is { } x ? HtmlPage.N(x) : "n/a";

    private static string MS(MetricSummary m) => m.Mean is null ? "n/a" : $"{F(m.Mean)} ± {F(m.Std)}";

    /// <summary>The page for <paramref name="report"/>; <paramref name="directory"/> is where report.json and the plot were written.</summary>
    public static string Build(AccuracyReport r, string reportJson, string directory)
    {
        var page = new HtmlPage($"CimSim accuracy: {r.Model} on {r.Hardware}");
        page.Table("inputs", "Inputs", ["input", "value"],
        [
            ["model", r.Model], ["adapter", r.Adapter ?? "none"], ["hardware", r.Hardware], ["device model", r.DevicePath],
            ["data", r.Data], ["texts", HtmlPage.N(r.TextItems)], ["multiple-choice questions", HtmlPage.N(r.ChoiceItems)],
            ["tokenizer", r.Tokenizer], ["max tokens", HtmlPage.N(r.MaxTokens)], ["chip instances (seeds)", string.Join(", ", r.Seeds)],
        ]);
        page.Table("ideal", "Ideal devices", ["metric", "value"],
            [["perplexity", F(r.Ideal.Perplexity)], ["choice accuracy (fraction)", F(r.Ideal.ChoiceAccuracy)], ["acc_norm (fraction)", F(r.Ideal.ChoiceAccuracyNorm)]]);
        page.Table("levels", "By weight-noise level (mean ± sample std over chips)",
            ["weight-noise sigma", "perplexity", "choice accuracy", "acc_norm", "KL(ideal||chip) (nats)", "top-1 agreement"],
            r.Levels.Select(l => (IReadOnlyList<string>)[HtmlPage.N(l.Sigma), MS(l.Perplexity), MS(l.ChoiceAccuracy), MS(l.ChoiceAccuracyNorm), MS(l.KlDivergence), MS(l.Top1Agreement)]));
        page.Table("modules", "Per-module output error (W0 product vs exact product on the same input; mean over chips)",
            ["weight-noise sigma", "module", "SNR (dB)", "relative error"],
            r.Levels.SelectMany(l => l.Modules.Select(m => (IReadOnlyList<string>)[HtmlPage.N(l.Sigma), m.Name, F(m.SnrDb), HtmlPage.N(m.RelativeError)])));
        page.Table("decoder-layers", "Per decoder layer (residual stream vs the ideal model)", ["weight-noise sigma", "layer", "SNR (dB)", "relative error"],
            r.Levels.SelectMany(l => l.DecoderLayers.Select(m => (IReadOnlyList<string>)[HtmlPage.N(l.Sigma), m.Name, F(m.SnrDb), HtmlPage.N(m.RelativeError)])));
        page.Paragraphs("notes", "Notes", r.Notes.Count > 0 ? r.Notes : ["none"]);
        var plot = Path.Combine(directory, PlotFile);
        if (File.Exists(plot)) page.Plots("plots", [(PlotFile, null, File.ReadAllBytes(plot))]);
        page.Source("report-json", "report.json", reportJson);
        return page.ToString();
    }
}
