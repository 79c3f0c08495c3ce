using System.CommandLine;
using CimSim.Simulator.Sweeps;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim plot DIR`: draws a sweep's figures (PNG and SVG).</summary>
public sealed class PlotCommand : ICliCommand
{
    public int Order => 42;

    public Command Build()
    {
        var dir = new Argument<string>("DIR") { Description = "A sweep output directory (from `cimsim sweep` or `cimsim merge`)." };
        var output = new Option<string?>("--out", "-o") { Description = "Where to write the figures (default: DIR/plots)." };
        var cmd = new Command("plot", """
            Draw a sweep's figures from DIR/results.jsonl, each as PNG and SVG:
              energy-breakdown    energy per run split by component, one stacked bar per point
                                  (the Pareto-front points when there are more than 32)
              pareto              energy vs latency with the Pareto front; accuracy as colour when measured
              energy-vs-area      energy vs area, Pareto front drawn, dominated points faded
              energy-vs-accuracy  energy vs accuracy, likewise (sweeps run with --accuracy)
              sensitivity-PATH    mean energy and latency against each swept parameter
              accuracy-vs-noise   accuracy against the swept noise level (sweeps run with --accuracy)
            and DIR/report.html: inputs, results table, the plots inline (one file, no network).

            Example:
              cimsim plot out/sweep            # writes out/sweep/plots/*.png and *.svg
            """)
        {
            dir, output,
        };
        cmd.SetAction(pr =>
        {
            var d = pr.GetValue(dir)!;
            var o = pr.GetValue(output) ?? Path.Combine(d, "plots");
            var files = SweepPlots.Draw(d, o);
            if (files.Count == 0)
            {
                Log.Warning("{Dir} holds no valid point with energy and latency: nothing to plot", d);
                return 1;
            }
            foreach (var f in files.Where(f => f.EndsWith(".png", StringComparison.Ordinal))) Log.Information("wrote {File} (and .svg)", f);
            Log.Information("wrote {File}", Reports.SweepHtml.Write(d, files));
            return 0;
        });
        return cmd;
    }
}
