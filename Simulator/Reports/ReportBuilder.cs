using CimSim.Simulator.Gpu;
using CimSim.Simulator.Scheduling;

namespace CimSim.Simulator.Reports;

/// <summary>Prices the scheduler's action counts with the energy table and assembles the report (energy = counts x table).</summary>
public static class ReportBuilder
{
    public static string ClassKey(EnergyClass c) => c switch
    {
        EnergyClass.RramArrayRead => "rram_array_read",
        EnergyClass.Dac => "dac",
        EnergyClass.Adc => "adc",
        EnergyClass.ShiftAdd => "shift_add",
        EnergyClass.SramCimMac => "sram_cim_mac",
        EnergyClass.SramWrite => "sram_write",
        EnergyClass.Buffer => "buffer",
        EnergyClass.Interconnect => "interconnect",
        EnergyClass.DigitalUnit => "digital_unit",
        EnergyClass.OffChipMemory => "off_chip_memory",
        EnergyClass.Leakage => "leakage",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
    };

    /// <summary>Energy of a count vector (ordered as <see cref="CycleScheduler.CountedClasses"/>), joules.</summary>
    public static double PriceJ(CimHardwareModel hw, double[] counts)
    {
        var classes = CycleScheduler.CountedClasses;
        double pj = 0;
        for (var i = 0; i < classes.Count; i++) pj += counts[i] * hw.EnergyPj(classes[i]);
        return pj * 1e-12;
    }

    public static CimSummary Summarise(CimHardwareModel hw, ScheduleResult r)
    {
        var classes = CycleScheduler.CountedClasses;
        var shape = r.Program.Shape;
        var latency = hw.Clock.ToSeconds(r.TotalCycles);
        var ttft = hw.Clock.ToSeconds(r.PrefillCycles);
        var leakage = hw.LeakagePowerW * latency;
        var breakdown = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var counts = new SortedDictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < classes.Count; i++)
        {
            var n = r.CountsByTemplate.Sum(t => t[i]);
            counts[ClassKey(classes[i])] = n;
            breakdown[ClassKey(classes[i])] = n * hw.EnergyPj(classes[i]) * 1e-12;
        }
        breakdown[ClassKey(EnergyClass.Leakage)] = leakage;
        var byLayer = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var byOp = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var t in r.Program.Tasks)
        {
            var e = PriceJ(hw, r.CountsByTemplate[t.Id]);
            var lk = LayerKey(t.Layer);
            byLayer[lk] = byLayer.GetValueOrDefault(lk) + e;
            byOp[t.Operator] = byOp.GetValueOrDefault(t.Operator) + e;
        }
        var byPhase = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["prefill"] = PriceJ(hw, r.CountsByPhase[0]) + hw.LeakagePowerW * ttft,
            ["decode"] = PriceJ(hw, r.CountsByPhase[1]) + hw.LeakagePowerW * (latency - ttft),
        };
        var energy = breakdown.Values.Sum();
        var area = new SortedDictionary<string, double>(hw.AreaMm2.ToDictionary(), StringComparer.Ordinal);
        return new CimSummary
        {
            ClockHz = hw.Clock.FrequencyHz,
            Cycles = r.TotalCycles.Value,
            PrefillCycles = r.PrefillCycles.Value,
            LatencyS = latency,
            TtftS = ttft,
            TpotS = shape.DecodeSteps > 0 ? (latency - ttft) / shape.DecodeSteps : 0,
            TokensPerS = latency > 0 ? (double)shape.Batch * shape.GeneratedTokens / latency : 0,
            Events = r.Events,
            Tasks = r.TasksExecuted,
            EnergyJ = energy,
            EnergyBreakdownJ = breakdown,
            ActionCounts = counts,
            EnergyByPhaseJ = byPhase,
            EnergyByLayerJ = byLayer,
            EnergyByOperatorJ = byOp,
            AreaMm2 = area.Values.Sum(),
            AreaBreakdownMm2 = area,
            Resources = r.Resources,
        };
    }

    public static string LayerKey(int layer) => layer < 0 ? "embedding_lm_head" : $"layer_{layer:D2}";

    public static SimulationReport Build(ReportInputs inputs, CimHardwareModel hw, ScheduleResult schedule, GpuBaselineResult gpu) =>
        new() { Inputs = inputs, Cim = Summarise(hw, schedule), Gpu = gpu };
}
