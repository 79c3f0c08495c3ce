using CimSim.Common.Units;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;

namespace CimSim.Devices.Interconnect;

/// <summary>
/// On-chip network (docs/devices.md, "Interconnect"): a transfer of B bits over h hops costs B x h x
/// (link + router energy per bit) and takes h x hop latency + ceil(B / link width) cycles (wormhole: the
/// head pays the hops, the body streams one flit per cycle). Mesh hops are Manhattan distances (X-Y routing);
/// a bus is one hop.
/// </summary>
public sealed class InterconnectModel
{
    /// <summary>The on-chip network component.</summary>
    public const string Component = "interconnect";

    /// <summary>The chip-to-chip link component (multi-chip mappings).</summary>
    public const string LinkComponent = "link";

    /// <summary>One bit over one hop: one link plus one router.</summary>
    public const string HopBit = "hop_bit";

    /// <summary>One bit crossing to another chip.</summary>
    public const string LinkBit = "bit";

    public InterconnectSpec Spec { get; }

    public InterconnectModel(InterconnectSpec spec)
    {
        Spec = spec;
        Energy = new EnergyTable(Component, [new(HopBit, spec.LinkEnergyPicojoulesPerBitPerHop + spec.RouterEnergyPicojoulesPerBit)]);
        Tables =
        [
            new ComponentTable { Component = Component, Instance = "chip", Energy = Energy },
            new ComponentTable { Component = LinkComponent, Instance = "chip", Energy = new EnergyTable(LinkComponent, [new(LinkBit, spec.ChipToChipEnergyPicojoulesPerBit)]) },
        ];
    }

    /// <summary>Chip-to-chip link bandwidth, bits per second (interconnect.chip_to_chip_bandwidth_bytes_per_s).</summary>
    public double LinkBitsPerSecond => Spec.ChipToChipBandwidthBytesPerSecond * 8;

    /// <summary>Latency of one chip-to-chip transfer, seconds (interconnect.chip_to_chip_latency_s).</summary>
    public double LinkLatencySeconds => Spec.ChipToChipLatencySeconds;

    /// <summary>Energy per on-chip action, picojoules.</summary>
    public EnergyTable Energy { get; }

    /// <summary>The on-chip network's and the chip-to-chip link's reference tables.</summary>
    public IReadOnlyList<ComponentTable> Tables { get; }

    /// <summary>Hops between two tiles of a mesh laid out row-major with <paramref name="meshWidth"/> columns.</summary>
    public int Hops(int fromTile, int toTile, int meshWidth)
    {
        if (Spec.Topology == InterconnectTopology.Bus) return fromTile == toTile ? 0 : 1;
        if (meshWidth < 1) throw new ArgumentOutOfRangeException(nameof(meshWidth));
        return Math.Abs(fromTile % meshWidth - toTile % meshWidth) + Math.Abs(fromTile / meshWidth - toTile / meshWidth);
    }

    /// <summary>Energy to move <paramref name="bits"/> bits over <paramref name="hops"/> hops (each hop: one link, one router), picojoules.</summary>
    public double TransferEnergyPicojoules(long bits, int hops) => (double)bits * hops * Energy[HopBit];

    public long Flits(long bits) => (bits + Spec.LinkWidthBits - 1) / Spec.LinkWidthBits;

    /// <summary>Cycles of the chip clock to move <paramref name="bits"/> over <paramref name="hops"/>: hops x hop latency + flits.</summary>
    public Cycles TransferCycles(long bits, int hops) => new((long)hops * Spec.HopLatencyCycles + Flits(bits));
}
