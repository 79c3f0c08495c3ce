using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Simulator.Reports;

/// <summary>One numeric leaf of report.json (dotted path) across the compared reports; Ratios[i] = Values[i] / Values[0].</summary>
public sealed record ComparedMetric(string Path, IReadOnlyList<double?> Values)
{
    public double? Ratio(int i) => Values[0] is { } a && a != 0 && Values[i] is { } b ? b / a : null;

    public bool Differs => Values.Distinct().Count() > 1;
}

/// <summary>
/// `cimsim compare A B [C...]`: every numeric value of two or more report.json files side by side with its
/// ratio to the first, and the breakdown entries (energy by component and operator, area by component) that
/// changed most from the first to the last report.
/// </summary>
public sealed class ReportComparison
{
    /// <summary>Breakdown maps whose entries are ranked by change.</summary>
    public static readonly string[] ComponentPrefixes = ["cim.energy_breakdown_j.", "cim.energy_by_operator_j.", "cim.area_breakdown_mm2."];

    public required IReadOnlyList<string> Names { get; init; }
    public required IReadOnlyList<ComparedMetric> Metrics { get; init; }

    /// <summary>Reads report.json files (or directories holding one); a bad file stops with its name and the reason.</summary>
    public static ReportComparison Load(IReadOnlyList<string> paths)
    {
        if (paths.Count < 2) throw new UserInputException($"compare needs at least two reports, got {paths.Count}");
        var flat = new List<Dictionary<string, double?>>();
        var order = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            var file = Directory.Exists(p) ? Path.Combine(p, "report.json") : p;
            if (!File.Exists(file)) throw new UserInputException($"{file}: no such report.json (expected a report.json file or a directory holding one)");
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(InputFile.ReadAllBytes(file, "a report.json file"));
            }
            catch (JsonException ex)
            {
                throw new UserInputException($"{file}: not valid JSON ({ex.Message})");
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new UserInputException($"{file}: expected a JSON object (a report.json)");
                var values = new Dictionary<string, double?>(StringComparer.Ordinal);
                Flatten(doc.RootElement, "", values);
                foreach (var k in values.Keys)
                    if (seen.Add(k)) order.Add(k);
                flat.Add(values);
            }
        }
        return new ReportComparison
        {
            Names = Labels(paths),
            Metrics = order.Select(k => new ComparedMetric(k, flat.Select(f => f.TryGetValue(k, out var v) ? v : null).ToList())).ToList(),
        };
    }

    /// <summary>Column names: the paths without their common prefix, so "out/a/report.json" and "out/b" read "a" and "b".</summary>
    private static List<string> Labels(IReadOnlyList<string> paths)
    {
        var trimmed = paths.Select(p => p.Replace('\\', '/').TrimEnd('/')).Select(p => p.EndsWith("/report.json", StringComparison.Ordinal) ? p[..^12] : p).ToList();
        var prefix = trimmed.Aggregate((a, b) => new string(a.Zip(b).TakeWhile(z => z.First == z.Second).Select(z => z.First).ToArray()));
        prefix = prefix[..(prefix.LastIndexOf('/') + 1)];
        return trimmed.Select((t, i) => t.Length > prefix.Length ? t[prefix.Length..] : $"report {i + 1}").ToList();
    }

    private static void Flatten(JsonElement e, string path, Dictionary<string, double?> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Flatten(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name, into);
                break;
            case JsonValueKind.Number:
                into[path] = e.GetDouble();
                break;
            case JsonValueKind.Null:
                into[path] = null;
                break;
        }
    }

    /// <summary>
    /// Breakdown entries ranked by their change from the first to the last report as a fraction of their map's
    /// total in the first report (so joules and mm^2 compare), largest first.
    /// </summary>
    public IReadOnlyList<ComparedMetric> ChangedMost(int count = 10)
    {
        double Share(ComparedMetric m)
        {
            var prefix = ComponentPrefixes.First(p => m.Path.StartsWith(p, StringComparison.Ordinal));
            var total = Metrics.Where(x => x.Path.StartsWith(prefix, StringComparison.Ordinal)).Sum(x => Math.Abs(x.Values[0] ?? 0));
            var change = Math.Abs((m.Values[^1] ?? 0) - (m.Values[0] ?? 0));
            return total > 0 ? change / total : change;
        }
        return Metrics.Where(m => ComponentPrefixes.Any(p => m.Path.StartsWith(p, StringComparison.Ordinal)) && m.Differs)
            .OrderByDescending(Share).ThenBy(m => m.Path, StringComparer.Ordinal).Take(count).ToList();
    }

    public static string Number(double? v) => v is { } x ? x.ToString("G6", CultureInfo.InvariantCulture) : "-";

    private IEnumerable<string> Header() =>
        ["metric", .. Names, .. Names.Skip(1).Select(n => $"{n} / {Names[0]}")];

    private static IEnumerable<string> Cells(ComparedMetric m) =>
        [m.Path, .. m.Values.Select(Number), .. Enumerable.Range(1, m.Values.Count - 1).Select(i => Number(m.Ratio(i)))];

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("# CimSim compare: ").AppendJoin(" vs ", Names).Append("\n\n");
        void Table(IEnumerable<ComparedMetric> rows)
        {
            sb.Append("| ").AppendJoin(" | ", Header()).Append(" |\n|").Append(string.Concat(Enumerable.Repeat("---|", Header().Count()))).Append('\n');
            foreach (var m in rows) sb.Append("| ").AppendJoin(" | ", Cells(m)).Append(" |\n");
            sb.Append('\n');
        }
        sb.Append("## Components that changed most (").Append(Names[0]).Append(" -> ").Append(Names[^1]).Append(")\n\n");
        Table(ChangedMost());
        sb.Append("## Every metric\n\n");
        Table(Metrics);
        return sb.ToString();
    }

    /// <summary>One self-contained HTML page (no scripts, no network): the same two tables.</summary>
    public string ToHtml()
    {
        static string H(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>CimSim compare</title>\n")
          .Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style></head><body>\n")
          .Append("<h1>CimSim compare: ").Append(H(string.Join(" vs ", Names))).Append("</h1>\n");
        void Table(string id, string title, IEnumerable<ComparedMetric> rows)
        {
            sb.Append("<h2>").Append(H(title)).Append("</h2>\n<table id=\"").Append(id).Append("\"><thead><tr>");
            foreach (var h in Header()) sb.Append("<th>").Append(H(h)).Append("</th>");
            sb.Append("</tr></thead><tbody>\n");
            foreach (var m in rows)
            {
                sb.Append("<tr>");
                foreach (var c in Cells(m)) sb.Append("<td>").Append(H(c)).Append("</td>");
                sb.Append("</tr>\n");
            }
            sb.Append("</tbody></table>\n");
        }
        Table("changed-most", $"Components that changed most ({Names[0]} -> {Names[^1]})", ChangedMost());
        Table("metrics", "Every metric", Metrics);
        sb.Append("</body></html>\n");
        return sb.ToString();
    }
}
