using System.Globalization;
using System.Text;
using CimSim.Simulator.Plots;
using ScottPlot;

namespace CimSim.Simulator.Sweeps;

/// <summary>
/// The figures of `cimsim plot DIR`, drawn from results.jsonl: energy breakdown (stacked bars), the
/// energy/latency Pareto front (accuracy as colour when the sweep measured it), the sensitivity to each swept
/// parameter, and accuracy against the noise level. Each figure is written as PNG and SVG.
/// </summary>
public static class SweepPlots
{
    /// <summary>Metric names the plots read (the sweep evaluator's column names).</summary>
    public const string Energy = "energy_j", Latency = "latency_s", Accuracy = "accuracy", Area = "area_mm2", BreakdownPrefix = "energy_j.";

    /// <summary>Most bars in the breakdown figure; beyond it, the Pareto-front points are shown.</summary>
    public const int MaxBars = 32;

    /// <summary>Up to this many points, the Pareto plot labels each point with its parameter values.</summary>
    public const int MaxLabelledPoints = 24;

    /// <summary>
    /// A front's energy, latency or area axis is logarithmic when its values span at least this many decades (issue 13:
    /// "log scale where ranges span decades"; a design space's energy easily spans 10x, and a linear axis then squeezes
    /// the cheap designs, where the front is, into one corner).
    /// </summary>
    public const double FrontLogDecades = 1;

    /// <summary>True when a front axis over <paramref name="values"/> is drawn on a log scale.</summary>
    public static bool FrontAxisIsLog(IEnumerable<double> values) => PlotDefaults.SpansDecades(values, FrontLogDecades);

    /// <summary>Up to this many points, the energy-vs-area/accuracy plots label every point, beyond it the front's.</summary>
    public const int MaxLabelledFrontPlotPoints = 8;

