using CimSim.Simulator.Lifecycle;

namespace CimSim.Simulator.Plots;

/// <summary>The lifecycle report's figure: KL(ideal || chip) over deployment time, one series per refresh policy, bars = std over chip seeds.</summary>
public static class LifecyclePlots
{
    public static ScottPlot.Plot AccuracyOverTime(LifecycleReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var plot = PlotDefaults.NewPlot();
        foreach (var series in r.Accuracy.GroupBy(p => p.Series))
        {
            var pts = series.ToList();
            var xs = pts.Select(p => Math.Log10(p.TimeS)).ToArray();
            var ys = pts.Select(p => p.KlDivergence).ToArray();
            var sc = plot.Add.Scatter(xs, ys);
            sc.LegendText = series.Key;
            var eb = plot.Add.ErrorBar(xs, ys, pts.Select(p => p.KlDivergenceStd).ToArray());
            eb.Color = sc.Color;
        }
        double lo = Math.Floor(Math.Log10(r.Accuracy.Min(p => p.TimeS))), hi = Math.Ceiling(Math.Log10(r.Accuracy.Max(p => p.TimeS)));
        plot.Title($"Accuracy over deployment time ({r.Inputs.Seeds} chips per point)");
        plot.XLabel("time after first programming (s)");
        plot.YLabel("KL(ideal || chip), nats");
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        plot.Axes.AutoScale();
        PlotDefaults.LogAxis(plot.Axes.Bottom, lo, hi);
        return plot;
    }
}
