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
}
