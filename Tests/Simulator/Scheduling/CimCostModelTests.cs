using CimSim.Simulator.Scheduling;

namespace CimSim.Tests.Simulator.Scheduling;

public class CimCostModelTests
{
    [Test]
    public void SingleMvm_Uncontended_TakesClosedFormCycles()
    {
        var graph = SchedulingFixtures.Tiny();
        var shape = ShapeBuilder.Build(graph);
        var hw = SchedulingFixtures.DefaultHardware(graph);
        // One 64x64 array, one vector: S DAC steps x (read + columns-per-ADC conversions) + shift-add; no adder tree.
        var expected = hw.DacSteps * (hw.ArrayReadCycles + hw.ColumnsPerAdc * hw.AdcConversionCycles) + hw.ShiftAddCycles;
        var sim = ArrayMicroSchedule.Simulate(hw, shape, hw.ArrayRows, hw.ArrayColumns / hw.ColumnsPerWeight, 1);
        Assert.That(sim.Cycles.Value, Is.EqualTo(expected));
        Assert.That(sim.AdcConversions, Is.EqualTo((long)hw.DacSteps * hw.ArrayColumns));
    }

    [Test]
    public void HalvingAdcsPerArray_DoublesAdcPhase()
    {
        var graph = SchedulingFixtures.Tiny();
        var shape = ShapeBuilder.Build(graph);
        var hw = SchedulingFixtures.DefaultHardware(graph);
        var half = hw with { ColumnsPerAdc = hw.ColumnsPerAdc * 2 };
        var full = new CimCostModel(hw, shape);
        var halved = new CimCostModel(half, shape);
        Assert.That(halved.AdcPhaseCyclesPerStep, Is.EqualTo(2 * full.AdcPhaseCyclesPerStep));
        // In the full event simulation the whole vector grows by exactly S x the extra ADC phase.
        var a = ArrayMicroSchedule.Simulate(hw, shape, 64, 64, 1).Cycles.Value;
        var b = ArrayMicroSchedule.Simulate(half, shape, 64, 64, 1).Cycles.Value;
        Assert.That(b - a, Is.EqualTo(hw.DacSteps * full.AdcPhaseCyclesPerStep));
    }

    [TestCase(64, 64, 1, 1)]
    [TestCase(200, 96, 3, 1)]
    [TestCase(300, 130, 5, 2)]
    [TestCase(128, 256, 4, 3)]
    public void ClosedFormMatVec_EqualsFullEventSimulation(int inF, int outF, int vectors, int replication)
    {
        var graph = SchedulingFixtures.Tiny();
        var shape = ShapeBuilder.Build(graph);
        var hw = SchedulingFixtures.DefaultHardware(graph) with { Replication = replication, ColumnsPerAdc = 4 };
        var cost = new CimCostModel(hw, shape);
        var sim = ArrayMicroSchedule.Simulate(hw, shape, inF, outF, vectors);
        Assert.That(cost.RramMatVecCycles(inF, vectors), Is.EqualTo(sim.Cycles.Value));
    }

    [Test]
    public void RramActions_AdcConversions_EqualStepsTimesColumnsTimesRowTiles()
    {
        var graph = SchedulingFixtures.Tiny();
        var shape = ShapeBuilder.Build(graph);
        var hw = SchedulingFixtures.DefaultHardware(graph);
        var cost = new CimCostModel(hw, shape);
        var program = new LayerProgram(graph, hw);
        var q = program.Tasks.First(t => t.Operator == "self_attn.q_proj");
        var a = cost.Actions(q, 3, 0, 0);
        var rowTiles = (q.In + hw.ArrayRows - 1) / hw.ArrayRows;
        Assert.That(a[EnergyClass.Adc], Is.EqualTo(3.0 * hw.DacSteps * q.Out * hw.ColumnsPerWeight * rowTiles));
        Assert.That(a[EnergyClass.RramArrayRead], Is.EqualTo(3.0 * hw.DacSteps * q.In * q.Out * hw.ColumnsPerWeight));
    }
}