    /// <summary>Draws every figure the data supports into <paramref name="outDirectory"/>; returns the files written (PNG and SVG).</summary>
    public static IReadOnlyList<string> Draw(string sweepDirectory, string outDirectory)
    {
        var (paths, rows) = SweepTable.Read(sweepDirectory);
        var ok = rows.Where(r => r.IsOk && r.Metric(Energy).HasValue && r.Metric(Latency).HasValue).ToList();
        var written = new List<string>();
        if (ok.Count == 0) return written;
        var title = $"{Path.GetFileName(Path.GetFullPath(sweepDirectory).TrimEnd('/'))}: {ok.Count} valid of {rows.Count} points";

        written.AddRange(Save(EnergyBreakdown(ok, paths, title), outDirectory, "energy-breakdown"));
        written.AddRange(Save(Pareto(ok, paths, title), outDirectory, "pareto"));
        if (ok.Any(r => r.Metric(Area).HasValue))
            written.AddRange(Save(EnergyFront(ok, paths, title, Area, maximise: false, 1, "Area (mm^2)"), outDirectory, "energy-vs-area"));
        if (ok.Any(r => r.Metric(Accuracy).HasValue))
            written.AddRange(Save(EnergyFront(ok, paths, title, Accuracy, maximise: true, 100, "Accuracy (%)"), outDirectory, "energy-vs-accuracy"));
        foreach (var path in paths)
        {
            var values = ok.Select(r => r.Parameter(path)).Distinct().Count();
            if (values > 1) written.AddRange(PlotDefaults.SavePanels(Sensitivity(ok, path), Path.Combine(outDirectory, "sensitivity-" + FileSafe(path))));
        }
        var noise = paths.FirstOrDefault(IsNoisePath);
        if (noise is not null && ok.Any(r => r.Metric(Accuracy).HasValue)
            && ok.Select(r => r.Parameter(noise)).Distinct().Count() > 1
            && ok.All(r => double.TryParse(r.Parameter(noise), NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            written.AddRange(Save(AccuracyVsNoise(ok, paths, noise), outDirectory, "accuracy-vs-noise"));
        return written;
    }

    /// <summary>True when every swept value is a whole number (a count or a bit width): ticks go on the values only.</summary>
    public static bool IsIntegerKey(IReadOnlyList<double> values) => values.Count > 0 && values.All(v => double.IsFinite(v) && v == Math.Round(v));

    /// <summary>A swept path that sets a noise level (e.g. rram.noise.weight_noise.sigma).</summary>
    public static bool IsNoisePath(string path) =>
        path.Contains("noise", StringComparison.OrdinalIgnoreCase) || path.EndsWith("sigma", StringComparison.OrdinalIgnoreCase);

    /// <summary>Points on the energy/latency Pareto front (no other point is at least as good in both and better in one; equal points all kept), by energy.</summary>
    public static IReadOnlyList<SweepRow> ParetoFront(IReadOnlyList<SweepRow> rows) =>
        Sweeps.ParetoFront.Of(rows, r => r.Metric(Energy)!.Value, r => r.Metric(Latency)!.Value);

    private static Plot EnergyBreakdown(IReadOnlyList<SweepRow> ok, IReadOnlyList<string> paths, string title)
    {
        var shown = ok.Count <= MaxBars ? ok : ParetoFront(ok).Take(MaxBars).ToList();
        var components = new List<string>();
        foreach (var r in shown)
            foreach (var m in r.MetricOrder)
                if (m.StartsWith(BreakdownPrefix, StringComparison.Ordinal) && !components.Contains(m)) components.Add(m);
        var (scale, unit) = EnergyUnit(shown.Max(r => r.Metric(Energy)!.Value));

        var plot = PlotDefaults.NewPlot();
        var palette = new ScottPlot.Palettes.Category20();
        var bars = new List<Bar>();
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var i = 0; i < shown.Count; i++)
        {
            var r = shown[i];
            var bottom = 0.0;
            if (components.Count == 0)
            {
                bars.Add(new Bar { Position = i, ValueBase = 0, Value = r.Metric(Energy)!.Value * scale, FillColor = palette.GetColor(0), LineWidth = 0 });
            }
            for (var c = 0; c < components.Count; c++)
            {
                var v = (r.Metric(components[c]) ?? 0) * scale;
                bars.Add(new Bar { Position = i, ValueBase = bottom, Value = bottom + v, FillColor = palette.GetColor(c), LineWidth = 0 });
                bottom += v;
            }
            ticks.AddMajor(i, PointLabel(r, paths));
        }
        plot.Add.Bars(bars);
        foreach (var (c, i) in components.Select((c, i) => (c, i)))
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = c[BreakdownPrefix.Length..].Replace('_', ' '), FillColor = palette.GetColor(i) });
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        // Room for the rotated labels (about 0.75 of the longest label's width in pixels at the default font size).
        plot.Axes.Bottom.MinimumSize = 30 + 0.6f * 8 * shown.Max(r => PointLabel(r, paths).Length);
        plot.Axes.Margins(bottom: 0);
        plot.Title("Energy breakdown per run" + (shown.Count < ok.Count ? $" (the {shown.Count} Pareto-front points)" : ""));
        plot.XLabel("Point (" + string.Join(" / ", paths.Select(ShortName)) + ")");
        plot.YLabel($"Energy ({unit})");
        if (components.Count > 0) plot.ShowLegend(Edge.Right);
        _ = title;
        return plot;
    }

