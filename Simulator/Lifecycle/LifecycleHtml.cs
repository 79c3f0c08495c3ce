using CimSim.Simulator.Reports;

namespace CimSim.Simulator.Lifecycle;

/// <summary>
/// report.html of `cimsim lifecycle` on the shared <see cref="HtmlPage"/>: the same tables as report.md (one row
/// source, <see cref="LifecycleReportWriter"/>), the accuracy-over-time plot inlined as SVG when there is one, and
/// report.json. One file, no network.
/// </summary>
public static class LifecycleHtml
{
    public const string FileName = "report.html", PlotFile = "accuracy-over-time.svg";

    /// <summary>Ids of the page's sections, in order ("accuracy" and "plots" only with accuracy points).</summary>
    public static readonly string[] SectionIds = ["inputs", "energy", "programming", "adapters", "serving", "maintenance", "accuracy", "notes", "plots", "report-json"];

    /// <summary>The page for <paramref name="r"/>; <paramref name="directory"/> is where the plot was written.</summary>
    public static string Build(LifecycleReport r, string reportJson, string directory)
    {
        ArgumentNullException.ThrowIfNull(r);
        var page = new HtmlPage($"CimSim lifecycle: {r.Inputs.Model} on {r.Inputs.Hardware}");
        page.Table("inputs", "Inputs", ["input", "value"], LifecycleReportWriter.InputRows(r));
        page.Table("energy", "Energy by phase of life", ["phase", "energy", "share"], LifecycleReportWriter.EnergyRows(r), LifecycleReportWriter.EnergyPerTokenText(r));
        page.Table("programming", "Programming W0 (program-and-verify)", ["quantity", "value"], LifecycleReportWriter.ProgrammingRows(r));
        page.Table("adapters", "Adapters as tenants", ["quantity", "value"], LifecycleReportWriter.AdapterRows(r));
        page.Table("serving", "Serving", ["quantity", "chip", "GPU"], LifecycleReportWriter.ServingRows(r));
        page.Paragraphs("maintenance", "Refresh and re-tuning", LifecycleReportWriter.MaintenanceLines(r));
        if (r.Accuracy.Count > 0)
            page.Table("accuracy", $"Accuracy over deployment time ({r.Inputs.Seeds} chip seeds, mean ± std)", LifecycleReportWriter.AccuracyHeader,
                LifecycleReportWriter.AccuracyRows(r), $"{r.Inputs.AccuracyModel} on {r.Inputs.AccuracyData}");
        // Section "retune" only when re-tuned adapters were ingested (--retuned-adapter), so it is not in SectionIds.
        if (r.Accuracy.Any(x => x.Series == LifecycleRunner.RetunedSeries))
            page.Table("retune", "With and without re-tuning the LoRA against the drifted chip", LifecycleReportWriter.RetuneHeader, LifecycleReportWriter.RetuneRows(r),
                "Same chips; KL against the deployed adapter on ideal devices.");
        page.Paragraphs("notes", "Notes", r.Notes.Count > 0 ? r.Notes : ["none"]);
        var plot = Path.Combine(directory, PlotFile);
        if (r.Accuracy.Count > 0 && File.Exists(plot)) page.Plots("plots", [(PlotFile, File.ReadAllText(plot), null)]);
        page.Source("report-json", "report.json", reportJson);
        return page.ToString();
    }
}
