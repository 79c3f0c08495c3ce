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
