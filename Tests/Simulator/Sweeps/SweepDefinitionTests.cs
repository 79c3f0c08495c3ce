using CimSim.Common.Errors;
using CimSim.Simulator.Sweeps;

namespace CimSim.Tests.Simulator.Sweeps;

public class SweepDefinitionTests
{
    [Test]
    public void EnumeratePoints_Grid_CartesianWithFirstParameterSlowest()
    {
        var d = SweepDefinition.Parse("rram.adc.bits: [4, 6, 8]\nrram.array.rows: [64, 128]\n", "grid.yaml");
        var points = d.EnumeratePoints();
        Assert.That(points, Has.Count.EqualTo(6));
        Assert.That(points.Select(p => string.Join(" ", p.Overrides)), Is.EqualTo(new[]
        {
            "rram.adc.bits=4 rram.array.rows=64", "rram.adc.bits=4 rram.array.rows=128",
            "rram.adc.bits=6 rram.array.rows=64", "rram.adc.bits=6 rram.array.rows=128",
            "rram.adc.bits=8 rram.array.rows=64", "rram.adc.bits=8 rram.array.rows=128",
        }));
        Assert.That(points.Select(p => p.Id), Is.EqualTo(new[] { "p0000", "p0001", "p0002", "p0003", "p0004", "p0005" }));
    }

    [Test]
    public void EnumeratePoints_List_ZipsValues()
    {
        var d = SweepDefinition.Parse("mode: list\nparameters:\n  rram.adc.bits: [4, 8]\n  rram.array.rows: [64, 128]\n", "g.yaml");
        Assert.That(d.EnumeratePoints().Select(p => string.Join(" ", p.Overrides)),
            Is.EqualTo(new[] { "rram.adc.bits=4 rram.array.rows=64", "rram.adc.bits=8 rram.array.rows=128" }));
    }

    [Test]
    public void Parse_ListOfUnequalLengths_ReportsEveryLength()
    {
        var ex = Assert.Throws<UserInputException>(() =>
            SweepDefinition.Parse("mode: list\nparameters:\n  rram.adc.bits: [4, 8]\n  rram.array.rows: [64]\n", "g.yaml"));
        Assert.That(ex!.Message, Does.Contain("'rram.adc.bits' 2").And.Contain("'rram.array.rows' 1"));
    }

    [Test]
    public void EnumeratePoints_RandomSameSeed_SamePointsWithinRange()
    {
        const string yaml = "mode: random\nseed: 7\nsamples: 20\nparameters:\n  rram.noise.sigma: {min: 0.005, max: 0.02, log: true}\n  rram.adc.bits: [4, 6, 8]\n  rram.array.rows: {min: 32, max: 256, integer: true}\n";
        var a = SweepDefinition.Parse(yaml, "g.yaml").EnumeratePoints();
        var b = SweepDefinition.Parse(yaml, "g.yaml").EnumeratePoints();
        var c = SweepDefinition.Parse(yaml.Replace("seed: 7", "seed: 8"), "g.yaml").EnumeratePoints();
        Assert.That(a.Select(p => p.ToString()), Is.EqualTo(b.Select(p => p.ToString())));
        Assert.That(a.Select(p => p.ToString()), Is.Not.EqualTo(c.Select(p => p.ToString())));
        Assert.That(a.Select(p => p.Parameters[0].NumericValue!.Value), Is.All.InRange(0.005, 0.02));
        Assert.That(a.Select(p => p.Parameters[1].Value), Is.All.AnyOf("4", "6", "8"));
        Assert.That(a.Select(p => p.Parameters[2].Value), Is.All.Matches<string>(s => int.TryParse(s, out var r) && r is >= 32 and <= 256));
    }

    [Test]
    public void Parse_SeveralMistakes_ReportsEachWithItsLine()
    {
        var ex = Assert.Throws<UserInputException>(() =>
            SweepDefinition.Parse("mode: zigzag\nsampels: 3\nparameters:\n  rram.adc.bits: []\n  rram.array.rows: {min: 1, max: 2}\n", "g.yaml"));
        Assert.That(ex!.Problems, Has.Count.EqualTo(4));
        Assert.That(ex.Message, Does.Contain("line 1").And.Contain("zigzag")
            .And.Contain("did you mean 'samples'").And.Contain("line 4").And.Contain("empty value list")
            .And.Contain("only random mode"));
    }
}
