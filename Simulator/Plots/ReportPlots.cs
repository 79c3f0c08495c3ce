using CimSim.Common.IO;
using CimSim.Common.Units;
using CimSim.Simulator.Reports;
using ScottPlot;

namespace CimSim.Simulator.Plots;

/// <summary>The simulate report's plots (ScottPlot through <see cref="PlotDefaults"/>), written atomically as PNG and SVG.</summary>
public static class ReportPlots
{
    private static readonly Color[] Palette = new ScottPlot.Palettes.Category20().Colors;

    public static IReadOnlyList<string> WriteAll(SimulationReport r, string outDir) =>
    [
        .. PlotDefaults.Save(EnergyBreakdown(r), Path.Combine(outDir, "energy_breakdown")),
        .. PlotDefaults.Save(EnergyPerLayer(r), Path.Combine(outDir, "energy_per_layer")),
        .. PlotDefaults.Save(LatencyByPhase(r), Path.Combine(outDir, "latency_by_phase")),
    ];

    /// <summary>Stacked shares (percent) of each energy class: CIM, GPU compute-only, GPU board; totals in the tick labels.</summary>
    public static Plot EnergyBreakdown(SimulationReport r)
    {
        var plot = PlotDefaults.NewPlot();
        var columns = new (string Label, IReadOnlyDictionary<string, double> Parts, double Total)[]
        {
            ($"hybrid CIM\n{UnitFormat.Joules(r.Cim.EnergyJ)}", r.Cim.EnergyBreakdownJ, r.Cim.EnergyJ),
            ($"{r.Gpu.Spec.Name} compute-only\n{UnitFormat.Joules(r.Gpu.ComputeEnergyJ)}", new Dictionary<string, double> { ["gpu_macs (compute-only)"] = r.Gpu.ComputeEnergyJ }, r.Gpu.ComputeEnergyJ),
            ($"{r.Gpu.Spec.Name} board\n{UnitFormat.Joules(r.Gpu.EnergyJ)}", r.Gpu.EnergyByGroupJ.ToDictionary(kv => "gpu_" + kv.Key, kv => kv.Value), r.Gpu.EnergyJ),
        };
        var legend = new List<LegendItem>();
        var colorOf = new Dictionary<string, Color>(StringComparer.Ordinal);
        for (var x = 0; x < columns.Length; x++)
        {
            double baseV = 0;
            foreach (var (k, v) in columns[x].Parts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (v <= 0 || columns[x].Total <= 0) continue;
                if (!colorOf.TryGetValue(k, out var color))
                {
                    color = Palette[colorOf.Count % Palette.Length];
                    colorOf[k] = color;
                    legend.Add(new LegendItem { LabelText = k, FillColor = color });
                }
                var share = 100 * v / columns[x].Total;
                plot.Add.Bar(new Bar { Position = x, ValueBase = baseV, Value = baseV + share, FillColor = color, Size = 0.6 });
                baseV += share;
            }
        }
        plot.Axes.Bottom.SetTicks([0, 1, 2], columns.Select(c => c.Label).ToArray());
        plot.Axes.SetLimits(-0.6, 4.2, 0, 100);
        plot.YLabel("share of energy (%)");
        plot.Title($"Energy breakdown, {r.Inputs.Model}, {r.Inputs.PromptTokens}+{r.Inputs.GeneratedTokens} tokens");
        plot.ShowLegend(legend, Alignment.UpperRight);
        return plot;
    }

    /// <summary>CIM energy per decoder layer (mJ), the layer-less operators (embedding, final norm, lm_head) first.</summary>
    public static Plot EnergyPerLayer(SimulationReport r)
    {
        var plot = PlotDefaults.NewPlot();
        var items = r.Cim.EnergyByLayerJ.ToList();
        var bars = items.Select((kv, x) => new Bar { Position = x, Value = kv.Value * 1e3, FillColor = Palette[0], Size = 0.7 }).ToArray();
        plot.Add.Bars(bars);
        var step = Math.Max(1, items.Count / 16);
        var ticks = Enumerable.Range(0, items.Count).Where(x => x % step == 0).ToArray();
        plot.Axes.Bottom.SetTicks(ticks.Select(x => (double)x).ToArray(),
            ticks.Select(x => items[x].Key == "embedding_lm_head" ? "emb+head" : items[x].Key.Replace("layer_", "", StringComparison.Ordinal)).ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.XLabel("decoder layer");
        plot.YLabel("CIM energy (mJ)");
        plot.Title($"Energy per layer, {r.Inputs.Model} on {r.Inputs.HardwareName}");
        return plot;
    }

    /// <summary>
    /// Prefill (time to first token) and decode time, CIM beside the GPU, on a log axis (seconds): the two sides
    /// differ by decades, and a linear axis hides the smaller bars.
    /// </summary>
    public static Plot LatencyByPhase(SimulationReport r)
    {
        var plot = PlotDefaults.NewPlot();
        var phases = new[]
        {
            ("prefill (TTFT)", r.Cim.TtftS, r.Gpu.TtftS),
            ("decode", r.Cim.LatencyS - r.Cim.TtftS, r.Gpu.LatencyS - r.Gpu.TtftS),
        };
        var positive = phases.SelectMany(p => new[] { p.Item2, p.Item3 }).Where(v => v > 0 && double.IsFinite(v)).ToArray();
        var floor = positive.Length == 0 ? -6 : Math.Floor(Math.Log10(positive.Min())) - 1;
        var top = positive.Length == 0 ? 0 : Math.Ceiling(Math.Log10(positive.Max()));
        double Log(double v) => v > 0 && double.IsFinite(v) ? Math.Log10(v) : floor;
        var bars = new List<Bar>();
        for (var p = 0; p < phases.Length; p++)
        {
            bars.Add(new Bar { Position = 3 * p, ValueBase = floor, Value = Log(phases[p].Item2), FillColor = Palette[0], Size = 0.9, Label = UnitFormat.Seconds(phases[p].Item2) });
            bars.Add(new Bar { Position = 3 * p + 1, ValueBase = floor, Value = Log(phases[p].Item3), FillColor = Palette[2], Size = 0.9, Label = UnitFormat.Seconds(phases[p].Item3) });
        }
        plot.Add.Bars(bars.ToArray());
        plot.Axes.Bottom.SetTicks([0.5, 3.5], phases.Select(ph => ph.Item1).ToArray());
        PlotDefaults.LogAxis(plot.Axes.Left, floor, top);
        plot.Axes.SetLimitsY(floor, top + 0.3);
        plot.YLabel("time (s, log scale)");
        plot.Title($"Latency by phase, batch {r.Inputs.Batch}, {r.Inputs.PromptTokens}+{r.Inputs.GeneratedTokens} tokens");
        plot.ShowLegend(
        [
            new LegendItem { LabelText = "hybrid CIM", FillColor = Palette[0] },
            new LegendItem { LabelText = r.Gpu.Spec.Name + " (roofline)", FillColor = Palette[2] },
        ], Alignment.UpperLeft);
        return plot;
    }
}
