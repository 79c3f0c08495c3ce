namespace CimSim.Devices.Config;

/// <summary>One SRAM digital compute-in-memory macro (exact integer MACs) and how many sit in a tile.</summary>
public sealed record SramCimSpec
{
    /// <summary>Rows (inputs) per macro.</summary>
    [ConfigKey("rows", Min = 1, Max = 65536)]
    public int Rows { get; init; } = 256;

    /// <summary>Columns (stored weight bits across a row) per macro.</summary>
    [ConfigKey("cols", Min = 1, Max = 65536)]
    public int Cols { get; init; } = 256;

    /// <summary>Stored weight precision; a macro holds rows x (cols / weight_bits) weights.</summary>
    [ConfigKey("weight_bits", Unit = "bit", Min = 1, Max = 16)]
    public int WeightBits { get; init; } = 8;

    /// <summary>Input precision.</summary>
    [ConfigKey("input_bits", Unit = "bit", Min = 1, Max = 16)]
    public int InputBits { get; init; } = 8;

    /// <summary>Energy per weight_bits x input_bits MAC, picojoules.</summary>
    [ConfigKey("energy_per_mac_pj", Unit = "pJ", Min = 0)]
    public double EnergyPicojoulesPerMac { get; init; } = 0.0548;

    /// <summary>Latency of one operation: one input vector through the whole macro (bit-serial inputs included), seconds.</summary>
    [ConfigKey("latency_per_op_s", Unit = "s", Min = 0, MinExclusive = true)]
    public double LatencySecondsPerOp { get; init; } = 8e-9;

    /// <summary>Energy to write one bit cell (loading adapters, writing K/V), picojoules.</summary>
    [ConfigKey("write_energy_pj_per_bit", Unit = "pJ", Min = 0)]
    public double WriteEnergyPicojoulesPerBit { get; init; } = 0.0016;

    /// <summary>Time to write one row, seconds.</summary>
    [ConfigKey("write_latency_per_row_s", Unit = "s", Min = 0)]
    public double WriteLatencySecondsPerRow { get; init; } = 1e-9;

    /// <summary>Area of one macro, square micrometres.</summary>
    [ConfigKey("area_um2", Unit = "um^2", Min = 0)]
    public double AreaSquareMicrometres { get; init; } = 125600.0;

    /// <summary>Static power of one macro, watts.</summary>
    [ConfigKey("leakage_power_w", Unit = "W", Min = 0)]
    public double LeakagePowerWatts { get; init; }

    /// <summary>Macros per tile.</summary>
    [ConfigKey("macros_per_tile", Min = 0, Max = 1 << 20)]
    public int MacrosPerTile { get; init; } = 4;

    /// <summary>Weights one macro holds.</summary>
    public long WeightCapacity => (long)Rows * (Cols / WeightBits);

    /// <summary>MACs one operation performs (rows x weights per row).</summary>
    public long MacsPerOp => WeightCapacity;
}

/// <summary>How an on-chip buffer's capacity is chosen.</summary>
public enum BufferSizing
{
    /// <summary>capacity_bytes as written, checked against what the mapping needs.</summary>
    Configured,

    /// <summary>The capacity the mapping needs (activations, partial sums, KV share); area scales from the configured design point.</summary>
    Auto,
}

/// <summary>An on-chip buffer (SRAM or eDRAM).</summary>
public sealed record BufferSpec
{
    /// <summary>Global buffer default; the tile buffer default is <see cref="DefaultTileBuffer"/>.</summary>
    public BufferSpec() { }

    /// <summary>Default per-tile buffer.</summary>
    public static BufferSpec DefaultTileBuffer => new() { Sizing = BufferSizing.Auto, CapacityBytes = 64 * 1024, Ports = 2, BandwidthBytesPerSecond = 6.4e10, LatencySeconds = 1e-9, AreaSquareMillimetres = 0.235 };

    /// <summary>Memory technology.</summary>
    [ConfigKey("kind")]
    public BufferKind Kind { get; init; } = BufferKind.Sram;

