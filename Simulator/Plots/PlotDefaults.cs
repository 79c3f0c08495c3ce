using ScottPlot;

namespace CimSim.Simulator.Plots;

/// <summary>
/// Shared ScottPlot settings. Headless Linux has no default font: without "DejaVu Sans"
/// (Debian fonts-dejavu-core) ScottPlot draws no text at all.
/// </summary>
public static class PlotDefaults
{
    public const string FontName = "DejaVu Sans";
    public const int Width = 900, Height = 560;

    /// <summary>A new plot with the project's font applied to every text element.</summary>
    public static ScottPlot.Plot NewPlot()
    {
        var plot = new ScottPlot.Plot();
        plot.Font.Set(FontName);
        return plot;
    }

    /// <summary>Writes <paramref name="basePath"/>.png and .svg (atomically); returns both paths.</summary>
    public static IReadOnlyList<string> Save(ScottPlot.Plot plot, string basePath, int width = Width, int height = Height)
    {
        var png = basePath + ".png";
        var svg = basePath + ".svg";
        CimSim.Common.IO.AtomicFile.WriteAllBytes(png, plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png));
        CimSim.Common.IO.AtomicFile.WriteAllText(svg, StableSvg(plot.GetSvgXml(width, height), Path.GetFileName(basePath)));
        return [png, svg];
    }

    /// <summary>
    /// Writes panels stacked in one figure (one row each, x axes aligned) as <paramref name="basePath"/>.png and .svg:
    /// quantities with different units get their own panel and axis, never a second y axis over the first.
    /// </summary>
    public static IReadOnlyList<string> SavePanels(IReadOnlyList<ScottPlot.Plot> panels, string basePath, int width = Width, int panelHeight = 300)
    {
        var multiplot = new ScottPlot.Multiplot();
        // A new Multiplot holds one empty plot of its own.
        foreach (var own in multiplot.GetPlots().ToList()) multiplot.RemovePlot(own);
        foreach (var p in panels)
        {
            // The same left margin in every panel lines the x axes up.
            p.Axes.Left.MinimumSize = 90;
            multiplot.AddPlot(p);
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        var height = panelHeight * panels.Count;
        var png = basePath + ".png";
        var svg = basePath + ".svg";
        var dir = Path.GetDirectoryName(Path.GetFullPath(basePath))!;
        Directory.CreateDirectory(dir);
        // Multiplot writes files only: render to temporaries, then commit each atomically.
        var tmp = Path.Combine(dir, "." + Path.GetFileName(basePath) + ".panels-" + Environment.ProcessId + "-" + Environment.CurrentManagedThreadId);
        try
        {
            multiplot.SavePng(tmp + ".png", width, height);
            CimSim.Common.IO.AtomicFile.WriteAllBytes(png, File.ReadAllBytes(tmp + ".png"));
            // Multiplot has no SVG writer: each panel's SVG nested in one document, one below the other.
            var doc = new System.Text.StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\">");
            for (var i = 0; i < panels.Count; i++)
            {
                var panel = StableSvg(panels[i].GetSvgXml(width, panelHeight), Path.GetFileName(basePath) + "_" + i);
                var start = panel.IndexOf("<svg", StringComparison.Ordinal);
                doc.Append("<svg y=\"").Append(i * panelHeight).Append('"').Append(panel[(start + 4)..]);
            }
            CimSim.Common.IO.AtomicFile.WriteAllText(svg, doc.Append("</svg>\n").ToString());
        }
        finally
        {
            File.Delete(tmp + ".png");
        }
        return [png, svg];
    }

    /// <summary>True when positive values span at least <paramref name="decades"/> decades (max / min >= 10^decades): such an axis is drawn on a log scale.</summary>
    public static bool SpansDecades(IEnumerable<double> values, double decades = 2)
    {
        var v = values.Where(double.IsFinite).ToList();
        return v.Count > 1 && v.All(x => x > 0) && v.Max() / v.Min() >= Math.Pow(10, decades);
    }

    /// <summary>
    /// SkiaSharp numbers SVG clip paths with a process-wide hexadecimal counter ("cl_1b"), so the same plot differs between
    /// runs in one process; renumbers them from 0 in order of appearance, prefixed with <paramref name="name"/>
    /// so several SVGs inlined in one HTML page never share an id.
    /// </summary>
    public static string StableSvg(string svg, string name)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        return System.Text.RegularExpressions.Regex.Replace(svg, @"\bcl_([0-9a-fA-F]+)\b", m =>
        {
            if (!ids.TryGetValue(m.Groups[1].Value, out var k)) ids[m.Groups[1].Value] = k = ids.Count;
            return $"cl_{name}_{k}";
        });
    }

    /// <summary>
    /// Makes <paramref name="axis"/> a log10 axis for data already plotted as log10(value): a major tick and label
    /// per decade in [<paramref name="fromDecade"/>, <paramref name="toDecade"/>], minor ticks at 2..9.
    /// </summary>
    public static void LogAxis(ScottPlot.IAxis axis, double fromDecade, double toDecade)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var d = (int)Math.Floor(fromDecade); d <= (int)Math.Ceiling(toDecade); d++)
        {
            ticks.AddMajor(d, Math.Pow(10, d).ToString("G3", System.Globalization.CultureInfo.InvariantCulture));
            if (d < toDecade)
                for (var m = 2; m < 10; m++) ticks.AddMinor(d + Math.Log10(m));
        }
        axis.TickGenerator = ticks;
    }
}
