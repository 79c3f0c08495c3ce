using CimSim.Common.Noise;

namespace CimSim.Workloads.NoiseProfiles;

/// <summary>
/// What RRAM noise a trainer should make a LoRA robust to, measured from the device model on a mapped model
/// (`cimsim noise-profile`). Plain versioned JSON (snake_case keys, docs/noise-profile.schema.json), readable
/// from Python without CimSim; <see cref="NoiseProfileJson"/> reads and writes it. All "relative" numbers
/// are divided by a max|W| named in the field (<see cref="NoiseScale"/>), so they are dimensionless. The fits are
/// <see cref="NoiseModel"/>, the one noise record the device config and the trainer use too.
/// </summary>
public sealed record NoiseProfile
{
    public const string FormatName = "cimsim-noise-profile";
    public const int CurrentVersion = 1;

    public string Format { get; init; } = FormatName;

    public int Version { get; init; } = CurrentVersion;

    /// <summary>Tool and version that wrote the file, e.g. "cimsim 0.1.0".</summary>
    public string Generator { get; init; } = "cimsim";

    public required NoiseProfileSource Source { get; init; }

    /// <summary>The one parametric model a trainer should inject everywhere (fitted over all modules, weighted by weight count).</summary>
    public required NoiseModel Recommended { get; init; }

    /// <summary>One entry per RRAM-mapped linear module, in model order.</summary>
    public required IReadOnlyList<ModuleNoise> Modules { get; init; }

    /// <summary>Free-text remarks (e.g. "random weights: the preset has no checkpoint").</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The module entry of a Hugging Face module name, or null.</summary>
    public ModuleNoise? Find(string moduleName) => Modules.FirstOrDefault(m => m.Name == moduleName);
}

/// <summary>Where the profile was measured.</summary>
public sealed record NoiseProfileSource
{
    /// <summary>Hardware config file (or its name).</summary>
    public required string Hardware { get; init; }

    /// <summary>Model directory or preset name.</summary>
    public required string Model { get; init; }

    /// <summary>"checkpoint" (the model's safetensors) or "random" (seeded random weights of the right shapes).</summary>
    public required string Weights { get; init; }

    /// <summary>Distribution of random weights when <see cref="Weights"/> is "random", else null.</summary>
    public string? RandomWeights { get; init; }

    /// <summary>Chip-instance seed of the device draws.</summary>
    public ulong Seed { get; init; }

    /// <summary>Device model that produced the effective weights: "bit_accurate" or "statistical".</summary>
    public string DevicePath { get; init; } = "statistical";

    /// <summary>Tile used for the per-tile statistics (crossbar rows = input features, columns = output features).</summary>
    public int TileRows { get; init; } = 64;

    public int TileColumns { get; init; } = 64;

    /// <summary>Tokens of random probe input used for <see cref="ModuleNoise.OutputError"/>.</summary>
    public int ProbeTokens { get; init; }
}

/// <summary>Distribution of a relative error: moments, quantiles and the largest magnitude.</summary>
public sealed record ErrorStatistics
{
    /// <summary>Which max|W| the values were divided by.</summary>
    public NoiseScale RelativeTo { get; init; } = NoiseScale.Tile;

    public double Mean { get; init; }

    public double Std { get; init; }

    public required Quantiles Quantiles { get; init; }

    public double MaxAbs { get; init; }
}

public sealed record Quantiles(double P01, double P05, double P25, double P50, double P75, double P95, double P99);

/// <summary>Spread over the tiles of a module of a per-tile number (std of the relative error per tile).</summary>
public sealed record TileSpread(int Tiles, double Mean, double Std, double Min, double P50, double P95, double Max);

/// <summary>Cells that came out stuck when the module was programmed.</summary>
public sealed record StuckAtCounts(long Cells, long AtGmin, long AtGmax)
{
    public double FractionGmin => Cells == 0 ? 0 : (double)AtGmin / Cells;

    public double FractionGmax => Cells == 0 ? 0 : (double)AtGmax / Cells;
}

/// <summary>
/// Error of the module's output on random probe inputs, relative to rms of the ideal output:
/// ADC quantisation alone (noise-free cells, the configured ADC vs an ideal one, bit-accurate path) and all
/// effects together (the configured device vs the float product).
/// </summary>
public sealed record OutputError
{
    public double AdcStdRel { get; init; }

    public double TotalStdRel { get; init; }

    /// <summary>10 log10(rms(y)^2 / mean((y_device - y)^2)).</summary>
    public double TotalSnrDb { get; init; }

    /// <summary>Output rows probed (the first ones; at most 256 to keep bit-accurate probing cheap).</summary>
    public int ProbedOutputs { get; init; }

    /// <summary>Fraction of ADC conversions that clipped during the probe.</summary>
    public double AdcClippedFraction { get; init; }
}

/// <summary>The measured noise of one RRAM-mapped linear module.</summary>
public sealed record ModuleNoise
{
    /// <summary>Hugging Face module name, e.g. "model.layers.3.self_attn.q_proj".</summary>
    public required string Name { get; init; }

    public int Layer { get; init; }

    /// <summary>"q_proj" ... "down_proj".</summary>
    public required string Module { get; init; }

    public int InFeatures { get; init; }

    public int OutFeatures { get; init; }

    public double MaxAbsWeight { get; init; }

    /// <summary>(W_eff - W) / max|W of its tile|, over every weight.</summary>
    public required ErrorStatistics WeightErrorTile { get; init; }

    /// <summary>(W_eff - W) / max|W of the module|, over every weight.</summary>
    public required ErrorStatistics WeightErrorLayer { get; init; }

    /// <summary>std((W_eff - W) / max|W_tile|) computed per tile, spread over tiles.</summary>
    public required TileSpread TileStd { get; init; }

    /// <summary>The per-tile values behind <see cref="TileStd"/> (tile-major: input tiles fastest), when requested.</summary>
    public IReadOnlyList<double>? TileStdValues { get; init; }

    public required StuckAtCounts StuckAt { get; init; }

    public OutputError? OutputError { get; init; }

    /// <summary>The parametric model fitted to this module alone.</summary>
    public required NoiseModel Fit { get; init; }
}
