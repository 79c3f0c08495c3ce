using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Devices.Interconnect;
using CimSim.Mapping;
using CimSim.Simulator.Scheduling;
using CimSim.Workloads.Graph;
using A = CimSim.Simulator.Scheduling.CountedActions;

namespace CimSim.Tests.Simulator.Scheduling;

/// <summary>Q, K/V, scores, probabilities and the context cross the mesh between the hub and the attention pool (docs/scheduler.md).</summary>
public class AttentionPoolHopsTests
{
    private static double HopBits(ScheduleResult r, Func<TaskTemplate, bool> which) =>
        r.Program.Tasks.Where(which).Sum(t => r.CountsByTemplate[t.Id][A.HopBit]);

    private static bool IsPoolTransfer(TaskTemplate t) => t.Operator.EndsWith("_pool", StringComparison.Ordinal);

    [Test]
    public void Schedule_PoolThreeHopsFarther_InterconnectEnergyGrowsByPoolBitsTimesThreeTimesEnergyPerBitHop()
    {
        var graph = SchedulingFixtures.Tiny(batch: 1, prompt: 8, generate: 4);
        var spec = new HardwareSpec();
        var near = SchedulingFixtures.DefaultHardware(graph, spec);
        var far = near with { AttentionPoolHops = near.AttentionPoolHops.Select(h => h + 3).ToArray() };
        var a = new CycleScheduler(near, graph).Run();
        var b = new CycleScheduler(far, graph).Run();
        var pricePj = new DeviceTables(spec).EnergyPicojoules(InterconnectModel.Component, InterconnectModel.HopBit);
        Assert.That(pricePj, Is.EqualTo(spec.Interconnect.LinkEnergyPicojoulesPerBitPerHop + spec.Interconnect.RouterEnergyPicojoulesPerBit));

        // Closed form per layer, P = 8 prompt tokens in one chunk, then 3 decode steps (KV lengths 9, 10, 11):
        // tokens 11; attended positions: prefill 1 + ... + 8 = 36, decode 9 + 10 + 11 = 30; one resident layer of two,
        // so each decode step reloads L - 1 rows: 8 + 9 + 10 = 27.
        var m = graph.Model;
        long kvRow = 2L * m.KeyValueDim * near.KvBits, act = near.InputBits;
        long perLayer = 11 * kvRow + 27 * kvRow      // new K/V rows and reloaded rows into the pool
                        + 2 * 11 * m.QueryDim * act   // Q in, context out
                        + 2 * 66 * m.NumAttentionHeads * act; // scores out, probabilities in
        long bits = m.NumLayers * perLayer;
        double energyA = a.CountsByTemplate.Sum(c => c[A.HopBit]) * pricePj, energyB = b.CountsByTemplate.Sum(c => c[A.HopBit]) * pricePj;
        Assert.Multiple(() =>
        {
            Assert.That(near.AttentionPoolHops.Single(), Is.GreaterThanOrEqualTo(1.0));
            Assert.That(HopBits(a, IsPoolTransfer), Is.EqualTo(bits * near.AttentionPoolHops[0]).Within(1e-9).Percent);
            Assert.That(energyB - energyA, Is.EqualTo(bits * 3 * pricePj).Within(1e-9).Percent);
            Assert.That(HopBits(b, t => !IsPoolTransfer(t)), Is.EqualTo(HopBits(a, t => !IsPoolTransfer(t))), "only the pool traffic moves");
            Assert.That(b.TotalCycles.Value, Is.GreaterThan(a.TotalCycles.Value), "each pool transfer pays 3 more hop latencies");
        });
    }

    [Test]
    public void Schedule_AttentionOnDigital_NoPoolTransfers()
    {
        var graph = SchedulingFixtures.Tiny();
        var spec = new HardwareSpec();
        spec = spec with { Mapping = spec.Mapping with { Attention = DynamicMatmulTarget.Digital } };
        var program = new LayerProgram(graph, SchedulingFixtures.DefaultHardware(graph, spec));
        Assert.That(program.Tasks.Where(IsPoolTransfer), Is.Empty);
    }

    [Test]
    public void Simulate_OneColumnMeshPutsThePoolFarther_PoolTrafficCostsMoreInProportion()
    {
        // One array and one macro per tile spread the tiny model over many tiles; a one-column mesh puts the pool's
        // tiles farther from the hub (in the middle row) than the square mesh does.
        var graph = SchedulingFixtures.Tiny(batch: 1, prompt: 8, generate: 4);
        var spec = new HardwareSpec();
        spec = spec with { Rram = spec.Rram with { ArraysPerTile = 1 }, SramCim = spec.SramCim with { MacrosPerTile = 1 } };
        var square = SchedulingFixtures.DefaultHardware(graph, spec);
        var column = SchedulingFixtures.DefaultHardware(graph, spec with { Interconnect = spec.Interconnect with { MeshColumns = 1 } });
        var a = new CycleScheduler(square, graph).Run();
        var b = new CycleScheduler(column, graph).Run();
        double hopsA = square.AttentionPoolHops.Single(), hopsB = column.AttentionPoolHops.Single();
        Assert.Multiple(() =>
        {
            Assert.That(square.Mapping.ChipList.Single().Mesh.Columns, Is.GreaterThan(1));
            Assert.That(hopsB, Is.GreaterThan(hopsA));
            Assert.That(HopBits(b, IsPoolTransfer), Is.GreaterThan(HopBits(a, IsPoolTransfer)));
            Assert.That(HopBits(b, IsPoolTransfer) / HopBits(a, IsPoolTransfer), Is.EqualTo(hopsB / hopsA).Within(1e-9).Percent, "same bits, farther pool");
        });
    }
}
