using CimSim.Devices.Config;
using CimSim.Simulator.Scheduling;
using A = CimSim.Simulator.Scheduling.CountedActions;

namespace CimSim.Tests.Simulator.Scheduling;

public class CimCostModelTests
{
    [Test]
    public void SingleMvm_Uncontended_TakesClosedFormCycles()
    {
        var graph = SchedulingFixtures.Tiny();
        var shape = ShapeBuilder.Build(graph);
        var hw = SchedulingFixtures.DefaultHardware(graph);
        // One 64x64 array, one vector: S DAC steps x (read + conversions per ADC) + shift-add; no adder tree.
        var expected = hw.DacSteps * (hw.ArrayReadCycles + hw.ConversionsPerAdcPerStep * hw.AdcConversionCycles) + hw.ShiftAddCycles;
        var sim = ArrayMicroSchedule.Simulate(hw, shape, hw.ArrayRows, (hw.ArrayColumns - hw.ReferenceColumnsPerArray) / hw.ColumnsPerWeight, 1);
        Assert.That(sim.Cycles.Value, Is.EqualTo(expected));
        Assert.That(sim.AdcConversions, Is.EqualTo((long)hw.DacSteps * hw.ArrayColumns));
    }

    [Test]
    public void HalvingAdcsPerArray_DoublesAdcPhase()
    {
        var graph = SchedulingFixtures.Tiny();
        var shape = ShapeBuilder.Build(graph);
        var hw = SchedulingFixtures.DefaultHardware(graph);
        var half = hw with { ConversionsPerAdcPerStep = hw.ConversionsPerAdcPerStep * 2, AdcsPerArray = hw.AdcsPerArray / 2 };
        var full = new CimCostModel(hw, shape);
        var halved = new CimCostModel(half, shape);
        Assert.That(halved.AdcPhaseCyclesPerStep, Is.EqualTo(2 * full.AdcPhaseCyclesPerStep));
        // In the full event simulation the whole vector grows by exactly S x the extra ADC phase.
        var a = ArrayMicroSchedule.Simulate(hw, shape, 64, 63, 1).Cycles.Value;
        var b = ArrayMicroSchedule.Simulate(half, shape, 64, 63, 1).Cycles.Value;
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
        var hw = SchedulingFixtures.DefaultHardware(graph) with { Replication = replication, ConversionsPerAdcPerStep = 4, AdcsPerArray = 16 };
        var cost = new CimCostModel(hw, shape);
        var sim = ArrayMicroSchedule.Simulate(hw, shape, inF, outF, vectors);
        Assert.That(cost.RramMatVecCycles(inF, vectors), Is.EqualTo(sim.Cycles.Value));
    }

    [TestCase(64, 63, 1, 1, 2)]
    [TestCase(300, 130, 5, 2, 3)]
    [TestCase(128, 256, 4, 1, 8)]
    public void ClosedFormMatVec_InputParallelSensing_EqualsFullEventSimulationAndKeepsConversions(int inF, int outF, int vectors, int replication, int parallel)
    {
        // P bit-planes sensed at once on their own ADC copies: ceil(8 / P) steps one after another (P = 3: 3, 3, 2
        // planes), the same conversions as bit-serial sensing (energy per action unchanged).
        var graph = SchedulingFixtures.Tiny();
        var shape = ShapeBuilder.Build(graph);
        var serial = SchedulingFixtures.DefaultHardware(graph) with { Replication = replication, ConversionsPerAdcPerStep = 4, AdcsPerArray = 16 };
        var hw = serial with { ParallelDacSteps = parallel };
        var cost = new CimCostModel(hw, shape);
        var sim = ArrayMicroSchedule.Simulate(hw, shape, inF, outF, vectors);
        Assert.That(cost.RramMatVecCycles(inF, vectors), Is.EqualTo(sim.Cycles.Value));
        Assert.That(sim.AdcConversions, Is.EqualTo(ArrayMicroSchedule.Simulate(serial, shape, inF, outF, vectors).AdcConversions));
        var steps = (8 + parallel - 1) / parallel;
        Assert.That(cost.ArrayVectorCycles, Is.EqualTo(steps * (hw.ArrayReadCycles + 4 * hw.AdcConversionCycles) + hw.ShiftAddCycles));
    }

