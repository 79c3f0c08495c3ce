using CimSim.Common.Units;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;

namespace CimSim.Devices.Sram;

/// <summary>
/// Cost of one SRAM digital CIM macro (docs/devices.md, "SRAM digital CIM"): a macro stores rows x
/// (cols / weight_bits) weights and computes exact integer MACs; one operation multiplies one input vector by
/// everything it holds. Loading weights (LoRA adapters, K/V in attention) is priced per bit written.
/// </summary>
public sealed class SramCimMacroModel
{
    public const string Component = "sram_cim";
    public const string Mac = "mac";
    public const string Operation = "operation";
    public const string WriteBit = "write_bit";

    public SramCimSpec Spec { get; }

    public SramCimMacroModel(SramCimSpec spec)
    {
        Spec = spec;
        Energy = new EnergyTable(Component,
        [
            new(Mac, spec.EnergyPicojoulesPerMac),
            new(Operation, spec.EnergyPicojoulesPerMac * spec.MacsPerOp),
            new(WriteBit, spec.WriteEnergyPicojoulesPerBit),
        ]);
        Table = new ComponentTable
        {
            Component = Component,
            Instance = "macro",
            Energy = Energy,
            LatencySeconds = new Dictionary<string, double> { [Operation] = spec.LatencySecondsPerOp, [WriteBit] = spec.WriteLatencySecondsPerRow / spec.Cols },
            AreaSquareMicrometresPerInstance = spec.AreaSquareMicrometres,
            LeakageWattsPerInstance = spec.LeakagePowerWatts,
        };
    }

    /// <summary>The macro's reference table (one instance = one macro).</summary>
    public ComponentTable Table { get; }

    /// <summary>Peak MACs of one macro per second: MACs of one operation / its latency.</summary>
    public double MacsPerSecondPerMacro => Spec.MacsPerOp / Spec.LatencySecondsPerOp;

    /// <summary>Bits one macro writes per second: one row of cols bits per write latency.</summary>
    public double WriteBitsPerSecondPerMacro => Spec.Cols / Math.Max(1e-30, Spec.WriteLatencySecondsPerRow);

    /// <summary>Energy per action, picojoules ("operation" = one full-macro input vector = MacsPerOp MACs).</summary>
    public EnergyTable Energy { get; }

    public long WeightCapacity => Spec.WeightCapacity;
    public long MacsPerOperation => Spec.MacsPerOp;
    public long CapacityBits => (long)Spec.Rows * Spec.Cols;

    public double OperationSeconds => Spec.LatencySecondsPerOp;
    public Cycles OperationCycles(ClockDomain clock) => clock.FromSecondsCeiling(OperationSeconds);

    /// <summary>Energy to write <paramref name="weights"/> weights of weight_bits each, picojoules.</summary>
    public double WriteEnergyPicojoules(long weights) => weights * Spec.WeightBits * Spec.WriteEnergyPicojoulesPerBit;

    /// <summary>Time to write <paramref name="rows"/> macro rows, seconds (rows are written one at a time).</summary>
    public double WriteSeconds(long rows) => rows * Spec.WriteLatencySecondsPerRow;

    /// <summary>Time to fill the whole macro, seconds.</summary>
    public double FullWriteSeconds => WriteSeconds(Spec.Rows);

    public double AreaSquareMicrometres => Spec.AreaSquareMicrometres;

    /// <summary>Peak throughput of one macro, MAC per second.</summary>
    public double MacsPerSecond => MacsPerOperation / OperationSeconds;

    /// <summary>Energy efficiency, TOPS/W (2 ops per MAC).</summary>
    public double TopsPerWatt => 2.0 / (Spec.EnergyPicojoulesPerMac * 1e-12) / 1e12;
}
