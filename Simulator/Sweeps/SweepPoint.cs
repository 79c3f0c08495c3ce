using System.Globalization;

namespace CimSim.Simulator.Sweeps;

/// <summary>One parameter assignment of a sweep point: a config path and the value as YAML scalar text.</summary>
public readonly record struct SweepParameter(string Path, string Value)
{
    /// <summary>The `path=value` override string that <c>HardwareConfigLoader.Load</c> takes.</summary>
    public string ToOverride() => Path + "=" + Value;

    /// <summary>The value as a number when it is one (for plots and JSON), otherwise null.</summary>
    public double? NumericValue =>
        double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
}

/// <summary>
/// One point of a sweep: its position in the enumeration (which fixes its id, its shard and its row order) and
/// its parameter values in the grid file's order.
/// </summary>
public sealed record SweepPoint(int Index, string Id, IReadOnlyList<SweepParameter> Parameters)
{
    /// <summary>Point ids are "p" plus the zero-padded index, so that they sort like the index.</summary>
    public static string IdFor(int index, int total) =>
        "p" + index.ToString(CultureInfo.InvariantCulture).PadLeft(Math.Max(4, (total - 1).ToString(CultureInfo.InvariantCulture).Length), '0');

    public IReadOnlyList<string> Overrides => Parameters.Select(p => p.ToOverride()).ToList();

    public override string ToString() => Id + " (" + string.Join(", ", Parameters.Select(p => p.ToOverride())) + ")";
}
