namespace CimSim.Devices.Config;

/// <summary>
/// The one range rule for config numbers (issue 14): every number is finite and inside a range, upper bound included.
/// A key declares Min/Max on its <see cref="ConfigKeyAttribute"/>; where it declares no Max, the ceiling of its unit
/// applies (and -ceiling where it declares no Min). The ceilings are far above any physical chip yet small enough that
/// products of a few dozen config values stay finite in double precision (1e15^20 = 1e300), so no value that passes
/// validation can make a report say "Infinity". A key with a unit missing here fails ConfigRangeTests.
/// </summary>
public static class ConfigRanges
{
    private static readonly Dictionary<string, double> Ceilings = new(StringComparer.Ordinal)
    {
        [""] = 1e12,          // dimensionless fit coefficients, ratios
        ["%"] = 100,
        ["bit"] = 64,
        ["cycles"] = 1e9,
        ["s"] = 1,            // per-action latencies (1e9 cycles at 1 GHz); drift times declare their own Max
        ["Hz"] = 1e12,
        ["V"] = 100,
        ["K"] = 1e4,
        ["nm"] = 1e4,
        ["uS"] = 1e6,         // 1 S (a 1-ohm cell)
        ["ohm"] = 1e12,
        ["uW"] = 1e9,         // 1 kW
        ["W"] = 1e6,
        ["pJ"] = 1e6,         // 1 uJ per action
        ["fJ"] = 1e9,
        ["um^2"] = 1e12,      // 1 m^2
        ["mm^2"] = 1e6,
        ["B"] = 1L << 50,     // 1 PiB
        ["B/s"] = 1e15,
    };

    /// <summary>Units with a default ceiling.</summary>
    public static IReadOnlyCollection<string> Units => Ceilings.Keys;

    /// <summary>True when <paramref name="unit"/> has a default ceiling.</summary>
    public static bool HasCeiling(string unit) => Ceilings.ContainsKey(unit);

    /// <summary>The largest allowed value of a key: its declared Max, else its unit's ceiling.</summary>
    public static double UpperBound(ConfigKeyAttribute key) =>
        !double.IsNaN(key.Max) ? key.Max
        : Ceilings.TryGetValue(key.Unit, out var c) ? c
        : throw new InvalidOperationException($"config key '{key.Name}': unit '{key.Unit}' has no default ceiling; declare Max or add the unit to ConfigRanges");

    /// <summary>The smallest allowed value: its declared Min, else minus the upper bound.</summary>
    public static double LowerBound(ConfigKeyAttribute key) => !double.IsNaN(key.Min) ? key.Min : -UpperBound(key);
}