    private static double[] QProjActions(HardwareSpec spec, long tokens, out TaskTemplate q, out CimHardwareModel hw)
    {
        var graph = SchedulingFixtures.Tiny();
        hw = SchedulingFixtures.DefaultHardware(graph, spec);
        var program = new LayerProgram(graph, hw);
        q = program.Tasks.First(t => t.Operator == "self_attn.q_proj");
        var counts = new double[A.Count];
        new CimCostModel(hw, program.Shape).AddActions(q, tokens, 0, 0, counts);
        return counts;
    }

    [Test]
    public void RramActions_OffsetEncoding_ReferenceColumnReadAndConvertedPerColumnTile()
    {
        // Default: offset encoding, 8-bit cells (1 column per weight), 64x64 arrays with 1 reference column, 1-bit DAC.
        var counts = QProjActions(new HardwareSpec(), 3, out var q, out _);
        long s = 8, rowTiles = (q.In + 63) / 64, colTiles = (q.Out + 62) / 63;
        Assert.That(counts[A.AdcConversion], Is.EqualTo(3.0 * s * rowTiles * (q.Out + colTiles)));
        Assert.That(counts[A.CellRead], Is.EqualTo(3.0 * s * q.In * (q.Out + colTiles)));
        Assert.That(counts[A.DacDrive], Is.EqualTo(3.0 * s * q.In * colTiles));
    }

    [Test]
    public void RramActions_DifferentialEncoding_OneConversionPerColumnPair()
    {
        // Differential, 8-bit weights on 4-bit cells: 7 magnitude bits -> 2 slices, each a G+/G- pair: 4 columns, 2 channels.
        var spec = new HardwareSpec();
        spec = spec with { Rram = spec.Rram with { Array = spec.Rram.Array with { Encoding = WeightEncoding.Differential, BitsPerCell = 4 } } };
        var counts = QProjActions(spec, 2, out var q, out _);
        long s = 8, rowTiles = (q.In + 63) / 64, colTiles = (q.Out * 4 + 63) / 64;
        Assert.That(counts[A.AdcConversion], Is.EqualTo(2.0 * s * rowTiles * q.Out * 2), "one conversion per pair and slice, not per physical column");
        Assert.That(counts[A.SampleHold], Is.EqualTo(counts[A.AdcConversion]));
        Assert.That(counts[A.CellRead], Is.EqualTo(2.0 * s * q.In * q.Out * 4), "both cells of a pair conduct");
        Assert.That(counts[A.DacDrive], Is.EqualTo(2.0 * s * q.In * colTiles));
    }

    [Test]
    public void RramActions_TwoBitDac_HalvesStepsAndReadsAtOneThirdActivity()
    {
        var spec = new HardwareSpec();
        spec = spec with { Rram = spec.Rram with { Dac = spec.Rram.Dac with { Bits = 2 } } };
        var counts = QProjActions(spec, 1, out var q, out var hw);
        long colTiles = (q.Out + 62) / 63;
        Assert.That(hw.DacSteps, Is.EqualTo(4));
        Assert.That(counts[A.CellRead], Is.EqualTo(4.0 * q.In * (q.Out + colTiles)));
        // One cell read under amplitude-coded inputs: the mean (level / max)^2 of uniform levels, 1/3, times V^2 G_mean t.
        var d = spec.Rram.Device;
        var gMean = 0.5 * (d.GMinMicrosiemens + d.GMaxMicrosiemens) * 1e-6;
        var expectedPj = d.ReadVoltageVolts * d.ReadVoltageVolts * gMean * d.ReadPulseSeconds * 1e12 / 3;
        var devices = new CimSim.Devices.Energy.DeviceTables(spec);
        Assert.That(devices.EnergyPicojoules("rram_array", "cell_read"), Is.EqualTo(expectedPj).Within(1e-12));
    }
}
