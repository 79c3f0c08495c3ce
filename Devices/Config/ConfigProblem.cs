namespace CimSim.Devices.Config;

/// <summary>Where a config value came from: a file and 1-based line:column, an override, or a built-in default.</summary>
public sealed record ConfigLocation(string Source, int Line, int Column)
{
    /// <summary>A value nobody wrote: the record's built-in default.</summary>
    public static ConfigLocation Default { get; } = new("(built-in default)", 0, 0);

    public override string ToString() => Line > 0 ? $"{Source}:{Line}:{Column}" : Source;
}

/// <summary>One problem found in a config: where, which YAML path, and what is wrong (found vs expected).</summary>
public sealed record ConfigProblem(ConfigLocation Location, string Path, string Message)
{
    public override string ToString() => string.IsNullOrEmpty(Path) ? $"{Location}: {Message}" : $"{Location}: {Path}: {Message}";
}
