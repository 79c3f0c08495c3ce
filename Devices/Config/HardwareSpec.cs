namespace CimSim.Devices.Config;

// Immutable hardware spec records: the parsed, validated form of a hw-configs/*.yaml file.
// Property defaults are the paper-like hybrid design of hw-configs/default.yaml (each number's source is the comment
// beside it there and in docs/configuration.md); `new HardwareSpec()` equals loading that file.
// Units are in the names. Latencies of analog/periphery actions are in seconds (converted to cycles only through a
// CimSim.Common.Units.ClockDomain); pipelined digital actions are in cycles of their own clock, and say so.
// Records are only added to, never renamed: other layers build on these names.

/// <summary>A whole hybrid RRAM/SRAM CIM chip: the root of a hw-config YAML file.</summary>
public sealed record HardwareSpec
{
    /// <summary>Short name of this configuration, used in reports.</summary>
    [ConfigKey("name")]
    public string Name { get; init; } = "paper-hybrid-22nm";

    /// <summary>Free text: what this configuration models and where its numbers come from.</summary>
    [ConfigKey("description")]
    public string Description { get; init; } = "";

    /// <summary>Process technology.</summary>
    [ConfigKey("technology")]
    public TechnologySpec Technology { get; init; } = new();

    /// <summary>The chip's main clock (RRAM tiles, SRAM CIM macros, buffers, interconnect).</summary>
    [ConfigKey("clock")]
    public ClockSpec Clock { get; init; } = new();

    /// <summary>The analog RRAM crossbar subsystem holding frozen weights W0.</summary>
    [ConfigKey("rram")]
    public RramSpec Rram { get; init; } = new();

    /// <summary>SRAM digital compute-in-memory macros (LoRA A/B, attention matmuls).</summary>
    [ConfigKey("sram_cim")]
    public SramCimSpec SramCim { get; init; } = new();

    /// <summary>The on-chip global buffer (activations, KV cache when mapped on chip).</summary>
    [ConfigKey("buffer")]
    public BufferSpec Buffer { get; init; } = new();

    /// <summary>The buffer inside each tile (input/output staging of the tile's arrays and macros).</summary>
    [ConfigKey("tile_buffer")]
    public BufferSpec TileBuffer { get; init; } = BufferSpec.DefaultTileBuffer;

    /// <summary>The on-chip network between tiles and the global buffer.</summary>
    [ConfigKey("interconnect")]
    public InterconnectSpec Interconnect { get; init; } = new();

    /// <summary>The digital vector unit (softmax, norms, activations, residual adds, requantisation).</summary>
    [ConfigKey("digital")]
    public DigitalSpec Digital { get; init; } = new();

    /// <summary>Off-chip memory.</summary>
    [ConfigKey("dram")]
    public DramSpec Dram { get; init; } = new();

    /// <summary>Chip-level organisation and budgets.</summary>
    [ConfigKey("chip")]
    public ChipSpec Chip { get; init; } = new();

    /// <summary>Which unit runs / stores each kind of operator or tensor.</summary>
    [ConfigKey("mapping")]
    public MappingPolicySpec Mapping { get; init; } = new();

    /// <summary>The main clock as a clock domain (the only place its cycles become seconds).</summary>
    public CimSim.Common.Units.ClockDomain ChipClock => new("chip", Clock.FrequencyHz);

    /// <summary>The digital vector unit's clock domain.</summary>
    public CimSim.Common.Units.ClockDomain DigitalClock => new("digital", Digital.FrequencyHz);
}

/// <summary>Process technology (used for reporting and by models that scale with node or supply).</summary>
public sealed record TechnologySpec
{
    /// <summary>Process node in nanometres.</summary>
    [ConfigKey("node_nm", Unit = "nm", Min = 1, Max = 1000)]
    public int NodeNanometres { get; init; } = 22;

    /// <summary>Logic supply voltage in volts (digital periphery).</summary>
    [ConfigKey("supply_voltage_v", Unit = "V", Min = 0, MinExclusive = true, Max = 5)]
    public double SupplyVoltageVolts { get; init; } = 0.85;

    /// <summary>Operating temperature in kelvin.</summary>
    [ConfigKey("temperature_k", Unit = "K", Min = 0, MinExclusive = true, Max = 500)]
    public double TemperatureKelvin { get; init; } = 300;
}

/// <summary>The chip's main clock.</summary>
public sealed record ClockSpec
{
    /// <summary>Frequency in hertz.</summary>
    [ConfigKey("frequency_hz", Unit = "Hz", Min = 0, MinExclusive = true, Max = 1e11)]
    public double FrequencyHz { get; init; } = 1e9;
}
