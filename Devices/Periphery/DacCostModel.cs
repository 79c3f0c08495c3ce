using CimSim.Devices.Config;

namespace CimSim.Devices.Periphery;

/// <summary>One row driver (DAC): energy per drive of one row for one step, settling time, area of one DAC.</summary>
public interface IDacCostModel
{
    /// <summary>Model name as in YAML (rram.dac.impl).</summary>
    string Name { get; }

    double EnergyPicojoulesPerDrive { get; }

    double LatencySeconds { get; }

    /// <summary>Area of one DAC, square micrometres.</summary>
    double AreaSquareMicrometres { get; }
}

/// <summary>The configured energy_pj, latency_s and area_um2 at any resolution (the 1-bit word-line driver of NeuroSim and ISAAC).</summary>
public sealed class FixedDac(DacSpec dac) : IDacCostModel
{
    public string Name => "fixed";

    public double EnergyPicojoulesPerDrive => dac.EnergyPicojoulesPerDrive;

    public double LatencySeconds => dac.LatencySeconds;

    public double AreaSquareMicrometres => dac.AreaSquareMicrometres;
}

/// <summary>
/// Energy and area doubling per bit from a reference DAC: E = energy_pj x 2^(bits - reference_bits), likewise area
/// (the resolution scaling of Accelergy's hwcomponents-library isaac.py IsaacDac, pow_base(2) from its 1-bit point;
/// a binary-weighted current-steering or capacitive DAC doubles its unit elements per bit). Settling: latency_s.
/// </summary>
public sealed class ResolutionScaledDac(DacSpec dac) : IDacCostModel
{
    public string Name => "resolution-scaled";

    public double Scale => Math.Pow(2, dac.Bits - dac.ResolutionScaled.ReferenceBits);

    public double EnergyPicojoulesPerDrive => dac.EnergyPicojoulesPerDrive * Scale;

    public double LatencySeconds => dac.LatencySeconds;

    public double AreaSquareMicrometres => dac.AreaSquareMicrometres * Scale;
}

/// <summary>
/// DAC models by their YAML name (rram.dac.impl), each owning its parameter record (Ramulator 2's registry pattern,
/// as <see cref="AdcCostModel"/>). Adding a model is one class plus one line here.
/// </summary>
public static class DacCostModel
{
    private static readonly Dictionary<DacModelKind, Func<DacSpec, IDacCostModel>> Registry = new()
    {
        [DacModelKind.Fixed] = d => new FixedDac(d),
        [DacModelKind.ResolutionScaled] = d => new ResolutionScaledDac(d),
    };

    /// <summary>The registered kinds.</summary>
    public static IReadOnlyCollection<DacModelKind> Kinds => Registry.Keys;

    public static IDacCostModel Create(DacSpec dac)
    {
        ArgumentNullException.ThrowIfNull(dac);
        return Registry.TryGetValue(dac.Impl, out var make) ? make(dac)
            : throw new ArgumentOutOfRangeException(nameof(dac), dac.Impl, $"no DAC model registered for impl '{dac.Impl}'; registered: {string.Join(", ", Registry.Keys)}");
    }
}
