using System.Globalization;
using System.Text;
using CimSim.Devices.Energy;
using CimSim.Simulator.Scheduling;

namespace CimSim.Simulator.Reports;

/// <summary>
/// One row of layers.csv / operators.csv: priced energy (J), busy time (service seconds summed over jobs, queueing
/// excluded), weight area (mm^2: arrays or macros the row's matrices occupy x the per-instance area of the components
/// counted per array or macro) and utilisation (busy / (run span x servers of the row's resources), a fraction).
/// </summary>
public sealed record CostRow(string Name, double EnergyJ, double BusyS, double AreaMm2, double Utilisation);

/// <summary>
/// Per-layer and per-operator costs from the schedule's per-template counts and busy cycles. The last row of each
/// table, <see cref="UnattributedRow"/>, carries leakage energy (static power x run time, no task owns it) and the area no matrix owns (tiles, attention macros,
/// buffers, chip-level units), so each column sums to the report's total.
/// </summary>
public static class CostBreakdown
{
    public const string UnattributedRow = "unattributed";

    public const string CsvHeader = "energy_j,busy_time_s,area_mm2,utilisation_fraction";

    public static (IReadOnlyList<CostRow> Layers, IReadOnlyList<CostRow> Operators) Build(
        DeviceTables devices, CimHardwareModel hw, ScheduleResult r, double leakageJ, double totalAreaMm2)
    {
        var prices = ReportBuilder.PricesPicojoules(devices);
        double PerInstanceMm2(string instance) =>
            devices.Tables.Where(t => t.Instance == instance).Sum(t => t.AreaSquareMicrometresPerInstance) * 1e-6;
        var arrayMm2 = PerInstanceMm2("array");
        var macroMm2 = PerInstanceMm2("macro");
        var span = (double)r.TotalCycles.Value;
        var tasks = r.Program.Tasks;
        var clock = hw.Clock.FrequencyHz;

        IReadOnlyList<CostRow> Group(Func<TaskTemplate, string> key)
        {
            var rows = new List<CostRow>();
            foreach (var g in tasks.GroupBy(key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                double energy = 0, area = 0;
                long busy = 0;
                foreach (var t in g)
                {
                    energy += ReportBuilder.PriceJ(prices, r.CountsByTemplate[t.Id]);
                    busy += r.BusyCyclesByTemplate[t.Id];
                    area += t.Kind switch
                    {
                        TaskKind.RramMatVec => t.Units * arrayMm2,
                        TaskKind.SramMatVec or TaskKind.LoraA or TaskKind.LoraB => t.Units * macroMm2,
                        _ => 0,
                    };
                }
                var servers = g.Select(t => t.ResourceKey).Distinct(StringComparer.Ordinal).Sum(k => r.ServersByResource[k]);
                rows.Add(new CostRow(g.Key, energy, busy / clock, area, span > 0 && servers > 0 ? busy / (span * servers) : 0));
            }
            rows.Add(new CostRow(UnattributedRow, leakageJ, 0, Math.Max(0, totalAreaMm2 - rows.Sum(x => x.AreaMm2)), 0));
            return rows;
        }

        return (Group(t => ReportBuilder.LayerKey(t.Layer)), Group(t => t.Operator));
    }

    /// <summary>Tidy CSV: one row per layer or operator, units in the header, invariant culture, round-trip numbers.</summary>
    public static string ToCsv(string keyColumn, IReadOnlyList<CostRow> rows)
    {
        static string N(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
        var sb = new StringBuilder();
        sb.Append(keyColumn).Append(',').Append(CsvHeader).Append('\n');
        foreach (var x in rows)
            sb.Append(x.Name).Append(',').Append(N(x.EnergyJ)).Append(',').Append(N(x.BusyS)).Append(',')
              .Append(N(x.AreaMm2)).Append(',').Append(N(x.Utilisation)).Append('\n');
        return sb.ToString();
    }
}