    /// <summary>
    /// Capacity, bytes. With sizing: configured it is the capacity (checked against what the mapping needs); with
    /// sizing: auto it is the design point that area_mm2 describes (area per byte = area_mm2 / capacity_bytes).
    /// </summary>
    [ConfigKey("capacity_bytes", Unit = "B", Min = 1)]
    public long CapacityBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>configured: capacity_bytes as written; auto: the capacity the mapping needs (docs/mapping.md).</summary>
    [ConfigKey("sizing")]
    public BufferSizing Sizing { get; init; } = BufferSizing.Configured;

    /// <summary>Width of one access, bits.</summary>
    [ConfigKey("access_width_bits", Unit = "bit", Min = 8, Max = 65536, PowerOfTwo = true)]
    public int AccessWidthBits { get; init; } = 256;

    /// <summary>Read energy per bit, picojoules.</summary>
    [ConfigKey("read_energy_pj_per_bit", Unit = "pJ", Min = 0)]
    public double ReadEnergyPicojoulesPerBit { get; init; } = 0.0764;

    /// <summary>Write energy per bit, picojoules.</summary>
    [ConfigKey("write_energy_pj_per_bit", Unit = "pJ", Min = 0)]
    public double WriteEnergyPicojoulesPerBit { get; init; } = 0.0764;

    /// <summary>Peak bandwidth over all ports, bytes per second.</summary>
    [ConfigKey("bandwidth_bytes_per_s", Unit = "B/s", Min = 0, MinExclusive = true)]
    public double BandwidthBytesPerSecond { get; init; } = 1.28e11;

    /// <summary>Independent access ports (banks) that can serve requests concurrently.</summary>
    [ConfigKey("ports", Min = 1, Max = 1024)]
    public int Ports { get; init; } = 4;

    /// <summary>Access latency, seconds.</summary>
    [ConfigKey("latency_s", Unit = "s", Min = 0)]
    public double LatencySeconds { get; init; } = 2e-9;

    /// <summary>Area, square millimetres.</summary>
    [ConfigKey("area_mm2", Unit = "mm^2", Min = 0)]
    public double AreaSquareMillimetres { get; init; } = 120.3;

    /// <summary>Static power (eDRAM refresh included), watts.</summary>
    [ConfigKey("leakage_power_w", Unit = "W", Min = 0)]
    public double LeakagePowerWatts { get; init; }
}

/// <summary>The on-chip network.</summary>
public sealed record InterconnectSpec
{
    /// <summary>Network topology.</summary>
    [ConfigKey("topology")]
    public InterconnectTopology Topology { get; init; } = InterconnectTopology.Mesh;

    /// <summary>Link width, bits per cycle.</summary>
    [ConfigKey("link_width_bits", Unit = "bit", Min = 1, Max = 65536, PowerOfTwo = true)]
    public int LinkWidthBits { get; init; } = 256;

    /// <summary>Wire energy per bit per hop, picojoules.</summary>
    [ConfigKey("link_energy_pj_per_bit_per_hop", Unit = "pJ", Min = 0)]
    public double LinkEnergyPicojoulesPerBitPerHop { get; init; } = 0.054;

    /// <summary>Router energy per bit traversing one router, picojoules.</summary>
    [ConfigKey("router_energy_pj_per_bit", Unit = "pJ", Min = 0)]
    public double RouterEnergyPicojoulesPerBit { get; init; } = 0.081;

    /// <summary>Latency per hop (router + link), cycles of the chip clock.</summary>
    [ConfigKey("hop_latency_cycles", Unit = "cycles", Min = 0, Max = 1e6)]
    public int HopLatencyCycles { get; init; } = 2;

    /// <summary>Energy per bit crossing to another chip, picojoules.</summary>
    [ConfigKey("chip_to_chip_energy_pj_per_bit", Unit = "pJ", Min = 0)]
    public double ChipToChipEnergyPicojoulesPerBit { get; init; } = 0.203;

    /// <summary>Columns of the tile mesh; 0 = ceil(sqrt(tiles per chip)) (near-square).</summary>
    [ConfigKey("mesh_cols", Min = 0, Max = 1 << 16)]
    public int MeshColumns { get; init; }

