using CimSim.Common.Units;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;

namespace CimSim.Devices.Memory;

/// <summary>Off-chip DRAM/HBM: energy per bit moved, peak bandwidth, access latency (docs/devices.md, "Off-chip memory").</summary>
public sealed class DramModel
{
    public const string BitTransfer = "bit_transfer";

    public DramSpec Spec { get; }

    public DramModel(DramSpec spec)
    {
        Spec = spec;
        Energy = new EnergyTable("dram", [new(BitTransfer, spec.EnergyPicojoulesPerBit)]);
    }

    public EnergyTable Energy { get; }

    public double TransferEnergyPicojoules(long bytes) => bytes * 8 * Spec.EnergyPicojoulesPerBit;

    /// <summary>Latency + bytes / bandwidth, seconds.</summary>
    public double TransferSeconds(long bytes) => Spec.LatencySeconds + bytes / Spec.BandwidthBytesPerSecond;

    public Cycles TransferCycles(long bytes, ClockDomain clock) => clock.FromSecondsCeiling(TransferSeconds(bytes));
}
