using CimSim.Common.Units;

namespace CimSim.Simulator.Engine;

/// <summary>
/// A pool of identical servers (ADC banks, buffer ports, interconnect links, digital units, an RRAM array group)
/// with a first-come-first-served queue. Requests hold one server for a given number of cycles; a request that
/// finds every server busy waits, and that wait is counted as stall time. Busy cycles give utilisation.
/// </summary>
public sealed class Resource
{
    private readonly SimulationEngine _engine;
    private readonly Queue<(long Duration, long RequestedAt, Action<Cycles> OnDone)> _waiting = new();
    private int _busy;

    public Resource(SimulationEngine engine, string name, string resourceClass, int servers)
    {
        if (servers < 1) throw new ArgumentOutOfRangeException(nameof(servers), servers, "a resource needs at least one server");
        _engine = engine;
        Name = name;
        ResourceClass = resourceClass;
        Servers = servers;
    }

    public string Name { get; }

    /// <summary>Class used for the utilisation/stall report (e.g. "rram", "adc", "sram_cim", "digital", "link").</summary>
    public string ResourceClass { get; }

    public int Servers { get; }

    /// <summary>Sum over servers of cycles spent serving requests.</summary>
    public long BusyCycles { get; private set; }

    /// <summary>Sum over requests of cycles spent waiting for a free server (contention).</summary>
    public long StallCycles { get; private set; }

    public long Requests { get; private set; }

    /// <summary>
    /// Holds one server for <paramref name="duration"/> cycles, starting as soon as one is free; then calls
    /// <paramref name="onDone"/> with the completion time.
    /// </summary>
    public void Request(Cycles duration, Action<Cycles> onDone)
    {
        Requests++;
        if (_busy < Servers) Start(duration.Value, onDone);
        else _waiting.Enqueue((duration.Value, _engine.Now.Value, onDone));
    }

    private void Start(long duration, Action<Cycles> onDone)
    {
        _busy++;
        BusyCycles += duration;
        _engine.Schedule(new Cycles(duration), () =>
        {
            _busy--;
            if (_waiting.Count > 0)
            {
                var (d, at, next) = _waiting.Dequeue();
                StallCycles += _engine.Now.Value - at;
                Start(d, next);
            }
            onDone(_engine.Now);
        });
    }

    /// <summary>Fraction of server-cycles busy over <paramref name="span"/>.</summary>
    public double Utilisation(Cycles span) => span.Value <= 0 ? 0 : (double)BusyCycles / (span.Value * (double)Servers);
}
