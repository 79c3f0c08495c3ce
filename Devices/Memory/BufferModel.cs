using CimSim.Common.Units;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;

namespace CimSim.Devices.Memory;

/// <summary>
/// On-chip buffer (SRAM or eDRAM): energy per access of access_width_bits, bandwidth-limited transfer time,
/// fixed access latency, area, leakage (docs/devices.md, "Buffers").
/// </summary>
public sealed class BufferModel
{
    public const string TileBufferComponent = "tile_buffer";
    public const string GlobalBufferComponent = "global_buffer";
    public const string ReadAccess = "read_access";
    public const string WriteAccess = "write_access";
    public const string ReadBit = "read_bit";
    public const string WriteBit = "write_bit";

    public BufferSpec Spec { get; }
    public string Name { get; }

    public BufferModel(BufferSpec spec, string name = GlobalBufferComponent)
    {
        Spec = spec;
        Name = name;
        Energy = new EnergyTable(name,
        [
            new(ReadAccess, spec.ReadEnergyPicojoulesPerBit * spec.AccessWidthBits),
            new(WriteAccess, spec.WriteEnergyPicojoulesPerBit * spec.AccessWidthBits),
            new(ReadBit, spec.ReadEnergyPicojoulesPerBit),
            new(WriteBit, spec.WriteEnergyPicojoulesPerBit),
        ]);
        Table = new ComponentTable
        {
            Component = name,
            Instance = name == TileBufferComponent ? "tile" : "chip",
            Energy = Energy,
            LatencySeconds = new Dictionary<string, double> { [ReadAccess] = spec.LatencySeconds, [WriteAccess] = spec.LatencySeconds },
            AreaSquareMicrometresPerInstance = spec.AreaSquareMillimetres * 1e6,
            LeakageWattsPerInstance = spec.LeakagePowerWatts,
        };
    }

    /// <summary>The buffer's reference table (one instance = one buffer).</summary>
    public ComponentTable Table { get; }

    /// <summary>Bits per second over all ports.</summary>
    public double BitsPerSecond => Spec.BandwidthBytesPerSecond * 8;

    /// <summary>Energy per access of access_width_bits, picojoules.</summary>
    public EnergyTable Energy { get; }

    /// <summary>Accesses needed to move <paramref name="bytes"/> bytes: ceil(bits / access width).</summary>
    public long Accesses(long bytes) => (bytes * 8 + Spec.AccessWidthBits - 1) / Spec.AccessWidthBits;

    public double ReadEnergyPicojoules(long bytes) => Accesses(bytes) * Energy[ReadAccess];
    public double WriteEnergyPicojoules(long bytes) => Accesses(bytes) * Energy[WriteAccess];

    /// <summary>Latency + bytes / bandwidth, seconds (all ports together).</summary>
    public double TransferSeconds(long bytes) => Spec.LatencySeconds + bytes / Spec.BandwidthBytesPerSecond;

    public Cycles TransferCycles(long bytes, ClockDomain clock) => clock.FromSecondsCeiling(TransferSeconds(bytes));

    /// <summary>
    /// Bits one port moves per cycle of <paramref name="frequencyHz"/>: its share of the bandwidth (bandwidth / ports),
    /// at most one access of access_width_bits per cycle. The scheduler serialises a transfer at this rate.
    /// </summary>
    public double BitsPerCyclePerPort(double frequencyHz) =>
        Math.Min(Spec.BandwidthBytesPerSecond * 8 / Spec.Ports / frequencyHz, Spec.AccessWidthBits);

    /// <summary>Access latency in whole cycles of <paramref name="frequencyHz"/> (added once per transfer).</summary>
    public long LatencyCycles(double frequencyHz) => (long)Math.Ceiling(Spec.LatencySeconds * frequencyHz - 1e-9);

    public bool Fits(long bytes) => bytes <= Spec.CapacityBytes;

    public double AreaSquareMillimetres => Spec.AreaSquareMillimetres;
}
