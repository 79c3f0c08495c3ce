namespace CimSim.Devices.Energy;

/// <summary>
/// One component's reference table (Accelergy's energy and area reference tables in one record): energy and
/// latency per action, area and leakage per instance. Built by the component's device model from its YAML
/// section; the scheduler counts actions by (<see cref="Component"/>, action) name and never sees a picojoule.
/// </summary>
public sealed record ComponentTable
{
    public required string Component { get; init; }

    /// <summary>Energy per action, picojoules.</summary>
    public required EnergyTable Energy { get; init; }

    /// <summary>Latency per action, seconds (actions whose time the scheduler composes; absent = not timed alone).</summary>
    public IReadOnlyDictionary<string, double> LatencySeconds { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>What one instance is (e.g. "array", "macro", "tile"), for the area and leakage columns.</summary>
    public required string Instance { get; init; }

    /// <summary>Area of one instance, square micrometres.</summary>
    public double AreaSquareMicrometresPerInstance { get; init; }

    /// <summary>Static power of one instance, watts.</summary>
    public double LeakageWattsPerInstance { get; init; }
}
