using CimSim.Common.Units;

namespace CimSim.Simulator.Engine;

/// <summary>
/// The discrete-event engine: integer cycle timestamps of one <see cref="ClockDomain"/>, deterministic order of
/// simultaneous events (time, priority, insertion order), and a count of events processed. Seconds appear only
/// through <see cref="ToSeconds"/>.
/// </summary>
public sealed class SimulationEngine(ClockDomain clock)
{
    private readonly EventQueue<Action> _queue = new();

    public ClockDomain Clock { get; } = clock;

    /// <summary>The current simulated time.</summary>
    public Cycles Now { get; private set; } = Cycles.Zero;

    /// <summary>Events taken off the queue and run so far.</summary>
    public long EventsProcessed { get; private set; }

    public int Pending => _queue.Count;

    public double ToSeconds(Cycles c) => Clock.ToSeconds(c);

    /// <summary>Runs <paramref name="action"/> <paramref name="delay"/> cycles from now; lower priority runs first among ties.</summary>
    public void Schedule(Cycles delay, Action action, int priority = 0)
    {
        if (delay.Value < 0) throw new ArgumentOutOfRangeException(nameof(delay), delay, "events cannot be scheduled in the past");
        _queue.Enqueue(Now.Value + delay.Value, priority, action);
    }

    /// <summary>Runs <paramref name="action"/> at absolute time <paramref name="at"/> (not before now).</summary>
    public void ScheduleAt(Cycles at, Action action, int priority = 0)
    {
        if (at < Now) throw new ArgumentOutOfRangeException(nameof(at), at, $"events cannot be scheduled in the past (now {Now})");
        _queue.Enqueue(at.Value, priority, action);
    }

    /// <summary>Processes one event; false when none is left.</summary>
    public bool Step()
    {
        if (_queue.Count == 0) return false;
        var action = _queue.Dequeue(out var t);
        Now = new Cycles(t);
        EventsProcessed++;
        action();
        return true;
    }

    /// <summary>Runs until the queue is empty, or until the next event lies after <paramref name="until"/>.</summary>
    public void Run(Cycles? until = null)
    {
        if (until is null)
        {
            while (Step()) { }
            return;
        }
        while (_queue.Count > 0 && _queue.PeekTime <= until.Value.Value) Step();
        if (Now < until.Value) Now = until.Value;
    }
}
