namespace CimSim.Devices.Config;

/// <summary>
/// Declares a spec-record property as a YAML key, once, with its constraints (gem5 / Ramulator style: a parameter is
/// declared in one place with its name, unit and range). The loader binds, validates, dumps and documents keys from
/// these declarations; a property without this attribute is derived, never read from YAML.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ConfigKeyAttribute(string name) : Attribute
{
    /// <summary>The snake_case YAML key, e.g. "g_min_us".</summary>
    public string Name { get; } = name;

    /// <summary>Unit shown in messages and docs ("uS", "pJ", "s", "bit", "" for dimensionless).</summary>
    public string Unit { get; init; } = "";

    /// <summary>Smallest allowed value (NaN: no lower bound).</summary>
    public double Min { get; init; } = double.NaN;

    /// <summary>Largest allowed value (NaN: no upper bound).</summary>
    public double Max { get; init; } = double.NaN;

    /// <summary>When true the value must be strictly greater than <see cref="Min"/>.</summary>
    public bool MinExclusive { get; init; }

    /// <summary>When true an integer value must be a power of two.</summary>
    public bool PowerOfTwo { get; init; }
}
