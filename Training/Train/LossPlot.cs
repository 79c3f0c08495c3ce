namespace CimSim.Training.Train;

/// <summary>The training curve: loss per step (and L_reg on a second axis when HaLoRA ran), as a PNG.</summary>
public static class LossPlot
{
    /// <summary>Headless Linux has no default font: without "DejaVu Sans" (fonts-dejavu-core) ScottPlot draws no text.</summary>
    public const string FontName = "DejaVu Sans";

    public static void Save(IReadOnlyList<StepRecord> log, string path, string title)
    {
        if (log.Count == 0) return;
        var plot = new ScottPlot.Plot();
        plot.Font.Set(FontName);
        var steps = log.Select(r => (double)r.Step + 1).ToArray();
        var loss = plot.Add.Scatter(steps, log.Select(r => r.Loss).ToArray());
        loss.LegendText = "loss (cross-entropy)";
        loss.MarkerSize = 0;
        if (log.Any(r => r.Reg != 0))
        {
            var reg = plot.Add.Scatter(steps, log.Select(r => r.Reg).ToArray());
            reg.LegendText = "L_reg";
            reg.MarkerSize = 0;
            reg.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "L_reg";
        }
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("loss");
        plot.ShowLegend();
        var tmp = path + ".tmp.png";
        plot.SavePng(tmp, 900, 560);
        File.Move(tmp, path, overwrite: true);
    }
}
