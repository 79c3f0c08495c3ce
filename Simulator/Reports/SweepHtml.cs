using System.Text.Json;
using CimSim.Common.IO;
using CimSim.Simulator.Sweeps;

namespace CimSim.Simulator.Reports;

/// <summary>
/// DIR/report.html of a sweep or an exploration: the inputs (sweep.json's identity, mode and swept paths), a
/// summary, the exploration's answer and front when DIR holds explore.json, every row of results.jsonl in a
/// sortable table, the plots of `cimsim plot` inlined as SVG, and sweep.json itself. One file, no network.
/// </summary>
public static class SweepHtml
{
    public const string FileName = "report.html";

    /// <summary>Ids of the page's sections, in order; "explore" only when DIR holds explore.json.</summary>
    public static readonly string[] SectionIds = ["inputs", "summary", "explore", "results", "plots", "sweep-json"];

    /// <summary>Writes DIR/report.html with the SVG files among <paramref name="plotFiles"/>; returns its path.</summary>
    public static string Write(string directory, IReadOnlyList<string> plotFiles)
    {
        var manifest = SweepManifest.Read(directory);
        var (paths, rows) = SweepTable.Read(directory);
        var name = Path.GetFileName(Path.GetFullPath(directory).TrimEnd('/'));
        var explorePath = Path.Combine(directory, ExploreRunner.ResultFile);
        var page = new HtmlPage(File.Exists(explorePath) ? $"CimSim explore: {name}" : $"CimSim sweep: {name}");

        page.Table("inputs", "Inputs", ["input", "value"],
            manifest.Identity.Select(kv => new[] { kv.Key, kv.Value })
                .Append(["mode", manifest.Mode]).Append(["swept paths", string.Join(", ", manifest.ParameterPaths)]));
        page.Table("summary", "Summary", ["points", "count"],
        [
            ["in the sweep", HtmlPage.N(manifest.Points.Count)], ["with a result here", HtmlPage.N(rows.Count)],
            ["ok", HtmlPage.N(rows.Count(r => r.Status == "ok"))], ["invalid", HtmlPage.N(rows.Count(r => r.Status == "invalid"))],
            ["error", HtmlPage.N(rows.Count(r => r.Status == "error"))],
        ]);
        if (File.Exists(explorePath)) Explore(page, explorePath);

        var metrics = new List<string>();
        foreach (var r in rows)
            foreach (var m in r.MetricOrder)
                if (!m.StartsWith(SweepPlots.BreakdownPrefix, StringComparison.Ordinal) && !metrics.Contains(m)) metrics.Add(m);
        page.Table("results", "Results", ["point", "status", .. paths, .. metrics, "reason"],
            rows.Select(r => (IReadOnlyList<string>)[r.Id, r.Status, .. paths.Select(p => r.Parameter(p) ?? ""),
                .. metrics.Select(m => r.Metric(m) is { } v ? HtmlPage.N(v) : ""), r.Reason ?? ""]),
            "The same rows as results.csv (energy breakdown columns left out); click a column to sort.");
        page.Plots("plots", plotFiles.Where(f => f.EndsWith(".svg", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileNameWithoutExtension(f), (string?)File.ReadAllText(f), (byte[]?)null)));
        page.Source("sweep-json", SweepManifest.FileName, File.ReadAllText(Path.Combine(directory, SweepManifest.FileName)));

        var path = Path.Combine(directory, FileName);
        AtomicFile.WriteAllText(path, page.ToString());
        return path;
    }

    private static void Explore(HtmlPage page, string explorePath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(explorePath));
        var e = doc.RootElement;
        string S(JsonElement x, string key) => x.TryGetProperty(key, out var v) ? v.ValueKind switch
        {
            JsonValueKind.Number => HtmlPage.N(v.GetDouble()),
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Array => string.Join(", ", v.EnumerateArray().Select(a => a.ToString())),
            JsonValueKind.Null => "",
            _ => v.ToString(),
        } : "";
        var front = e.GetProperty("front").EnumerateArray().Select(x => x.GetString()).ToHashSet();
        var text = new List<string>
        {
            $"Strategy {S(e, "strategy")}, cost {S(e, "cost")}, {S(e, "evaluations")} designs evaluated, {front.Count} on the front (energy per token, accuracy loss, area; all minimised){(e.GetProperty("complete").GetBoolean() ? "" : "; incomplete: rerun the same command to finish")}.",
        };
        if (e.GetProperty("budget_points").ValueKind == JsonValueKind.Number)
            text.Add(e.GetProperty("answer").ValueKind == JsonValueKind.Object
                ? $"Cheapest design within {S(e, "budget_points")} points of ideal accuracy: {S(e.GetProperty("answer"), "point")} (SRAM groups: {S(e.GetProperty("answer"), "sram_groups")}; {S(e.GetProperty("answer"), "energy_per_token_j")} J/token, loss {S(e.GetProperty("answer"), "accuracy_loss_points")} ± {S(e.GetProperty("answer"), "accuracy_loss_ci95_points")} points, {S(e.GetProperty("answer"), "area_mm2")} mm^2)."
                : $"No evaluated design is within {S(e, "budget_points")} points of ideal accuracy.");
        text.AddRange(e.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!));
        page.Paragraphs("explore", "Exploration", text);
        page.Table("explore-front", "Front", ["point", "SRAM groups", "hardware", "energy per token (J)", "accuracy loss (points)", "95 % interval (± points)", "area (mm^2)"],
            e.GetProperty("points").EnumerateArray().Where(p => front.Contains(p.GetProperty("point").GetString()))
                .Select(p => (IReadOnlyList<string>)[S(p, "point"), S(p, "sram_groups"),
                    string.Join(", ", p.GetProperty("hardware").EnumerateObject().Select(h => h.Name + "=" + h.Value.GetString())),
                    S(p, "energy_per_token_j"), S(p, "accuracy_loss_points"), S(p, "accuracy_loss_ci95_points"), S(p, "area_mm2")]));
    }
}
