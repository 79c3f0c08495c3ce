using CimSim.Devices.Config;

namespace CimSim.Devices.Rram;

/// <summary>The price of one cell under one DAC step (<see cref="RramArrayModel.CellRead"/>), picojoules.</summary>
public interface IArrayReadModel
{
    /// <summary>Model name as in YAML (rram.array.impl).</summary>
    string Name { get; }

    double CellReadStepEnergyPicojoules { get; }
}

/// <summary>
/// Joule heating of the cells (docs/devices.md, section 4; NeuroSim's and MNSIM's V^2 G t): activity x V^2 G_mean x
/// t_read, with activity the mean (V_r / V)^2 over rows.
/// </summary>
public sealed class CellCurrentReadModel(RramDeviceSpec device, double rowActivity, double meanConductanceSiemens) : IArrayReadModel
{
    public string Name => "cell-current";

    public double CellReadStepEnergyPicojoules =>
        rowActivity * device.ReadVoltageVolts * device.ReadVoltageVolts * meanConductanceSiemens * device.ReadPulseSeconds * 1e12;
}

/// <summary>
/// A published crossbar power over its read step spread over its cells (ISAAC ISCA 2016 Table 1; PUMA's 0.3 mW per
/// 128x128 crossbar, REFERENCES 4): power x step / cells, an average that already includes the input activity.
/// </summary>
public sealed class CrossbarPowerReadModel(CrossbarPowerSpec p) : IArrayReadModel
{
    public string Name => "crossbar-power";

    public double CellReadStepEnergyPicojoules => p.PowerWatts * p.StepSeconds / p.Cells * 1e12;
}

/// <summary>Array read models by their YAML name (rram.array.impl), each owning its parameter record (as <see cref="Periphery.AdcCostModel"/>).</summary>
public static class ArrayReadModel
{
    private static readonly Dictionary<ArrayReadModelKind, Func<RramSpec, double, double, IArrayReadModel>> Registry = new()
    {
        [ArrayReadModelKind.CellCurrent] = (r, activity, gMean) => new CellCurrentReadModel(r.Device, activity, gMean),
        [ArrayReadModelKind.CrossbarPower] = (r, _, _) => new CrossbarPowerReadModel(r.Array.CrossbarPower),
    };

    /// <summary>The registered kinds.</summary>
    public static IReadOnlyCollection<ArrayReadModelKind> Kinds => Registry.Keys;

    /// <summary>Builds the configured model for an array with this row activity and mean conductance (siemens).</summary>
    public static IArrayReadModel Create(RramSpec rram, double rowActivity, double meanConductanceSiemens)
    {
        ArgumentNullException.ThrowIfNull(rram);
        return Registry.TryGetValue(rram.Array.Impl, out var make) ? make(rram, rowActivity, meanConductanceSiemens)
            : throw new ArgumentOutOfRangeException(nameof(rram), rram.Array.Impl, $"no array read model registered for impl '{rram.Array.Impl}'; registered: {string.Join(", ", Registry.Keys)}");
    }
}
