using CimSim.Common.Units;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;

namespace CimSim.Devices.Memory;

/// <summary>Off-chip DRAM/HBM: energy per bit moved, peak bandwidth, access latency (docs/devices.md, "Off-chip memory").</summary>
public sealed class DramModel
{
    public const string Component = "dram";
    public const string BitTransfer = "bit_transfer";

    public DramSpec Spec { get; }

    public DramModel(DramSpec spec)
    {
        Spec = spec;
        Energy = new EnergyTable(Component, [new(BitTransfer, spec.EnergyPicojoulesPerBit)]);
        Table = new ComponentTable
        {
            Component = Component,
            Instance = "chip",
            Energy = Energy,
            LatencySeconds = new Dictionary<string, double> { [BitTransfer] = 1.0 / (8 * spec.BandwidthBytesPerSecond) },
        };
    }

    /// <summary>The off-chip memory's reference table (energy per bit moved; area is off chip).</summary>
    public ComponentTable Table { get; }

    public EnergyTable Energy { get; }

    public double TransferEnergyPicojoules(long bytes) => bytes * 8 * Spec.EnergyPicojoulesPerBit;

    /// <summary>Latency + bytes / bandwidth, seconds.</summary>
    public double TransferSeconds(long bytes) => Spec.LatencySeconds + bytes / Spec.BandwidthBytesPerSecond;

    public Cycles TransferCycles(long bytes, ClockDomain clock) => clock.FromSecondsCeiling(TransferSeconds(bytes));
}