    /// <summary>Bandwidth of the link between two neighbouring chips, bytes per second.</summary>
    [ConfigKey("chip_to_chip_bandwidth_bytes_per_s", Unit = "B/s", Min = 0, MinExclusive = true)]
    public double ChipToChipBandwidthBytesPerSecond { get; init; } = 1.6e10;

    /// <summary>Latency of one chip-to-chip transfer, seconds.</summary>
    [ConfigKey("chip_to_chip_latency_s", Unit = "s", Min = 0)]
    public double ChipToChipLatencySeconds { get; init; } = 1e-8;

    /// <summary>Area of one chip's link interface (counted on every chip of a multi-chip mapping), square millimetres.</summary>
    [ConfigKey("chip_to_chip_area_mm2", Unit = "mm^2", Min = 0)]
    public double ChipToChipAreaSquareMillimetres { get; init; } = 2.634;
}

/// <summary>The digital vector unit (softmax, norms, activations, adds, requantisation).</summary>
public sealed record DigitalSpec
{
    /// <summary>Parallel lanes; each lane starts one operation per cycle (pipelined).</summary>
    [ConfigKey("lanes", Min = 1, Max = 1 << 20)]
    public int Lanes { get; init; } = 128;

    /// <summary>Clock of the vector unit, hertz.</summary>
    [ConfigKey("frequency_hz", Unit = "Hz", Min = 0, MinExclusive = true, Max = 1e11)]
    public double FrequencyHz { get; init; } = 1e9;

    /// <summary>Numeric precision of the vector unit's arithmetic, bits (16 = FP16).</summary>
    [ConfigKey("precision_bits", Unit = "bit", Min = 1, Max = 64)]
    public int PrecisionBits { get; init; } = 16;

    /// <summary>Energy of one add in the unit's precision, picojoules.</summary>
    [ConfigKey("add_energy_pj", Unit = "pJ", Min = 0)]
    public double AddEnergyPicojoules { get; init; } = 0.196;

    /// <summary>Energy of one multiply, picojoules.</summary>
    [ConfigKey("mul_energy_pj", Unit = "pJ", Min = 0)]
    public double MulEnergyPicojoules { get; init; } = 0.538;

    /// <summary>Energy of one exponential (softmax, SiLU), picojoules.</summary>
    [ConfigKey("exp_energy_pj", Unit = "pJ", Min = 0)]
    public double ExpEnergyPicojoules { get; init; } = 2.15;

    /// <summary>Energy of one divide or reciprocal (softmax, norms), picojoules.</summary>
    [ConfigKey("div_energy_pj", Unit = "pJ", Min = 0)]
    public double DivEnergyPicojoules { get; init; } = 2.15;

    /// <summary>Pipeline latency of an add, cycles of frequency_hz.</summary>
    [ConfigKey("add_latency_cycles", Unit = "cycles", Min = 1, Max = 1000)]
    public int AddLatencyCycles { get; init; } = 1;

    /// <summary>Pipeline latency of a multiply, cycles.</summary>
    [ConfigKey("mul_latency_cycles", Unit = "cycles", Min = 1, Max = 1000)]
    public int MulLatencyCycles { get; init; } = 2;

    /// <summary>Pipeline latency of an exponential, cycles.</summary>
    [ConfigKey("exp_latency_cycles", Unit = "cycles", Min = 1, Max = 1000)]
    public int ExpLatencyCycles { get; init; } = 4;

    /// <summary>Pipeline latency of a divide, cycles.</summary>
    [ConfigKey("div_latency_cycles", Unit = "cycles", Min = 1, Max = 1000)]
    public int DivLatencyCycles { get; init; } = 8;

    /// <summary>Area of the whole vector unit, square millimetres.</summary>
    [ConfigKey("area_mm2", Unit = "mm^2", Min = 0)]
    public double AreaSquareMillimetres { get; init; } = 0.5;

    /// <summary>Static power of the vector unit, watts.</summary>
    [ConfigKey("leakage_power_w", Unit = "W", Min = 0)]
    public double LeakagePowerWatts { get; init; }
}

/// <summary>Off-chip memory.</summary>
public sealed record DramSpec
{
    /// <summary>Memory technology (label; the numbers below price it).</summary>
    [ConfigKey("kind")]
    public DramKind Kind { get; init; } = DramKind.Hbm2;

