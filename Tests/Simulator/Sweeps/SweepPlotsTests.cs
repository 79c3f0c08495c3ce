using CimSim.Simulator.Sweeps;

namespace CimSim.Tests.Simulator.Sweeps;

public class SweepPlotsTests
{
    [Test]
    public void Draw_SweepWithAccuracyAndNoise_WritesEveryFigureAsPngAndSvg()
    {
        // Written under the test's work directory (bin/), so the figures can be looked at after a run.
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "sweep-plots-test");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        new SweepRunner(dir, SweepDefinition.Parse("rram.adc.bits: [4, 6, 8]\nrram.array.rows: [64, 128, 256]\nrram.noise.sigma: [0.005, 0.01, 0.02]\n", "grid.yaml"),
            [new("model", "fake")], new FakeEvaluator()).Run(new SweepRunOptions { Jobs = 2 });

        var files = SweepPlots.Draw(dir, Path.Combine(dir, "plots")).Select(Path.GetFileName).ToList();

        Assert.That(files, Is.SupersetOf(new[]
        {
            "energy-breakdown.png", "energy-breakdown.svg", "pareto.png", "pareto.svg",
            "sensitivity-rram.adc.bits.png", "sensitivity-rram.array.rows.png", "sensitivity-rram.noise.sigma.svg",
            "accuracy-vs-noise.png", "accuracy-vs-noise.svg",
            "energy-vs-area.png", "energy-vs-area.svg", "energy-vs-accuracy.png", "energy-vs-accuracy.svg",
        }));
        var png = File.ReadAllBytes(Path.Combine(dir, "plots", "pareto.png"));
        Assert.That(png.Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }));
        Assert.That(File.ReadAllText(Path.Combine(dir, "plots", "pareto.svg")), Does.Contain("<svg").And.Contain("Latency per run"));
    }

    [Test]
    public void ParetoFront_DominatedPointsExcluded()
    {
        SweepRow Row(string id, double e, double l) =>
            new(id, "ok", [], new Dictionary<string, double> { [SweepPlots.Energy] = e, [SweepPlots.Latency] = l }, [], null);
        var rows = new[] { Row("a", 1, 5), Row("b", 2, 2), Row("c", 3, 3), Row("d", 4, 1), Row("e", 2, 4) };
        Assert.That(SweepPlots.ParetoFront(rows).Select(r => r.Id), Is.EqualTo(new[] { "a", "b", "d" }));
    }

    [TestCase(new[] { 4.0, 6, 8 }, true)]
    [TestCase(new[] { 64.0, 128, 256 }, true)]
    [TestCase(new[] { 0.005, 0.01 }, false)]
    [TestCase(new[] { 4.0, 4.5 }, false)]
    public void IsIntegerKey_SweptValues_OnlyWholeNumbersAreIntegerKeys(double[] values, bool expected) =>
        Assert.That(SweepPlots.IsIntegerKey(values), Is.EqualTo(expected));

    [Test]
    public void Draw_Sensitivity_SeparatePanelsOneUnitEachWithIntegerTicksAndChanceLine()
    {
        var dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "sweep-panels-test");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        new SweepRunner(dir, SweepDefinition.Parse("rram.adc.bits: [4, 6, 8]\nrram.noise.sigma: [0.001, 0.01, 0.1]\n", "grid.yaml"),
            [new("model", "fake")], new SeededFake()).Run(new SweepRunOptions { Jobs = 2 });
        SweepPlots.Draw(dir, Path.Combine(dir, "plots"));

        var svg = File.ReadAllText(Path.Combine(dir, "plots", "sensitivity-rram.adc.bits.svg"));
        // Energy, latency and accuracy: three stacked panels (nested <svg>), each with its own y label, no right axis.
        Assert.That(System.Text.RegularExpressions.Regex.Count(svg, "<svg"), Is.EqualTo(4));
        Assert.That(svg, Does.Contain("Energy per run").And.Contain("Latency per run").And.Contain("Mean accuracy (%), ± std over chips").And.Contain("chance"));
        Assert.That(svg, Does.Not.Contain("right axis"));
        Assert.That(svg, Does.Contain("RRAM ADC bits (bit)"), "axis name with the schema's unit");
        // ScottPlot writes each axis name followed by its tick labels: the x ticks are exactly the swept values.
        var texts = Texts(svg);
        var xTicks = texts.Select((t, i) => (t, i)).Where(x => x.t == "RRAM ADC bits (bit)").Select(x => texts.Skip(x.i + 1).TakeWhile(t => double.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out _)).ToList()).ToList();
        Assert.That(xTicks, Has.Count.EqualTo(3).And.All.EqualTo(new[] { "4", "6", "8" }), "integer key: ticks only at the swept values, in every panel");
        var noise = File.ReadAllText(Path.Combine(dir, "plots", "accuracy-vs-noise.svg"));
        Assert.That(Texts(noise), Is.SupersetOf(new[] { "0.001", "0.01", "0.1" }).And.Not.Contain("0.05"), "three decades of sigma: one labelled tick per decade (log axis)");
        Assert.That(noise, Does.Contain("chance"));
    }

    private static SweepRow FrontRow(string id, double energyJ, double latencyS, double areaMm2, double accuracy) =>
        new(id, "ok", [], new Dictionary<string, double> { [SweepPlots.Energy] = energyJ, [SweepPlots.Latency] = latencyS, [SweepPlots.Area] = areaMm2, [SweepPlots.Accuracy] = accuracy }, [], null);

    /// <summary>An axis is on a log scale when its major ticks are labelled with successive powers of ten (PlotDefaults.LogAxis).</summary>
    private static bool IsLog(ScottPlot.IAxis axis)
    {
        if (axis.TickGenerator is not ScottPlot.TickGenerators.NumericManual manual) return false;
        var major = manual.Ticks.Where(t => t.IsMajor).ToList();
        return major.Count >= 2 && major.All(t => Math.Abs(Math.Pow(10, t.Position) - double.Parse(t.Label, System.Globalization.CultureInfo.InvariantCulture)) <= 1e-9 * Math.Pow(10, t.Position));
    }

    [Test]
    public void Fronts_DecadeSpanningValues_LogAxisOnlyThere()
    {
        // Energy 0.1 .. 3 mJ (30x) and area 10 .. 500 mm^2 (50x) span more than a decade; latency (1.5x) does not;
        // accuracy is a percentage with error bars and a chance line and stays linear.
        var wide = new[] { FrontRow("a", 1e-4, 1e-3, 10, 0.5), FrontRow("b", 5e-4, 1.2e-3, 50, 0.6), FrontRow("c", 3e-3, 1.5e-3, 500, 0.7) };
        var pareto = SweepPlots.Pareto(wide, [], "t");
        var area = SweepPlots.EnergyFront(wide, [], "t", SweepPlots.Area, maximise: false, 1, "Area (mm^2)");
        var accuracy = SweepPlots.EnergyFront(wide, [], "t", SweepPlots.Accuracy, maximise: true, 100, "Accuracy (%)");
        var narrow = new[] { FrontRow("a", 1e-3, 1e-3, 10, 0.5), FrontRow("b", 2e-3, 1.2e-3, 12, 0.6), FrontRow("c", 5e-3, 1.5e-3, 15, 0.7) };
        var linear = SweepPlots.EnergyFront(narrow, [], "t", SweepPlots.Area, maximise: false, 1, "Area (mm^2)");
        foreach (var p in new[] { pareto, area, accuracy, linear }) p.GetSvgXml(800, 600); // rendering generates the ticks
        Assert.Multiple(() =>
        {
            Assert.That(IsLog(pareto.Axes.Left), Is.True, "energy-vs-latency: energy spans 30x");
            Assert.That(IsLog(pareto.Axes.Bottom), Is.False, "energy-vs-latency: latency spans 1.5x");
            Assert.That(IsLog(area.Axes.Bottom) && IsLog(area.Axes.Left), Is.True, "energy-vs-area: both span more than a decade");
            Assert.That(IsLog(accuracy.Axes.Bottom), Is.True, "energy-vs-accuracy: energy on a log axis");
            Assert.That(IsLog(accuracy.Axes.Left), Is.False, "accuracy stays linear");
            Assert.That(IsLog(linear.Axes.Bottom) || IsLog(linear.Axes.Left), Is.False, "5x and 1.5x: linear axes");
            Assert.That(SweepPlots.FrontAxisIsLog([1, 10]), Is.True);
            Assert.That(SweepPlots.FrontAxisIsLog([1, 9.9]), Is.False);
        });
    }

    [Test]
    public void Pareto_EqualEnergyAndLatency_EveryPointListedWithItsAccuracy()
    {
        SweepRow Row(string id, string bits, double accuracy) =>
            new(id, "ok", [new("rram.adc.bits", bits)], new Dictionary<string, double> { [SweepPlots.Energy] = 1e-3, [SweepPlots.Latency] = 1e-3, [SweepPlots.Accuracy] = accuracy }, [], null);
        var plot = SweepPlots.Pareto([Row("p0", "4", 0.5), Row("p1", "6", 0.7), Row("p2", "8", 0.9)], ["rram.adc.bits"], "t");
        var svg = plot.GetSvgXml(800, 600);
        Assert.That(svg, Does.Contain("4 (50 %); 6 (70 %); 8 (90 %)").And.Not.Contain("(+2)"));
    }

    /// <summary>The text elements of an SVG (tick labels, axis names).</summary>
    private static List<string> Texts(string svg) =>
        System.Text.RegularExpressions.Regex.Matches(svg, @">\s*([^<>]{1,60}?)\s*</text>").Select(m => m.Groups[1].Value).ToList();

    [TestCase("rram.adc.bits", "RRAM ADC bits (bit)")]
    [TestCase("rram.array.rows", "RRAM array rows")]
    [TestCase("mapping.placement.model.layers.*.q_proj", "placement of model.layers.*.q_proj")]
    [TestCase("mapping.adc_bits.model.layers.*.mlp.down_proj", "ADC bits of model.layers.*.mlp.down_proj (bit)")]
    public void AxisLabel_ConfigPath_WordsAndSchemaUnit(string path, string expected) =>
        Assert.That(SweepPlots.AxisLabel(path), Is.EqualTo(expected));

    /// <summary>The fake evaluator's rows plus what an accuracy sweep with seeds adds: the spread over chips and the chance level.</summary>
    private sealed class SeededFake : IPointEvaluator
    {
        private readonly FakeEvaluator _inner = new();

        public string? CheckParameterPath(string path) => _inner.CheckParameterPath(path);

        public PointOutcome Evaluate(SweepPoint point, CancellationToken cancellationToken)
        {
            var o = _inner.Evaluate(point, cancellationToken);
            return o with { Metrics = [.. o.Metrics, new(SweepPlots.AccuracyStd, 0.02), new(SweepPlots.ChanceAccuracy, 0.25)] };
        }
    }
}
