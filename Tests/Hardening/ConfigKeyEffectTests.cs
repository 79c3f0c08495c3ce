using System.Globalization;
using System.Text.Json.Nodes;
using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Reports;
using CimSim.Tests.Simulator.Scheduling;

namespace CimSim.Tests.Hardening;

/// <summary>
/// "A config key that is validated must change some output" (issue 14, "one rule in one place"): every key listed by the
/// schema is perturbed to another valid value and must move the simulate report (inputs section excluded) or the
/// functional logits (statistical or bit-accurate path). Keys that only matter elsewhere are listed in
/// <see cref="OnlyMatterElsewhere"/> with the reason, the same list as docs/reliability.md. A key added to the schema
/// that neither moves an output nor is listed fails here by name.
/// </summary>
public class ConfigKeyEffectTests
{
    /// <summary>Keys that change no simulate or functional output, and why (documented in docs/reliability.md).</summary>
    public static readonly IReadOnlyDictionary<string, string> OnlyMatterElsewhere = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["name"] = "label: names the config in reports (an input, not an output)",
        ["description"] = "label: free text",
        ["rram.device.write_energy_pj"] = "programming W0 (program_verify off) is priced only by cimsim lifecycle (LifecycleRunnerTests)",
        ["rram.device.write_latency_s"] = "programming W0 (program_verify off) is priced only by cimsim lifecycle (LifecycleRunnerTests)",
        ["rram.program_verify.pulse_energy_pj"] = "programming W0 is priced only by cimsim lifecycle (LifecycleRunnerTests)",
        ["rram.program_verify.pulse_s"] = "programming W0 is priced only by cimsim lifecycle (LifecycleRunnerTests)",
        ["rram.program_verify.arrays_in_parallel_per_tile"] = "programming time is reported only by cimsim lifecycle (LifecycleRunnerTests)",
        ["rram.program_verify.endurance_cycles"] = "re-programmings survived are reported only by cimsim lifecycle (LifecycleRunnerTests)",
        ["dram.kind"] = "label (docs/configuration.md: the numbers below price it)",
    };

    /// <summary>
    /// Keys that are validated but move no output today: defects found by this test, owned by other issues (issue 10
    /// pricing: technology scaling, buffer and digital energies; issue 11: ADC range in the functional path). A listed
    /// key that starts to matter fails the test, so the list only shrinks. docs/reliability.md lists them.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> KnownIgnored = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["technology.node_nm"] = "issue 10: no model scales with the node (every number is given per key)",
        ["technology.supply_voltage_v"] = "issue 10: digital energies are given per operation, not from V^2",
        ["technology.temperature_k"] = "issue 10: no model depends on temperature",
        ["rram.dac.bit_serial"] = "redundant: false requires bits = input_bits, which bit-serial with bits = input_bits equals",
        ["buffer.kind"] = "issue 10: a label; the numbers price the buffer",
        ["tile_buffer.kind"] = "issue 10: a label; the numbers price the buffer",
        ["digital.precision_bits"] = "issue 10: vector-unit energies are given per operation",
    };

    private static readonly Dictionary<string, string> BaselineCache = new(StringComparer.Ordinal);

    /// <summary>Settings under which a key matters (a walden ADC parameter matters with impl: walden, drift with drift on).</summary>
    private static readonly (string Prefix, string[] Context)[] Contexts =
    [
        ("rram.adc.walden.", ["rram.adc.impl=walden"]),
        ("rram.adc.table.", ["rram.adc.impl=table"]),
        ("rram.adc.range.clip_fraction", ["rram.adc.ideal=false", "rram.adc.range.full_scale=fraction"]),
        ("rram.adc.range.calibration", ["rram.adc.ideal=false", "rram.adc.range.full_scale=calibrated"]),
        ("rram.adc.range.", ["rram.adc.ideal=false"]),
        ("rram.adc.sar_neurosim.", ["rram.adc.impl=sar-neurosim"]),
        ("rram.adc.area_um2", ["rram.adc.impl=walden"]),
        // The survey ADC's thermal (Schreier) limit binds above ~10 bits; at 8 bits the Walden term does.
        ("rram.adc.survey.fom_schreier_db", ["rram.adc.bits=12"]),
        // The tiny model on one-tile chips: each layer and the lm_head on its own chip, so links carry the cuts.
        ("interconnect.chip_to_chip_", ["chip.tiles=1"]),
        ("chip.max_chips", ["chip.tiles=1"]),
        // A budget below one layer's area: the problem the mapping reports names the budget.
        ("chip.max_area_mm2", ["chip.max_area_mm2=0.001"]),
        ("rram.adc.bits", ["rram.adc.ideal=false"]),
        ("rram.noise.programming.sigma_us", ["rram.noise.programming.impl=gaussian-absolute", "rram.noise.weight_noise.sigma=0"]),
        ("rram.noise.programming.sigma", ["rram.noise.programming.impl=gaussian-relative-gmax", "rram.noise.weight_noise.sigma=0"]),
        ("rram.noise.programming.", ["rram.noise.programming.impl=polynomial", "rram.noise.weight_noise.sigma=0"]),
        // Program-and-verify moves the chip instance when the pulses are noisy and the tolerance binds (p ~ 0.08 per pulse).
        ("rram.program_verify.", ["rram.noise.programming.impl=gaussian-absolute", "rram.noise.programming.sigma_us=0.5",
            "rram.noise.weight_noise.sigma=0", "rram.program_verify.enabled=true", "rram.program_verify.tolerance_us=0.05"]),
        ("rram.noise.read.relative_to", ["rram.noise.read.sigma=0.05"]),
        // Compensation rescales a drifted chip; its period moves the last reference read (t_s 1 day: a period that does not divide it).
        ("rram.noise.drift.compensation", ["rram.noise.drift.enabled=true", "rram.noise.drift.compensation=true"]),
        ("rram.noise.drift.", ["rram.noise.drift.enabled=true"]),
        ("rram.noise.ir_drop.", ["rram.noise.ir_drop.enabled=true"]),
        ("rram.array.encoding", ["rram.array.bits_per_cell=1"]),
        // Where the offset is removed only matters to a converting ADC (an ideal one converts the bias exactly).
        ("rram.array.offset_subtraction", ["rram.adc.ideal=false"]),
        ("rram.dac.bit_serial", ["rram.dac.bits=8"]),
        // The DAC and array-read registries: a kind's parameters matter when it is selected (resolution-scaled above 1 bit).
        ("rram.dac.resolution_scaled.", ["rram.dac.impl=resolution-scaled", "rram.dac.bits=2"]),
        ("rram.dac.impl", ["rram.dac.bits=2"]),
        ("rram.array.crossbar_power.", ["rram.array.impl=crossbar-power"]),
    ];

    public static IEnumerable<TestCaseData> Keys() => ConfigSchema.AllKeys
        .Where(k => !ConfigSchema.IsSection(k.Property.PropertyType))
        .Select(k => new TestCaseData(k.Path).SetName($"Perturb_{k.Path}_MovesAnOutputOrIsListed"));

    [TestCaseSource(nameof(Keys))]
    public void Perturb_Key_MovesAnOutputOrIsListed(string path)
    {
        if (OnlyMatterElsewhere.ContainsKey(path)) Assert.Pass(OnlyMatterElsewhere[path]);
        var context = Contexts.FirstOrDefault(c => path.StartsWith(c.Prefix, StringComparison.Ordinal)).Context ?? [];
        var baseline = HardwareConfigLoader.ApplyOverrides(new HardwareSpec(), context);
        var info = ConfigSchema.AllKeys.Single(k => k.Path == path);
        var original = info.Property.GetValue(Section(baseline, path));
        var key = string.Join(" ", context);
        if (!BaselineCache.TryGetValue(key + "|sim", out var beforeSim)) BaselineCache[key + "|sim"] = beforeSim = SimulateOutput(baseline);
        string? beforeFun = null;
        var tried = new List<string>();
        var moved = false;
        foreach (var candidate in Candidates(info, original))
        {
            HardwareSpec perturbed;
            try
            {
                // An ordered glob map takes its entries as path.pattern=target (docs/configuration.md "mapping.placement").
                perturbed = path is "mapping.placement" or "mapping.adc_bits"
                    ? HardwareConfigLoader.ApplyOverrides(baseline, [$"{path}.{candidate}"])
                    : HardwareConfigLoader.With(baseline, path, candidate);
            }
            catch (UserInputException)
            {
                continue; // another key constrains this value (e.g. DAC bits <= input bits): try the next candidate
            }
            tried.Add(candidate);
            // The simulate report first (fast); the functional logits only when it did not move.
            if (SimulateOutput(perturbed) != beforeSim) { moved = true; break; }
            if (!BaselineCache.TryGetValue(key + "|fun", out beforeFun)) BaselineCache[key + "|fun"] = beforeFun = FunctionalOutput(baseline);
            if (FunctionalOutput(perturbed) != beforeFun) { moved = true; break; }
        }
        if (KnownIgnored.TryGetValue(path, out var why))
        {
            Assert.That(moved, Is.False, $"{path} now moves an output: remove it from ConfigKeyEffectTests.KnownIgnored and docs/reliability.md");
            Assert.Pass("known ignored: " + why);
        }
        if (moved) return;
        Assert.Fail(tried.Count == 0
            ? $"{path}: no valid perturbation of {Format(original)} found; add one to Candidates"
            : $"{path}: {string.Join(", ", tried)} (default {Format(original)}) moved no simulate or functional output; " +
              "make the key matter, remove it, or list it in ConfigKeyEffectTests.OnlyMatterElsewhere and docs/reliability.md with the reason");
    }

    /// <summary>The simulate report of a tiny model without its inputs section (or the error it ends in).</summary>
    private static string SimulateOutput(HardwareSpec spec)
    {
        string report;
        try
        {
            var r = SimulationRunner.Run(new SimulationRequest
            {
                Hardware = spec,
                ModelSpec = SchedulingFixtures.TinyModel,
                PromptTokens = 8,
                GeneratedTokens = 3,
                LoraRank = 4,
            });
            var json = JsonNode.Parse(ReportWriter.ToJson(r))!.AsObject();
            json.Remove("inputs");
            report = json.ToJsonString();
        }
        catch (UserInputException ex)
        {
            report = "error: " + ex.Message;
        }
        return report;
    }

    /// <summary>Last-position logits of the llama fixture on both RRAM paths, seed 1.</summary>
    private static string FunctionalOutput(HardwareSpec spec)
    {
        return string.Join(";", new[] { RramPath.Statistical, RramPath.BitAccurate }.Select(p =>
        {
            var m = FunctionalModel.Load(FixturePaths.Of("llama_f32"), FunctionalHardware.Placer(spec, 1, p));
            return string.Join(",", new InferenceSession(m, 4).Forward([1, 5, 9], lastOnly: true).Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        }));
    }

    /// <summary>The record holding <paramref name="path"/>'s key (also used by LifecycleRunnerTests).</summary>
    internal static object Section(HardwareSpec spec, string path)
    {
        object node = spec;
        foreach (var segment in path.Split('.')[..^1])
            node = ConfigSchema.KeysOf(node.GetType()).Single(k => k.Key.Name == segment).Property.GetValue(node)!;
        return node;
    }

    private static string Format(object? v) => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Enum e => ConfigSchema.EnumValues(e.GetType())[Array.IndexOf(Enum.GetValues(e.GetType()), e)],
        System.Collections.IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object>().Select(Format)) + "]",
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>Other valid-looking values of a key, in the order tried.</summary>
    private static IEnumerable<string> Candidates(ConfigKeyInfo info, object? value)
    {
        if (info.Path == "mapping.placement")
        {
            yield return "model.layers.0.self_attn.q_proj=sram";
            yield return "lm_head=digital";
            yield break;
        }
        if (info.Path == "mapping.adc_bits")
        {
            yield return "model.layers.0.self_attn.q_proj=4";
            yield break;
        }
        if (info.Path == "rram.adc.range.calibration_percentile")
        {
            // A percentile in (50, 100]: the multiplicative candidates below leave that range.
            yield return "99";
            yield return "90";
            yield break;
        }
        switch (value)
        {
            case bool b:
                yield return b ? "false" : "true";
                break;
            case Enum e:
                foreach (var name in ConfigSchema.EnumValues(e.GetType()).Where(n => n != Format(e))) yield return name;
                break;
            case int or long:
                {
                    var v = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                    foreach (var c in new[] { v * 2, v / 2, v + 1, v - 1, v * 4, Math.Max(1, v / 1024), 256, 1, 4, 16 }.Distinct().Where(c => c != v))
                        yield return c.ToString(CultureInfo.InvariantCulture);
                    break;
                }
            case double d:
                foreach (var c in (d == 0 ? new[] { 0.01, 0.1, 1, 1e-9, 1e-6, 10 } : [d * 2, d / 2, d * 1.1, d * 10, d * 100]).Where(c => c <= ConfigRanges.UpperBound(info.Key)))
                    yield return c.ToString("R", CultureInfo.InvariantCulture);
                break;
            case System.Collections.IEnumerable list and not string:
                {
                    var items = list.Cast<object>().Select(x => Convert.ToDouble(x, CultureInfo.InvariantCulture)).ToList();
                    var isInt = list.Cast<object>().FirstOrDefault() is int;
                    string Yaml(IEnumerable<double> xs) => "[" + string.Join(", ", xs.Select(x => isInt ? ((long)x).ToString(CultureInfo.InvariantCulture) : x.ToString("R", CultureInfo.InvariantCulture))) + "]";
                    yield return Yaml(items.Select(x => x * 2));
                    yield return Yaml(items.Select((x, i) => i == items.Count - 1 ? x + 1 : x));
                    yield return Yaml(items.Select((x, i) => i == 0 ? x : x + 1));
                    yield return Yaml(items.Select(x => isInt ? x : x / 2));
                    yield return Yaml(items.Take(items.Count - 1));
                    break;
                }
        }
    }
}
