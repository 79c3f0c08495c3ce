using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace CimSim.Simulator.Reports;

/// <summary>
/// report.html: one self-contained page (no network; plots inlined as SVG; tables sortable by a few lines of
/// inline script) with the inputs and overrides that made the run, the summary beside the GPU, the breakdowns,
/// the per-layer and per-operator tables, and report.json itself.
/// </summary>
public static class ReportHtml
{
    /// <summary>Ids of the page's sections, in order (tests look for them).</summary>
    public static readonly string[] SectionIds = ["inputs", "summary", "energy-by-component", "area-by-component", "layers", "operators", "plots", "report-json"];

    private const string SortScript = """
        document.querySelectorAll('table.sortable th').forEach(function (th, col) {
          th.addEventListener('click', function () {
            var body = th.closest('table').tBodies[0], asc = th.dataset.asc !== '1';
            th.dataset.asc = asc ? '1' : '0';
            Array.from(body.rows).sort(function (a, b) {
              var x = a.cells[col].dataset.v || a.cells[col].textContent, y = b.cells[col].dataset.v || b.cells[col].textContent;
              var nx = parseFloat(x), ny = parseFloat(y), r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
              return asc ? r : -r;
            }).forEach(function (row) { body.appendChild(row); });
          });
        });
        """;

    private static string H(string s) => WebUtility.HtmlEncode(s);

    private static string N(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    public static string Build(SimulationReport r, byte[] reportJson, IReadOnlyList<(string Name, string Svg)> plots)
    {
        var i = r.Inputs;
        var c = r.Cim;
        var g = r.Gpu;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(H($"CimSim simulate: {i.Model} on {i.HardwareName}")).Append("</title>\n")
          .Append("<style>body{font-family:'DejaVu Sans',sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin-bottom:1em}")
          .Append("td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}th{cursor:pointer;background:#f3f3f3}")
          .Append("pre{background:#f7f7f7;padding:1em;overflow:auto;max-height:30em}svg{max-width:100%;height:auto}</style></head><body>\n")
          .Append("<h1>").Append(H($"CimSim simulate: {i.Model} on {i.HardwareName}")).Append("</h1>\n");

        void Table(string id, string title, string[] header, IEnumerable<string[]> rows, string? note = null)
        {
            sb.Append("<section id=\"").Append(id).Append("\"><h2>").Append(H(title)).Append("</h2>\n");
            if (note is not null) sb.Append("<p>").Append(H(note)).Append("</p>\n");
            sb.Append("<table class=\"sortable\"><thead><tr>");
            foreach (var h in header) sb.Append("<th>").Append(H(h)).Append("</th>");
            sb.Append("</tr></thead><tbody>\n");
            foreach (var row in rows)
            {
                sb.Append("<tr>");
                foreach (var cell in row) sb.Append("<td>").Append(H(cell)).Append("</td>");
                sb.Append("</tr>\n");
            }
            sb.Append("</tbody></table></section>\n");
        }

        Table("inputs", "Inputs", ["input", "value"],
        [
            ["hardware config", i.HardwareSource], ["hardware name", i.HardwareName], ["overrides", string.Join(", ", i.Overrides)],
            ["model", i.Model], ["prompt tokens", N(i.PromptTokens)], ["generated tokens", N(i.GeneratedTokens)], ["batch", N(i.Batch)],
            ["LoRA rank", N(i.LoraRank)], ["LoRA targets", string.Join(",", i.LoraTargets)], ["GPU baseline", g.Spec.DisplayName],
            ["prefill chunk tokens", N(i.PrefillChunkTokens)],
        ]);
        Table("summary", "Summary", ["metric", "hybrid CIM", g.Spec.Name, "CIM / GPU"],
        [
            ["latency (s)", N(c.LatencyS), N(g.LatencyS), N(r.LatencyVsGpu)],
            ["time to first token (s)", N(c.TtftS), N(g.TtftS), N(c.TtftS / g.TtftS)],
            ["time per output token (s)", N(c.TpotS), N(g.TpotS), N(r.TpotVsGpu)],
            ["energy, GPU board (J)", N(c.EnergyJ), N(g.EnergyJ), N(r.EnergyVsGpu)],
            ["energy, GPU compute-only (J)", N(c.EnergyJ), N(g.ComputeEnergyJ), N(r.ComputeEnergyVsGpu)],
            ["area (mm^2)", N(c.AreaMm2), "", ""],
        ], r.MappingProblems.Count > 0 ? "The model does not fit the configured budgets (simulated anyway): " + string.Join("; ", r.MappingProblems) : null);
        Table("energy-by-component", "CIM energy by component", ["component", "energy (J)", "share (%)"],
            c.EnergyBreakdownJ.Select(kv => new[] { kv.Key, N(kv.Value), N(c.EnergyJ > 0 ? 100 * kv.Value / c.EnergyJ : 0) }));
        Table("area-by-component", "CIM area by component", ["component", "area (mm^2)", "share (%)"],
            c.AreaBreakdownMm2.Select(kv => new[] { kv.Key, N(kv.Value), N(c.AreaMm2 > 0 ? 100 * kv.Value / c.AreaMm2 : 0) }));
        string[] costHeader = ["", "energy (J)", "busy time (s)", "weight area (mm^2)", "utilisation (fraction)"];
        IEnumerable<string[]> CostRows(IEnumerable<CostRow> rows) => rows.Select(x => new[] { x.Name, N(x.EnergyJ), N(x.BusyS), N(x.AreaMm2), N(x.Utilisation) });
        Table("layers", "Per layer", ["layer", .. costHeader[1..]], CostRows(c.Layers), "The same as layers.csv; click a column to sort.");
        Table("operators", "Per operator (summed over layers)", ["operator", .. costHeader[1..]], CostRows(c.Operators), "The same as operators.csv.");

        sb.Append("<section id=\"plots\"><h2>Plots</h2>\n");
        foreach (var (name, svg) in plots)
        {
            var start = svg.IndexOf("<svg", StringComparison.Ordinal);
            sb.Append("<figure><figcaption>").Append(H(name)).Append("</figcaption>\n").Append(start >= 0 ? svg[start..] : "").Append("</figure>\n");
        }
        sb.Append("</section>\n<section id=\"report-json\"><h2>report.json</h2><details><summary>show</summary><pre>")
          .Append(H(Encoding.UTF8.GetString(reportJson))).Append("</pre></details></section>\n")
          .Append("<script>\n").Append(SortScript).Append("\n</script>\n</body></html>\n");
        return sb.ToString();
    }
}
