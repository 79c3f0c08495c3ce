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
}
