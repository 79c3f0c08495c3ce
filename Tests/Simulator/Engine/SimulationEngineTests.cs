using CimSim.Common.Units;
using CimSim.Simulator.Engine;

namespace CimSim.Tests.Simulator.Engine;

public class SimulationEngineTests
{
    [Test]
    public void EventQueue_SimultaneousEvents_LeaveByPriorityThenInsertionOrder()
    {
        var q = new EventQueue<string>();
        q.Enqueue(5, 1, "t5-p1-a");
        q.Enqueue(3, 0, "t3");
        q.Enqueue(5, 0, "t5-p0");
        q.Enqueue(5, 1, "t5-p1-b");
        q.Enqueue(1, 9, "t1");
        var order = new List<string>();
        while (q.Count > 0) order.Add(q.Dequeue(out _));
        Assert.That(order, Is.EqualTo(new[] { "t1", "t3", "t5-p0", "t5-p1-a", "t5-p1-b" }));
    }

    [Test]
    public void EventQueue_ManyRandomEvents_DequeuesSorted()
    {
        var rng = CimSim.Common.Random.RandomStreams.Create(7, "engine-test");
        var q = new EventQueue<int>();
        var items = Enumerable.Range(0, 2000).Select(i => (Time: (long)rng.Next(0, 100), Id: i)).ToList();
        foreach (var (t, id) in items) q.Enqueue(t, 0, id);
        var expected = items.OrderBy(x => x.Time).ThenBy(x => x.Id).Select(x => x.Id).ToList();
        var got = new List<int>();
        while (q.Count > 0) got.Add(q.Dequeue(out _));
        Assert.That(got, Is.EqualTo(expected));
    }

    [Test]
    public void Run_ChainedEvents_AdvancesTimeAndCountsEvents()
    {
        var e = new SimulationEngine(new ClockDomain("chip", 1e9));
        var seen = new List<long>();
        e.Schedule(new Cycles(10), () =>
        {
            seen.Add(e.Now.Value);
            e.Schedule(new Cycles(5), () => seen.Add(e.Now.Value));
        });
        e.Schedule(new Cycles(12), () => seen.Add(e.Now.Value));
        e.Run();
        Assert.That(seen, Is.EqualTo(new long[] { 10, 12, 15 }));
        Assert.That(e.EventsProcessed, Is.EqualTo(3));
        Assert.That(e.ToSeconds(e.Now), Is.EqualTo(15e-9).Within(1e-18));
    }

    [Test]
    public void ScheduleAt_PastTime_Throws()
    {
        var e = new SimulationEngine(new ClockDomain("chip", 1e9));
        e.Schedule(new Cycles(10), () => { });
        e.Run();
        Assert.That(() => e.ScheduleAt(new Cycles(5), () => { }), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Resource_TwoRequestsOneServer_SecondWaitsAndStallIsCounted()
    {
        var e = new SimulationEngine(new ClockDomain("chip", 1e9));
        var r = new Resource(e, "adc", "adc", 1);
        var done = new List<long>();
        r.Request(new Cycles(7), t => done.Add(t.Value));
        r.Request(new Cycles(3), t => done.Add(t.Value));
        e.Run();
        Assert.That(done, Is.EqualTo(new long[] { 7, 10 }));
        Assert.That(r.StallCycles, Is.EqualTo(7));
        Assert.That(r.BusyCycles, Is.EqualTo(10));
        Assert.That(r.Utilisation(e.Now), Is.EqualTo(1.0));
    }

    [Test]
    public void Resource_TwoServers_RequestsOverlapWithoutStall()
    {
        var e = new SimulationEngine(new ClockDomain("chip", 1e9));
        var r = new Resource(e, "links", "link", 2);
        r.Request(new Cycles(7), _ => { });
        r.Request(new Cycles(3), _ => { });
        e.Run();
        Assert.That(e.Now.Value, Is.EqualTo(7));
        Assert.That(r.StallCycles, Is.EqualTo(0));
    }
}
