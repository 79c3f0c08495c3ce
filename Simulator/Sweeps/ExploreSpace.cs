using System.Globalization;
using CimSim.Common.Errors;

namespace CimSim.Simulator.Sweeps;

/// <summary>How `cimsim explore` chooses the designs it evaluates.</summary>
public enum ExploreStrategy
{
    /// <summary>Every combination of the hardware grid and of RRAM/SRAM for every placement group.</summary>
    Grid,

    /// <summary>Seeded random samples: each hardware key drawn from its list or range, each group RRAM or SRAM with equal odds.</summary>
    Random,

    /// <summary>Marginal-gain placement: move the group with the best accuracy gain per unit of cost to SRAM until the budget is met, then descend on cost.</summary>
    Greedy,
}

/// <summary>
/// A set of frozen matrices whose W0 moves together between RRAM and SRAM: one `mapping.placement` glob
/// (docs/mapping.md). "q_proj" (or "q") stands for every layer's q_proj, "lm_head" for the LM head; a name with
/// a dot, `*` or `?` is taken as the glob itself.
/// </summary>
public sealed record PlacementGroup(string Name, string Glob)
{
    public const string PlacementPrefix = "mapping.placement.";

    /// <summary>Prefix of a group's per-module ADC resolution (mapping.adc_bits.GLOB=bits).</summary>
    public const string AdcBitsPrefix = "mapping.adc_bits.";

    /// <summary>The projection classes of a Llama-family layer, and the LM head.</summary>
    public const string DefaultList = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj,lm_head";

    /// <summary>The sweep parameter path of this group (its values are the targets rram / sram).</summary>
    public string Path => PlacementPrefix + Glob;

    /// <summary>The sweep parameter path of this group's ADC bits (its values are resolutions).</summary>
    public string AdcBitsPath => AdcBitsPrefix + Glob;

    /// <summary>`--adc-bits 4,6,8`: the resolutions explore may give each group's ADCs (sorted, distinct, each 1..16).</summary>
    public static IReadOnlyList<int> ParseBits(string? list)
    {
        if (string.IsNullOrWhiteSpace(list)) return [];
        var bits = new List<int>();
        foreach (var item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var b) || b < 1 || b > Devices.Rram.RramArrayModel.MaxAdcBits)
                throw new UserInputException($"--adc-bits '{list}': found '{item}'; expected comma-separated ADC resolutions from 1 to {Devices.Rram.RramArrayModel.MaxAdcBits} bits, e.g. 4,6,8");
            bits.Add(b);
        }
        return bits.Distinct().Order().ToList();
    }

    public static IReadOnlyList<PlacementGroup> ParseList(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new UserInputException($"--groups '{list}': expected a comma-separated list of module classes or globs, e.g. {DefaultList}");
        var groups = names.Select(Of).ToList();
        var twice = groups.GroupBy(g => g.Glob).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (twice.Count > 0) throw new UserInputException($"--groups '{list}': {string.Join(", ", twice)} listed twice");
        return groups;
    }

    public static PlacementGroup Of(string name)
    {
        if (name == "lm_head" || name.IndexOfAny(['.', '*', '?']) >= 0) return new PlacementGroup(name, name);
        var proj = name.EndsWith("_proj", StringComparison.Ordinal) ? name : name + "_proj";
        return new PlacementGroup(proj, "model.layers.*." + proj);
    }
}

/// <summary>
/// The objectives of one evaluated design, all minimised: energy per token, accuracy loss against ideal devices
/// in percentage points (with the 95 % interval over chip instances), and area.
/// </summary>
public sealed record ExploreObjectives(double EnergyPerTokenJ, double AccuracyLossPoints, double? AccuracyLossCi95Points, double AreaMm2, int Seeds)
{
    /// <summary>
    /// From a point's metrics: energy_j / tokens; loss = 100 x (ideal - accuracy), where ideal is the ideal model's
    /// multiple-choice accuracy when the data has questions, else 1 (the top-1 agreement of the ideal model with
    /// itself); the interval half-width is t(0.975, n-1) x std / sqrt(n) over the n chip instances (none for n = 1).
    /// Null when the point is not ok or lacks a metric.
    /// </summary>
    public static ExploreObjectives? From(PointResult r, int tokensPerRun)
    {
        if (r.Status != PointStatus.Ok) return null;
        var m = r.Metrics.ToDictionary(x => x.Name, x => x.Value, StringComparer.Ordinal);
        if (!m.TryGetValue(SweepPlots.Energy, out var energy) || !m.TryGetValue(SweepPlots.Accuracy, out var accuracy) || !m.TryGetValue(SweepPlots.Area, out var area))
            return null;
        var ideal = m.GetValueOrDefault(FunctionalAccuracyProbe.IdealAccuracyMetric, 1.0);
        var seeds = (int)m.GetValueOrDefault(FunctionalAccuracyProbe.SeedsMetric, 1);
        double? ci = null;
        if (seeds > 1 && m.TryGetValue(FunctionalAccuracyProbe.AccuracyStdMetric, out var std))
            ci = 100 * MathNet.Numerics.Distributions.StudentT.InvCDF(0, 1, seeds - 1, 0.975) * std / Math.Sqrt(seeds);
        return new ExploreObjectives(energy / tokensPerRun, 100 * (ideal - accuracy), ci, area, seeds);
    }

    public double Cost(ExploreCost cost) => cost == ExploreCost.Area ? AreaMm2 : EnergyPerTokenJ;

    public static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>What the greedy search and the budget answer minimise.</summary>
public enum ExploreCost
{
    /// <summary>Energy per token (J).</summary>
    Energy,

    /// <summary>Chip area (mm^2).</summary>
    Area,
}
