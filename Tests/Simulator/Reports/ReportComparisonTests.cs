using CimSim.Common.Errors;
using CimSim.Simulator.Reports;

namespace CimSim.Tests.Simulator.Reports;

public class ReportComparisonTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private string Write(string name, string json)
    {
        var d = Path.Combine(_dir, name);
        Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(d, "report.json"), json);
        return d;
    }

    [Test]
    public void Load_TwoReports_RatiosAndLargestChangeFirst()
    {
        var a = Write("adc6", """{"tool":"x","cim":{"energy_j":2,"energy_breakdown_j":{"adc":0.5,"dac":1.5},"area_mm2":4}}""");
        var b = Write("adc8", """{"tool":"x","cim":{"energy_j":3,"energy_breakdown_j":{"adc":1.6,"dac":1.4},"area_mm2":4}}""");
        var c = ReportComparison.Load([a, b]);
        Assert.That(c.Names, Is.EqualTo(new[] { "adc6", "adc8" }));
        var energy = c.Metrics.Single(m => m.Path == "cim.energy_j");
        Assert.That(energy.Ratio(1), Is.EqualTo(1.5).Within(1e-12));
        Assert.That(c.Metrics.Single(m => m.Path == "cim.area_mm2").Differs, Is.False);
        Assert.That(c.ChangedMost().Select(m => m.Path), Is.EqualTo(new[] { "cim.energy_breakdown_j.adc", "cim.energy_breakdown_j.dac" }));
        Assert.That(c.ToMarkdown(), Does.Contain("| cim.energy_j | 2 | 3 | 1.5 |"));
        Assert.That(c.ToHtml(), Does.Contain("<td>cim.energy_breakdown_j.adc</td><td>0.5</td><td>1.6</td><td>3.2</td>"));
    }

    [Test]
    public void Load_MissingKeyInOneReport_ShownAsDashWithoutRatio()
    {
        var a = Write("a", """{"cim":{"energy_j":2}}""");
        var b = Write("b", """{"cim":{"energy_j":2,"tpot_s":1}}""");
        var m = ReportComparison.Load([a, b]).Metrics.Single(x => x.Path == "cim.tpot_s");
        Assert.That(m.Values, Is.EqualTo(new double?[] { null, 1 }));
        Assert.That(m.Ratio(1), Is.Null);
    }

    [Test]
    public void Load_MissingOrBrokenFile_ErrorNamesTheFile()
    {
        var a = Write("a", """{"cim":{"energy_j":2}}""");
        var broken = Write("broken", "{not json");
        Assert.That(() => ReportComparison.Load([a, Path.Combine(_dir, "nope")]),
            Throws.InstanceOf<UserInputException>().With.Message.Contains("nope"));
        Assert.That(() => ReportComparison.Load([a, broken]),
            Throws.InstanceOf<UserInputException>().With.Message.Contains("broken").And.Message.Contains("not valid JSON"));
        Assert.That(() => ReportComparison.Load([a]), Throws.InstanceOf<UserInputException>());
    }
}