    /// <summary>Access energy per bit transferred, picojoules.</summary>
    [ConfigKey("energy_pj_per_bit", Unit = "pJ", Min = 0)]
    public double EnergyPicojoulesPerBit { get; init; } = 3.9;

    /// <summary>Peak bandwidth, bytes per second.</summary>
    [ConfigKey("bandwidth_bytes_per_s", Unit = "B/s", Min = 0, MinExclusive = true)]
    public double BandwidthBytesPerSecond { get; init; } = 2.56e11;

    /// <summary>Access latency, seconds.</summary>
    [ConfigKey("latency_s", Unit = "s", Min = 0)]
    public double LatencySeconds { get; init; } = 100e-9;

    /// <summary>Capacity, bytes.</summary>
    [ConfigKey("capacity_bytes", Unit = "B", Min = 1)]
    public long CapacityBytes { get; init; } = 8L * 1024 * 1024 * 1024;
}

/// <summary>Chip organisation and budgets.</summary>
public sealed record ChipSpec
{
    /// <summary>Tiles on one chip; 0 = no tile budget (then only max_area_mm2 limits a chip).</summary>
    [ConfigKey("tiles", Min = 0, Max = 1 << 24)]
    public int Tiles { get; init; }

    /// <summary>
    /// Area budget of one chip, square millimetres (default: the ~26 x 33 mm reticle); 0 = no budget. A model over
    /// the tile or area budget is partitioned by layers across chips (docs/mapping.md), not silently shrunk.
    /// </summary>
    [ConfigKey("max_area_mm2", Unit = "mm^2", Min = 0)]
    public double MaxAreaSquareMillimetres { get; init; } = 858;

    /// <summary>Chips the mapping may use; 0 = as many as the model needs. More is a mapping problem (does not fit).</summary>
    [ConfigKey("max_chips", Min = 0, Max = 1 << 20)]
    public int MaxChips { get; init; }

    /// <summary>Chip-level static power not attributed to a component, watts.</summary>
    [ConfigKey("leakage_power_w", Unit = "W", Min = 0)]
    public double LeakagePowerWatts { get; init; }

    /// <summary>Per-tile area not in arrays, macros or buffers (control, routing), square millimetres.</summary>
    [ConfigKey("tile_overhead_area_mm2", Unit = "mm^2", Min = 0)]
    public double TileOverheadAreaSquareMillimetres { get; init; }
}

/// <summary>Placement policy: which unit runs or stores each operator class.</summary>
public sealed record MappingPolicySpec
{
    /// <summary>Frozen pretrained projection weights W0 (q, k, v, o, gate, up, down).</summary>
    [ConfigKey("w0")]
    public ComputeTarget W0 { get; init; } = ComputeTarget.Rram;

    /// <summary>LoRA branches A and B.</summary>
    [ConfigKey("lora")]
    public ComputeTarget Lora { get; init; } = ComputeTarget.Sram;

    /// <summary>The output projection (LM head).</summary>
    [ConfigKey("lm_head")]
    public ComputeTarget LmHead { get; init; } = ComputeTarget.Rram;

    /// <summary>Attention QK^T and PV products.</summary>
    [ConfigKey("attention")]
    public DynamicMatmulTarget Attention { get; init; } = DynamicMatmulTarget.Sram;

    /// <summary>Where the KV cache lives.</summary>
    [ConfigKey("kv_cache")]
    public StorageTarget KvCache { get; init; } = StorageTarget.Buffer;

    /// <summary>Where the token-embedding table lives (one row read per token).</summary>
    [ConfigKey("embedding")]
    public StorageTarget Embedding { get; init; } = StorageTarget.Dram;

    /// <summary>Per-module placement of frozen matrices by Hugging Face module-name glob; first match wins, else w0 / lm_head.</summary>
    [ConfigKey("placement")]
    public PlacementRules Placement { get; init; } = PlacementRules.None;

    /// <summary>Per-module ADC resolution of the RRAM arrays holding a frozen matrix, by module-name glob; first match wins, else rram.adc.bits.</summary>
    [ConfigKey("adc_bits", Unit = "bit")]
    public AdcBitsRules AdcBits { get; init; } = AdcBitsRules.None;
}