    internal static Plot Pareto(IReadOnlyList<SweepRow> ok, IReadOnlyList<string> paths, string title)
    {
        var (es, eu) = EnergyUnit(ok.Max(r => r.Metric(Energy)!.Value));
        var (ls, lu) = TimeUnit(ok.Max(r => r.Metric(Latency)!.Value));
        bool logX = FrontAxisIsLog(ok.Select(r => r.Metric(Latency)!.Value)), logY = FrontAxisIsLog(ok.Select(r => r.Metric(Energy)!.Value));
        double X(SweepRow r) => logX ? Math.Log10(r.Metric(Latency)!.Value * ls) : r.Metric(Latency)!.Value * ls;
        double Y(SweepRow r) => logY ? Math.Log10(r.Metric(Energy)!.Value * es) : r.Metric(Energy)!.Value * es;
        var plot = PlotDefaults.NewPlot();
        var withAccuracy = ok.All(r => r.Metric(Accuracy).HasValue);
        if (withAccuracy)
        {
            var range = new ScottPlot.Range(ok.Min(r => r.Metric(Accuracy)!.Value) * 100, ok.Max(r => r.Metric(Accuracy)!.Value) * 100);
            if (range.Max - range.Min == 0) range = new ScottPlot.Range(range.Min - 0.5, range.Max + 0.5);
            var colormap = new ScottPlot.Colormaps.Viridis();
            foreach (var r in ok.OrderBy(r => r.Metric(Accuracy)!.Value))
            {
                var f = (r.Metric(Accuracy)!.Value * 100 - range.Min) / (range.Max - range.Min);
                plot.Add.Marker(X(r), Y(r), MarkerShape.FilledCircle, 9, colormap.GetColor(f));
            }
            var bar = plot.Add.ColorBar(new ColorAxis(colormap, range));
            bar.Label = "Accuracy (%)";
        }
        else
        {
            var all = plot.Add.ScatterPoints(ok.Select(X).ToArray(), ok.Select(Y).ToArray());
            all.Color = Colors.SteelBlue;
            all.MarkerSize = 8;
            all.LegendText = "sweep point";
        }
        var front = ParetoFront(ok);
        var line = plot.Add.Scatter(front.Select(X).ToArray(), front.Select(Y).ToArray());
        line.Color = Colors.Black;
        line.LineWidth = 1.5f;
        line.MarkerShape = MarkerShape.OpenCircle;
        line.MarkerSize = 14;
        line.LegendText = $"Pareto front ({front.Count} point{(front.Count == 1 ? "" : "s")})";
        if (ok.Count <= MaxLabelledPoints)
        {
            // Points at the same place are listed in one label, never merged into "+N": each with its accuracy, which the colour of one dot cannot show.
            var places = ok.GroupBy(r => (Math.Round(X(r), 6), Math.Round(Y(r), 6)));
            double xMin = ok.Min(X), xMax = ok.Max(X);
            foreach (var place in places)
            {
                // Labels of points in the right third go to their left, so that they stay inside the plot.
                var left = xMax > xMin && place.Key.Item1 > xMin + 0.66 * (xMax - xMin);
                var names = place.Select(r => PointLabel(r, paths) + (withAccuracy && place.Count() > 1 ? string.Create(CultureInfo.InvariantCulture, $" ({r.Metric(Accuracy)!.Value * 100:0.#} %)") : "")).ToList();
                var label = names.Count <= 3 ? string.Join("; ", names) : $"{names.Count} points: {string.Join(", ", place.Select(r => r.Id))}";
                var text = plot.Add.Text(label, place.Key.Item1, place.Key.Item2);
                text.LabelFontSize = 11;
                text.LabelFontName = PlotDefaults.FontName;
                text.LabelFontColor = Colors.DimGray;
                text.LabelAlignment = left ? Alignment.LowerRight : Alignment.LowerLeft;
                text.OffsetX = left ? -6 : 6;
                text.OffsetY = -4;
            }
            plot.Axes.Margins(horizontal: 0.08, vertical: 0.1);
            plot.XLabel($"Latency per run ({lu}); points labelled " + string.Join(" / ", paths.Select(ShortName)));
        }
        if (logX) PlotDefaults.LogAxis(plot.Axes.Bottom, Math.Floor(ok.Min(X)), Math.Ceiling(ok.Max(X)));
        if (logY) PlotDefaults.LogAxis(plot.Axes.Left, Math.Floor(ok.Min(Y)), Math.Ceiling(ok.Max(Y)));
        plot.Title("Energy vs latency" + (withAccuracy ? " (colour: accuracy)" : "") + " — " + title);
        if (ok.Count > MaxLabelledPoints) plot.XLabel($"Latency per run ({lu})");
        plot.YLabel($"Energy per run ({eu})");
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>
    /// Mean energy, latency and (when measured) accuracy against one swept parameter, averaged over the other
    /// parameters, each in its own panel (one unit per axis). Integer keys tick only at the swept values; numeric
    /// keys and metrics spanning two decades or more are drawn on log axes; accuracy has error bars (the pooled
    /// standard deviation over chip instances) and the chance level.
    /// </summary>
    private static IReadOnlyList<Plot> Sensitivity(IReadOnlyList<SweepRow> ok, string path)
    {
        var groups = ok.GroupBy(r => r.Parameter(path) ?? "").ToList();
        var numeric = groups.All(g => double.TryParse(g.Key, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        var ordered = numeric ? groups.OrderBy(g => double.Parse(g.Key, CultureInfo.InvariantCulture)).ToList() : groups.OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var values = ordered.Select((g, i) => numeric ? double.Parse(g.Key, CultureInfo.InvariantCulture) : i).ToArray();
        var logX = numeric && PlotDefaults.SpansDecades(values);
        var xs = logX ? values.Select(Math.Log10).ToArray() : values;
        var others = ok.Count / Math.Max(1, ordered.Count);

        Plot Panel(string yLabel, double[] ys, double[]? errors, double? chance, Color color)
        {
            var plot = PlotDefaults.NewPlot();
            var logY = errors is null && PlotDefaults.SpansDecades(ys);
            var shown = logY ? ys.Select(Math.Log10).ToArray() : ys;
            var sc = plot.Add.Scatter(xs, shown);
            sc.Color = color;
            sc.LineWidth = 2;
            sc.MarkerSize = 8;
            if (errors is not null)
            {
                var eb = plot.Add.ErrorBar(xs, shown, errors);
                eb.Color = color;
            }
            if (chance is { } c)
            {
                var line = plot.Add.HorizontalLine(c);
                line.Color = Colors.Gray;
                line.LinePattern = LinePattern.Dashed;
                line.LegendText = "chance";
                plot.ShowLegend(Alignment.LowerRight);
            }
            if (logY) PlotDefaults.LogAxis(plot.Axes.Left, Math.Floor(shown.Min()), Math.Ceiling(shown.Max()));
            XAxis(plot);
            plot.YLabel(yLabel);
            return plot;
        }

        void XAxis(Plot plot)
        {
            if (logX) PlotDefaults.LogAxis(plot.Axes.Bottom, Math.Floor(xs.Min()), Math.Ceiling(xs.Max()));
            else if (!numeric || IsIntegerKey(values))
            {
                // Categories, and integer keys (ADC bits, rows): one tick per swept value, never "4.2 bits".
                var ticks = new ScottPlot.TickGenerators.NumericManual();
                for (var i = 0; i < ordered.Count; i++) ticks.AddMajor(xs[i], ordered[i].Key);
                plot.Axes.Bottom.TickGenerator = ticks;
            }
            plot.XLabel(AxisLabel(path));
        }

        var energy = ordered.Select(g => g.Average(r => r.Metric(Energy)!.Value)).ToArray();
        var latency = ordered.Select(g => g.Average(r => r.Metric(Latency)!.Value)).ToArray();
        var (es, eu) = EnergyUnit(energy.Max());
        var (ls, lu) = TimeUnit(latency.Max());
        var panels = new List<Plot>
        {
            Panel($"Energy per run ({eu})", energy.Select(v => v * es).ToArray(), null, null, Colors.SteelBlue),
            Panel($"Latency per run ({lu})", latency.Select(v => v * ls).ToArray(), null, null, Colors.OrangeRed),
        };
        if (ordered.All(g => g.Any(r => r.Metric(Accuracy).HasValue)))
        {
            var accuracy = ordered.Select(g => 100 * g.Where(r => r.Metric(Accuracy).HasValue).Average(r => r.Metric(Accuracy)!.Value)).ToArray();
            var errors = ok.Any(r => r.Metric(AccuracyStd).HasValue) ? ordered.Select(g => 100 * PooledStd(g)).ToArray() : null;
            panels.Add(Panel("Mean accuracy (%)" + (errors is null ? "" : ", ± std over chips"), accuracy, errors, Chance(ok), Colors.SeaGreen));
        }
        panels[0].Title($"Sensitivity to {AxisLabel(path)}" + (others > 1 ? $" (mean over {others} settings of the other parameters)" : ""));
        return panels;
    }

    /// <summary>Column names of the spread over chip instances and the chance accuracy (FunctionalAccuracyProbe).</summary>
    public const string AccuracyStd = "accuracy_std", ChanceAccuracy = "chance_accuracy";

    /// <summary>sqrt(mean of the per-point variances over chip instances): the seed spread of a mean over points.</summary>
    private static double PooledStd(IEnumerable<SweepRow> rows)
    {
        var v = rows.Select(r => r.Metric(AccuracyStd)).Where(x => x.HasValue).Select(x => x!.Value * x.Value).ToList();
        return v.Count == 0 ? 0 : Math.Sqrt(v.Average());
    }

    /// <summary>The chance accuracy in percent (random choice among each question's choices), when the rows carry it.</summary>
    private static double? Chance(IEnumerable<SweepRow> rows) =>
        rows.Select(r => r.Metric(ChanceAccuracy)).FirstOrDefault(x => x.HasValue) is { } c ? 100 * c : null;

    /// <summary>
    /// A config path as an axis name: its words, acronyms in capitals, and the unit the config schema declares for
    /// the key (ConfigKeyAttribute.Unit, the one declaration behind docs/configuration.md); placement paths read
    /// "placement of GLOB", ADC-bits paths "ADC bits of GLOB (bit)".
    /// </summary>
    public static string AxisLabel(string path)
    {
        if (path.StartsWith(PlacementGroup.PlacementPrefix, StringComparison.Ordinal)) return "placement of " + path[PlacementGroup.PlacementPrefix.Length..];
        if (path.StartsWith(PlacementGroup.AdcBitsPrefix, StringComparison.Ordinal)) return "ADC bits of " + path[PlacementGroup.AdcBitsPrefix.Length..] + " (bit)";
        string[] acronyms = ["rram", "sram", "adc", "dac", "cim", "kv", "lm", "noc", "dram", "gpu", "ir"];
        var words = path.Split('.').SelectMany(s => s.Split('_')).Where(w => w.Length > 0)
            .Select(w => acronyms.Contains(w) ? w.ToUpperInvariant() : w).ToList();
        var unit = CimSim.Devices.Config.ConfigSchema.AllKeys.FirstOrDefault(k => k.Path == path)?.Key.Unit;
        return string.Join(" ", words) + (string.IsNullOrEmpty(unit) ? "" : $" ({unit})");
    }

    /// <summary>
    /// Accuracy against the swept noise level, one curve per setting of the other parameters (identical curves
    /// merged), with error bars (std over chip instances) when the sweep ran several, the chance level, and a log
    /// x axis when the levels span two decades.
    /// </summary>
    private static Plot AccuracyVsNoise(IReadOnlyList<SweepRow> ok, IReadOnlyList<string> paths, string noise)
    {
        var others = paths.Where(p => p != noise).ToList();
        var rows = ok.Where(r => r.Metric(Accuracy).HasValue).ToList();
        var logX = PlotDefaults.SpansDecades(rows.Select(r => double.Parse(r.Parameter(noise)!, CultureInfo.InvariantCulture)));
        double X(double v) => logX ? Math.Log10(v) : v;
        // One curve per setting of the other parameters; settings with identical curves share one line.
        var series = rows.GroupBy(r => string.Join(", ", others.Select(p => ShortName(p) + "=" + r.Parameter(p))))
            .Select(s => (Label: s.Key, Points: s.GroupBy(r => double.Parse(r.Parameter(noise)!, CultureInfo.InvariantCulture))
                .OrderBy(g => g.Key).Select(g => (X: X(g.Key), Y: g.Average(r => r.Metric(Accuracy)!.Value) * 100, E: 100 * PooledStd(g))).ToList()))
            .GroupBy(s => string.Join(";", s.Points.Select(p => p.X.ToString("R", CultureInfo.InvariantCulture) + ":" + p.Y.ToString("R", CultureInfo.InvariantCulture))))
            .Select(g => (Label: g.First().Label + (g.Count() > 1 ? $" (+{g.Count() - 1} identical)" : ""), g.First().Points))
            .ToList();
        var plot = PlotDefaults.NewPlot();
        var palette = new ScottPlot.Palettes.Category10();
        var withErrors = rows.Any(r => r.Metric(AccuracyStd).HasValue);
        var i = 0;
        foreach (var (label, pts) in series.Take(10))
        {
            var sc = plot.Add.Scatter(pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray());
            sc.Color = palette.GetColor(i++);
            sc.LineWidth = 2;
            sc.MarkerSize = 8;
            sc.LegendText = label.Length == 0 ? "accuracy" : label;
            if (withErrors)
            {
                var eb = plot.Add.ErrorBar(pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray(), pts.Select(p => p.E).ToArray());
                eb.Color = sc.Color;
            }
        }
        if (Chance(rows) is { } chance)
        {
            var line = plot.Add.HorizontalLine(chance);
            line.Color = Colors.Gray;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = "chance";
        }
        if (logX)
        {
            var all = series.SelectMany(s => s.Points.Select(p => p.X)).ToList();
            PlotDefaults.LogAxis(plot.Axes.Bottom, Math.Floor(all.Min()), Math.Ceiling(all.Max()));
        }
        plot.Title("Accuracy vs noise level" + (series.Count > 10 ? $" (first 10 of {series.Count} settings)" : ""));
        plot.XLabel(AxisLabel(noise));
        plot.YLabel("Accuracy (%)" + (withErrors ? ", ± std over chips" : ""));
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }

    private static IEnumerable<string> Save(Plot plot, string outDirectory, string name) =>
        PlotDefaults.Save(plot, Path.Combine(outDirectory, name));

    /// <summary>
    /// Energy against a second objective (area, or accuracy to maximise) with the Pareto front drawn and the
    /// dominated points faded. Points at the same place are never merged: up to <see cref="MaxLabelledFrontPlotPoints"/>
    /// points every place is labelled with all of its points, beyond it the front's places are.
    /// </summary>
    internal static Plot EnergyFront(IReadOnlyList<SweepRow> ok, IReadOnlyList<string> paths, string title, string metric, bool maximise, double scale, string yLabel)
    {
        var rows = ok.Where(r => r.Metric(metric).HasValue).ToList();
        var (es, eu) = EnergyUnit(rows.Max(r => r.Metric(Energy)!.Value));
        var logX = FrontAxisIsLog(rows.Select(r => r.Metric(Energy)!.Value));
        // Area may span decades too; accuracy is a percentage with error bars and a chance line: always linear.
        var logY = metric != Accuracy && FrontAxisIsLog(rows.Select(r => r.Metric(metric)!.Value));
        double X(SweepRow r) => logX ? Math.Log10(r.Metric(Energy)!.Value * es) : r.Metric(Energy)!.Value * es;
        double Y(SweepRow r) => logY ? Math.Log10(r.Metric(metric)!.Value * scale) : r.Metric(metric)!.Value * scale;
        var front = Sweeps.ParetoFront.Of(rows, X, r => maximise ? -Y(r) : Y(r));
        var onFront = front.ToHashSet();
        var plot = PlotDefaults.NewPlot();
        var dominated = rows.Where(r => !onFront.Contains(r)).ToList();
        if (dominated.Count > 0)
        {
            var d = plot.Add.ScatterPoints(dominated.Select(X).ToArray(), dominated.Select(Y).ToArray());
            d.Color = Colors.SteelBlue.WithAlpha(0.3);
            d.MarkerSize = 8;
            d.LegendText = $"dominated ({dominated.Count})";
        }
        var f = plot.Add.Scatter(front.Select(X).ToArray(), front.Select(Y).ToArray());
        f.Color = Colors.Black;
        f.LineWidth = 1.5f;
        f.MarkerShape = MarkerShape.FilledCircle;
        f.MarkerSize = 9;
        f.LegendText = $"Pareto front ({front.Count} point{(front.Count == 1 ? "" : "s")})";
        if (metric == Accuracy)
        {
            if (rows.Any(r => r.Metric(AccuracyStd).HasValue))
            {
                var eb = plot.Add.ErrorBar(rows.Select(X).ToArray(), rows.Select(Y).ToArray(), rows.Select(r => (r.Metric(AccuracyStd) ?? 0) * scale).ToArray());
                eb.Color = Colors.Gray.WithAlpha(0.6);
                eb.LegendText = "± std over chips";
            }
            if (Chance(rows) is { } chance)
            {
                var line = plot.Add.HorizontalLine(chance);
                line.Color = Colors.Gray;
                line.LinePattern = LinePattern.Dashed;
                line.LegendText = "chance";
            }
        }
        // Labels of nearby dominated points overlap: beyond a handful of points only the front is labelled.
        var labelled = rows.Count <= MaxLabelledFrontPlotPoints ? rows : front;
        foreach (var place in labelled.GroupBy(r => (X(r), Y(r))))
        {
            var names = place.Select(r => PointLabel(r, paths)).ToList();
            var text = plot.Add.Text(names.Count <= 3 ? string.Join("; ", names) : $"{names.Count} points: {string.Join(", ", place.Select(r => r.Id))}",
                place.Key.Item1, place.Key.Item2);
            text.LabelFontSize = 11;
            text.LabelFontName = PlotDefaults.FontName;
            text.LabelFontColor = onFront.Contains(place.First()) ? Colors.Black : Colors.DimGray;
            text.OffsetX = 6;
            text.OffsetY = -4;
        }
        plot.Axes.Margins(horizontal: 0.12, vertical: 0.1);
        if (logX) PlotDefaults.LogAxis(plot.Axes.Bottom, Math.Floor(rows.Min(X)), Math.Ceiling(rows.Max(X)));
        if (logY) PlotDefaults.LogAxis(plot.Axes.Left, Math.Floor(rows.Min(Y)), Math.Ceiling(rows.Max(Y)));
        plot.Title($"Energy vs {yLabel.Split(' ')[0].ToLowerInvariant()} — {title}");
        plot.XLabel($"Energy per run ({eu}); points labelled " + string.Join(" / ", paths.Select(ShortName)));
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    private static string PointLabel(SweepRow r, IReadOnlyList<string> paths)
    {
        var label = string.Join(" / ", paths.Select(p => r.Parameter(p) ?? "-"));
        return label.Length <= 28 ? label : r.Id;
    }

    private static string ShortName(string path) => path.Split('.')[^1];

    private static string FileSafe(string path)
    {
        var sb = new StringBuilder();
        foreach (var c in path) sb.Append(char.IsLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        return sb.ToString();
    }

    /// <summary>A scale and unit so that the largest value reads between 1 and 1000.</summary>
    public static (double Scale, string Unit) EnergyUnit(double maxJoules) => maxJoules switch
    {
        >= 1 => (1, "J"),
        >= 1e-3 => (1e3, "mJ"),
        >= 1e-6 => (1e6, "µJ"),
        _ => (1e9, "nJ"),
    };

    public static (double Scale, string Unit) TimeUnit(double maxSeconds) => maxSeconds switch
    {
        >= 1 => (1, "s"),
        >= 1e-3 => (1e3, "ms"),
        >= 1e-6 => (1e6, "µs"),
        _ => (1e9, "ns"),
    };

    /// <summary>Gives a colour bar its colormap and value range (the markers are coloured by hand).</summary>
    private sealed class ColorAxis(IColormap colormap, ScottPlot.Range range) : IHasColorAxis
    {
        public IColormap Colormap => colormap;

        public ScottPlot.Range GetRange() => range;
    }
}
