using CimSim.Simulator.Scheduling;
using A = CimSim.Simulator.Scheduling.CountedActions;

namespace CimSim.Tests.Simulator.Scheduling;

public class CycleSchedulerTests
{
    [Test]
    public void Run_AttentionMacs_GrowWithKvCacheAsClosedForm()
    {
        var graph = SchedulingFixtures.Tiny(prompt: 10, generate: 6);
        var hw = SchedulingFixtures.DefaultHardware(graph);
        var result = new CycleScheduler(hw, graph, 4).Run();
        var shape = result.Program.Shape;
        var qk = result.Program.Tasks.First(t => t.Kind == TaskKind.AttentionScore && t.Layer == 0);
        // Prefill attends causally (sum 1..P), then decode step s attends P + s positions.
        long p = shape.PromptTokens, kvSum = p * (p + 1) / 2;
        for (var s = 1; s <= shape.DecodeSteps; s++) kvSum += p + s;
        Assert.That(result.CountsByTemplate[qk.Id][A.SramMac], Is.EqualTo((double)kvSum * shape.QueryDim));
    }

    [Test]
    public void Run_SingleJobWithoutContention_LatencyIsTheCriticalPathOfClosedFormDurations()
    {
        var graph = SchedulingFixtures.Tiny(prompt: 1, generate: 1);
        // Enough digital units and links that no task of one job waits for another: the schedule is then exactly
        // the longest dependency path, computed here independently of the event engine.
        var hw = SchedulingFixtures.DefaultHardware(graph) with { DigitalUnits = 64, InterconnectLinks = 64 };
        var result = new CycleScheduler(hw, graph).Run();
        var program = result.Program;
        var cost = new CimCostModel(hw, program.Shape);
        var finish = new long[program.Tasks.Count];
        foreach (var t in program.Tasks)
        {
            var start = t.Dependencies.Length == 0 ? 0 : t.Dependencies.Max(d => finish[d]);
            finish[t.Id] = start + cost.Duration(t, 1, 1, 1);
        }
        Assert.That(result.Resources.Sum(r => r.StallCycles), Is.Zero);
        Assert.That(result.TotalCycles.Value, Is.EqualTo(finish.Max()));
    }

    [Test]
    public void Run_BatchOfFour_PipelinesAcrossLayersAndShowsContention()
    {
        var one = SchedulingFixtures.Tiny(batch: 1, prompt: 4, generate: 3);
        var four = SchedulingFixtures.Tiny(batch: 4, prompt: 4, generate: 3);
        var hw1 = SchedulingFixtures.DefaultHardware(one);
        var hw4 = SchedulingFixtures.DefaultHardware(four);
        var r1 = new CycleScheduler(hw1, one).Run();
        var r4 = new CycleScheduler(hw4, four).Run();
        Assert.That(r4.TotalCycles.Value, Is.LessThan(4 * r1.TotalCycles.Value), "items overlap in time");
        Assert.That(r4.TotalCycles.Value, Is.GreaterThan(r1.TotalCycles.Value), "shared resources make items wait");
        Assert.That(r4.Resources.Sum(r => r.StallCycles), Is.GreaterThan(0));
    }

    [Test]
    public void Run_SameInputs_SameCyclesAndEvents()
    {
        var graph = SchedulingFixtures.Tiny(batch: 2);
        var hw = SchedulingFixtures.DefaultHardware(graph);
        var a = new CycleScheduler(hw, graph, 3).Run();
        var b = new CycleScheduler(hw, graph, 3).Run();
        Assert.That(b.TotalCycles, Is.EqualTo(a.TotalCycles));
        Assert.That(b.Events, Is.EqualTo(a.Events));
        Assert.That(b.CountsByTemplate.SelectMany(x => x), Is.EqualTo(a.CountsByTemplate.SelectMany(x => x)));
    }

    [Test]
    public void Program_MacsOverAllSteps_EqualOperatorGraphClosedForm()
    {
        var graph = SchedulingFixtures.Tiny(batch: 2, prompt: 7, generate: 5);
        var gpu = CimSim.Simulator.Gpu.GpuRooflineModel.Evaluate(CimSim.Simulator.Gpu.GpuSpecLoader.Load("a100-80gb"), new LayerProgram(graph));
        // The graph's closed form prices prefill attention as a full P x P product; the schedule skips the causally
        // masked half (token i attends to i + 1 positions), so the difference is exactly that masked part.
        var m = graph.Model;
        long p = 7, b = 2;
        var masked = (long)m.NumLayers * 2 * b * m.NumAttentionHeads * m.HeadDim * (p * p - p * (p + 1) / 2);
        Assert.That(gpu.Macs, Is.EqualTo((double)(graph.ClosedFormTotalMacs() - masked)));
    }
}
