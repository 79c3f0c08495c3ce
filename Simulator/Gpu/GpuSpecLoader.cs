using System.Globalization;
using System.Reflection;
using CimSim.Common.Errors;
using CimSim.Common.Text;
using CimSim.Devices.Config;
using YamlDotNet.RepresentationModel;

namespace CimSim.Simulator.Gpu;

/// <summary>
/// Loads GPU presets: `--gpu NAME` takes a preset shipped in hw-configs/gpus/ (embedded in the program) or a
/// path to a YAML file of the same shape. Every problem (unknown key, missing key, bad number) is reported at once.
/// </summary>
public static class GpuSpecLoader
{
    private static readonly string[] Keys =
    [
        "name", "display_name", "peak_tflops", "peak_int8_tops", "memory_bandwidth_gb_s", "memory_gb", "tdp_w", "idle_w",
        "energy_pj_per_byte", "energy_pj_per_flop", "compute_efficiency", "compute_half_rows", "bandwidth_efficiency",
        "execution_mode", "eager_kernel_overhead_us", "eager_kernels_per_operator", "graphs_kernel_overhead_us",
        "graphs_kernels_per_operator", "weight_bytes", "activation_bytes", "calibration",
    ];

    /// <summary>Names of the presets shipped with the program.</summary>
    public static IReadOnlyList<string> PresetNames =>
        Assembly.GetExecutingAssembly().GetManifestResourceNames()
            .Where(n => n.StartsWith("gpus/", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(n => n[5..^5]).Order(StringComparer.Ordinal).ToList();

    public static GpuSpec Load(string nameOrPath)
    {
        if (File.Exists(nameOrPath)) return Parse(YamlLimits.ReadFile(nameOrPath, nameOrPath), nameOrPath);
        var text = PresetText(nameOrPath)
            ?? throw new UserInputException($"--gpu: '{nameOrPath}' is neither a file nor a GPU preset; expected one of {string.Join(", ", PresetNames)} or a path to a YAML file" + NameSuggestion.DidYouMean(nameOrPath, PresetNames));
        return Parse(text, $"hw-configs/gpus/{nameOrPath}.yaml");
    }

    /// <summary>The YAML text (with its comments) of a built-in GPU preset, or null.</summary>
    public static string? PresetText(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream($"gpus/{name}.yaml");
        if (s is null) return null;
        using var reader = new StreamReader(s);
        return reader.ReadToEnd();
    }

    public static GpuSpec Parse(string yaml, string source)
    {
        YamlStream stream;
        try { stream = YamlLimits.Load(yaml); }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new UserInputException($"{source}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new UserInputException($"{source}: expected a mapping of GPU parameters ({string.Join(", ", Keys)})");
        var problems = new List<string>();
        var values = new Dictionary<string, (string Value, int Line)>(StringComparer.Ordinal);
        foreach (var (k, v) in root.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? "";
            if (!Keys.Contains(key))
            {
                var near = Keys.OrderBy(x => Levenshtein(x, key)).First();
                problems.Add($"{source}:{k.Start.Line}: unknown key '{key}'; did you mean '{near}'?");
                continue;
            }
            values[key] = ((v as YamlScalarNode)?.Value ?? "", (int)k.Start.Line);
        }
        foreach (var key in Keys.Where(k => !values.ContainsKey(k)))
            problems.Add($"{source}: missing key '{key}'");

        string Str(string key) => values.TryGetValue(key, out var v) ? v.Value : "";
        double Num(string key, double min, double max)
        {
            if (!values.TryGetValue(key, out var v)) return double.NaN;
            if (!double.TryParse(v.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                problems.Add($"{source}:{v.Line}: {key}: found '{v.Value}', expected a number");
            else if (d < min || d > max)
                problems.Add($"{source}:{v.Line}: {key}: found {v.Value}, expected a value in [{min}, {max}]");
            return d;
        }
        GpuExecutionMode Mode()
        {
            var v = values.TryGetValue("execution_mode", out var m) ? m : (Value: "graphs", Line: 0);
            switch (v.Value)
            {
                case "eager": return GpuExecutionMode.Eager;
                case "graphs": return GpuExecutionMode.Graphs;
                default:
                    problems.Add($"{source}:{v.Line}: execution_mode: found '{v.Value}', expected 'eager' or 'graphs'");
                    return GpuExecutionMode.Graphs;
            }
        }
        var spec = new GpuSpec
        {
            Name = Str("name"),
            DisplayName = Str("display_name"),
            PeakTflops = Num("peak_tflops", 1e-3, 1e6),
            PeakInt8Tops = Num("peak_int8_tops", 1e-3, 1e6),
            MemoryBandwidthGBs = Num("memory_bandwidth_gb_s", 1e-3, 1e6),
            MemoryGb = Num("memory_gb", 1e-3, 1e6),
            TdpW = Num("tdp_w", 1e-3, 1e5),
            IdleW = Num("idle_w", 0, 1e5),
            EnergyPjPerByte = Num("energy_pj_per_byte", 0, 1e6),
            EnergyPjPerFlop = Num("energy_pj_per_flop", 0, 1e6),
            ComputeEfficiency = Num("compute_efficiency", 1e-3, 1),
            ComputeHalfRows = Num("compute_half_rows", 0, 1e9),
            BandwidthEfficiency = Num("bandwidth_efficiency", 1e-3, 1),
            ExecutionMode = Mode(),
            Eager = new GpuModeSpec(Num("eager_kernel_overhead_us", 0, 1e6), Num("eager_kernels_per_operator", 1e-3, 1e3)),
            Graphs = new GpuModeSpec(Num("graphs_kernel_overhead_us", 0, 1e6), Num("graphs_kernels_per_operator", 1e-3, 1e3)),
            WeightBytes = (int)Num("weight_bytes", 0.125, 8),
            ActivationBytes = (int)Num("activation_bytes", 0.125, 8),
            Calibration = Str("calibration"),
        };
        if (values.ContainsKey("idle_w") && values.ContainsKey("tdp_w") && spec.IdleW > spec.TdpW)
            problems.Add($"{source}:{values["idle_w"].Line}: idle_w {spec.IdleW} exceeds tdp_w {spec.TdpW}");
        if (problems.Count > 0) throw new UserInputException($"{source}: {problems.Count} problem(s) in the GPU preset", problems);
        return spec;
    }

    private static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
