using CimSim.Devices.Energy;
using CimSim.Simulator.Gpu;
using CimSim.Simulator.Scheduling;

namespace CimSim.Simulator.Reports;

/// <summary>
/// Prices the scheduler's action counts, once, with the device models' reference tables (energy = counts x
/// table; leakage = power per instance x instances x time; area = area per instance x instances) and assembles the
/// report. The only place a count meets a price: an action no device table lists stops the run, naming the
/// component and the action.
/// </summary>
public static class ReportBuilder
{
    /// <summary>Breakdown key of static (leakage) energy, beside the component names.</summary>
    public const string LeakageKey = "leakage";

    /// <summary>Energy per counted action (index of <see cref="CountedActions"/>), picojoules, looked up in the device tables.</summary>
    public static double[] PricesPicojoules(DeviceTables devices) =>
        CountedActions.All.Select(a => devices.EnergyPicojoules(a.Component, a.Action)).ToArray();

    /// <summary>Energy of a count vector (indexed by <see cref="CountedActions"/>), joules.</summary>
    public static double PriceJ(double[] pricesPj, double[] counts)
    {
        double pj = 0;
        for (var i = 0; i < pricesPj.Length; i++) pj += counts[i] * pricesPj[i];
        return pj * 1e-12;
    }

    /// <summary>Instances of a component on the mapped chip: arrays, macros, tiles, or one per chip / unit.</summary>
    public static long Instances(ComponentTable t, CimHardwareModel hw) => t.Instance switch
    {
        "array" => hw.Mapping.RramArrays,
        "macro" => hw.Mapping.SramMacros,
        "tile" => hw.Mapping.Tiles,
        "chip" => hw.Mapping.Chips,
        _ => 1,
    };

    /// <summary>Static power of the whole chip, watts: sum over components of leakage per instance x instances.</summary>
    public static double LeakagePowerWatts(DeviceTables devices, CimHardwareModel hw) =>
        devices.Tables.Sum(t => t.LeakageWattsPerInstance * Instances(t, hw));

    public static CimSummary Summarise(DeviceTables devices, CimHardwareModel hw, ScheduleResult r)
    {
        var prices = PricesPicojoules(devices);
        var actions = CountedActions.All;
        var shape = r.Program.Shape;
        var latency = hw.Clock.ToSeconds(r.TotalCycles);
        var ttft = hw.Clock.ToSeconds(r.PrefillCycles);
        var leakageW = LeakagePowerWatts(devices, hw);
        var breakdown = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var byAction = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var counts = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var t in devices.Tables)
            if (t.Energy.Count > 0) breakdown[t.Component] = 0;
        for (var i = 0; i < actions.Count; i++)
        {
            var n = r.CountsByPhase[0][i] + r.CountsByPhase[1][i];
            // Conversions at a mapping.adc_bits resolution appear only when some matrix converts at it.
            if (n == 0 && IsAdcBitsOverride(actions[i])) continue;
            var j = n * prices[i] * 1e-12;
            counts[actions[i].ToString()] = n;
            byAction[actions[i].ToString()] = j;
            breakdown[actions[i].Component] += j;
        }
        breakdown[LeakageKey] = leakageW * latency;
        var byLayer = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var byOp = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var t in r.Program.Tasks)
        {
            var e = PriceJ(prices, r.CountsByTemplate[t.Id]);
            var lk = LayerKey(t.Layer);
            byLayer[lk] = byLayer.GetValueOrDefault(lk) + e;
            byOp[t.Operator] = byOp.GetValueOrDefault(t.Operator) + e;
        }
        var byPhase = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["prefill"] = PriceJ(prices, r.CountsByPhase[0]) + leakageW * ttft,
            ["decode"] = PriceJ(prices, r.CountsByPhase[1]) + leakageW * (latency - ttft),
        };
        var area = new SortedDictionary<string, double>(StringComparer.Ordinal);
        // Area is the mapping's (device-model area per instance x the units, tiles and chips it places; sized buffers):
        // the same figures the chip partition was budgeted with.
        foreach (var e in hw.Mapping.Area)
            if (e.SquareMillimetres > 0) area[e.Component] = e.SquareMillimetres;
        var energy = breakdown.Values.Sum();
        var (layers, operators) = CostBreakdown.Build(devices, hw, r, breakdown[LeakageKey], area.Values.Sum());
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
            EnergyByActionJ = byAction,
            ActionCounts = counts,
            EnergyByPhaseJ = byPhase,
            EnergyByLayerJ = byLayer,
            EnergyByOperatorJ = byOp,
            AreaMm2 = area.Values.Sum(),
            AreaBreakdownMm2 = area,
            Resources = r.Resources,
            Layers = layers,
            Operators = operators,
        };
    }

    private static bool IsAdcBitsOverride(CountedAction a) =>
        a.Component == Devices.Rram.RramArrayModel.AdcComponent && a.Action.StartsWith(Devices.Rram.RramArrayModel.Conversion + "_", StringComparison.Ordinal);

    public static string LayerKey(int layer) => layer < 0 ? "embedding_lm_head" : $"layer_{layer:D2}";

    public static SimulationReport Build(ReportInputs inputs, DeviceTables devices, CimHardwareModel hw, ScheduleResult schedule, GpuBaselineResult gpu) =>
        new() { Inputs = inputs, Cim = Summarise(devices, hw, schedule), Gpu = gpu };
}
