using System.Globalization;
using System.Net;
using System.Text;

namespace CimSim.Simulator.Reports;

/// <summary>
/// One self-contained HTML page (no network: styles and the sort script inline, plots inlined as SVG or as
/// data: images), built section by section. Every CimSim report.html (simulate, sweep/explore, accuracy) is one.
/// </summary>
public sealed class HtmlPage
{
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

    private readonly StringBuilder _sb = new();

    public HtmlPage(string title)
    {
        _sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(H(title)).Append("</title>\n")
           .Append("<style>body{font-family:'DejaVu Sans',sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin-bottom:1em}")
           .Append("td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left}th{cursor:pointer;background:#f3f3f3}")
           .Append("pre{background:#f7f7f7;padding:1em;overflow:auto;max-height:30em}svg,img{max-width:100%;height:auto}</style></head><body>\n")
           .Append("<h1>").Append(H(title)).Append("</h1>\n");
    }

    public static string H(string s) => WebUtility.HtmlEncode(s);

    public static string N(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>A section holding a sortable table (click a header to sort), with an optional note above it.</summary>
    public HtmlPage Table(string id, string title, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? note = null)
    {
        _sb.Append("<section id=\"").Append(id).Append("\"><h2>").Append(H(title)).Append("</h2>\n");
        if (note is not null) _sb.Append("<p>").Append(H(note)).Append("</p>\n");
        _sb.Append("<table class=\"sortable\"><thead><tr>");
        foreach (var h in header) _sb.Append("<th>").Append(H(h)).Append("</th>");
        _sb.Append("</tr></thead><tbody>\n");
        foreach (var row in rows)
        {
            _sb.Append("<tr>");
            foreach (var cell in row) _sb.Append("<td>").Append(H(cell)).Append("</td>");
            _sb.Append("</tr>\n");
        }
        _sb.Append("</tbody></table></section>\n");
        return this;
    }

    /// <summary>A section of text paragraphs.</summary>
    public HtmlPage Paragraphs(string id, string title, IEnumerable<string> paragraphs)
    {
        _sb.Append("<section id=\"").Append(id).Append("\"><h2>").Append(H(title)).Append("</h2>\n");
        foreach (var p in paragraphs) _sb.Append("<p>").Append(H(p)).Append("</p>\n");
        _sb.Append("</section>\n");
        return this;
    }

    /// <summary>A section of figures: SVG text inlined (its XML prolog dropped), or PNG bytes as a data: image.</summary>
    public HtmlPage Plots(string id, IEnumerable<(string Name, string? Svg, byte[]? Png)> plots)
    {
        _sb.Append("<section id=\"").Append(id).Append("\"><h2>Plots</h2>\n");
        foreach (var (name, svg, png) in plots)
        {
            _sb.Append("<figure><figcaption>").Append(H(name)).Append("</figcaption>\n");
            if (svg is not null)
            {
                var start = svg.IndexOf("<svg", StringComparison.Ordinal);
                _sb.Append(start >= 0 ? svg[start..] : "");
            }
            else if (png is not null)
            {
                _sb.Append("<img alt=\"").Append(H(name)).Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append("\">");
            }
            _sb.Append("</figure>\n");
        }
        _sb.Append("</section>\n");
        return this;
    }

    /// <summary>A collapsed section showing a file's text (report.json, sweep.json) verbatim.</summary>
    public HtmlPage Source(string id, string title, string text)
    {
        _sb.Append("<section id=\"").Append(id).Append("\"><h2>").Append(H(title)).Append("</h2><details><summary>show</summary><pre>")
           .Append(H(text)).Append("</pre></details></section>\n");
        return this;
    }

    public override string ToString() => _sb + "<script>\n" + SortScript + "\n</script>\n</body></html>\n";
}
