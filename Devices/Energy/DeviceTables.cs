using CimSim.Devices.Config;
using CimSim.Devices.Digital;
using CimSim.Devices.Interconnect;
using CimSim.Devices.Memory;
using CimSim.Devices.Rram;
using CimSim.Devices.Sram;

namespace CimSim.Devices.Energy;

/// <summary>
/// Every device model of one chip, built once from a <see cref="HardwareSpec"/>, and the reference tables they
/// define, by component name. The one place a run's prices come from: reports multiply counted actions by
/// <see cref="EnergyPicojoules"/> and instances by area and leakage per instance; an action no table lists is an
/// error naming the component and the action (Accelergy's "cannot find the action"), never a silent zero.
/// </summary>
public sealed class DeviceTables
{
    /// <summary>Chip-level area per tile not in arrays, macros or buffers (control, routing): chip.tile_overhead_area_mm2.</summary>
    public const string TileOverheadComponent = "tile_overhead";

    /// <summary>Chip-level static power not attributed to a component: chip.leakage_power_w.</summary>
    public const string ChipComponent = "chip";

    private readonly Dictionary<string, ComponentTable> _tables = new(StringComparer.Ordinal);

    public DeviceTables(HardwareSpec hw)
    {
        ArgumentNullException.ThrowIfNull(hw);
        Rram = new RramArrayModel(hw.Rram);
        Sram = new SramCimMacroModel(hw.SramCim);
        Digital = new VectorUnitModel(hw.Digital);
        TileBuffer = new BufferModel(hw.TileBuffer, BufferModel.TileBufferComponent);
        GlobalBuffer = new BufferModel(hw.Buffer, BufferModel.GlobalBufferComponent);
        Interconnect = new InterconnectModel(hw.Interconnect);
        Dram = new DramModel(hw.Dram);
        IEnumerable<ComponentTable> all =
        [
            .. Rram.Tables, Sram.Table, Digital.Table, TileBuffer.Table, GlobalBuffer.Table, .. Interconnect.Tables, Dram.Table,
            new ComponentTable
            {
                Component = TileOverheadComponent, Energy = new EnergyTable(TileOverheadComponent, []), Instance = "tile",
                AreaSquareMicrometresPerInstance = hw.Chip.TileOverheadAreaSquareMillimetres * 1e6,
            },
            new ComponentTable
            {
                Component = ChipComponent, Energy = new EnergyTable(ChipComponent, []), Instance = "chip",
                LeakageWattsPerInstance = hw.Chip.LeakagePowerWatts,
            },
        ];
        foreach (var t in all)
            if (!_tables.TryAdd(t.Component, t)) throw new InvalidOperationException($"component '{t.Component}' defined by two device models");
    }

    public RramArrayModel Rram { get; }
    public SramCimMacroModel Sram { get; }
    public VectorUnitModel Digital { get; }
    public BufferModel TileBuffer { get; }
    public BufferModel GlobalBuffer { get; }
    public InterconnectModel Interconnect { get; }
    public DramModel Dram { get; }

    /// <summary>Every component's table, in definition order.</summary>
    public IReadOnlyCollection<ComponentTable> Tables => _tables.Values;

    public ComponentTable this[string component] => _tables.TryGetValue(component, out var t) ? t
        : throw new KeyNotFoundException($"no device model defines component '{component}'; components: {string.Join(", ", _tables.Keys)}");

    /// <summary>Energy of one <paramref name="action"/> of <paramref name="component"/>, picojoules; throws naming both when no table lists it.</summary>
    public double EnergyPicojoules(string component, string action)
    {
        if (!_tables.TryGetValue(component, out var t))
            throw new KeyNotFoundException($"cannot price action '{action}': no device model defines component '{component}'");
        if (!t.Energy.TryGetValue(action, out var pj))
            throw new KeyNotFoundException($"cannot price action '{action}' of component '{component}': its table lists {string.Join(", ", t.Energy.Keys)}");
        return pj;
    }
}
