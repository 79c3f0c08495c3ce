using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Workloads.Weights;

/// <summary>
/// The LoRA hyper-parameters of a PEFT `adapter_config.json` that CimSim uses. Scale of a module is
/// alpha / r (or alpha / sqrt(r) with rsLoRA), per PEFT's LoraLayer.update_layer.
/// </summary>
public sealed record LoraAdapterConfig
{
    public int Rank { get; init; } = 8;

    public double Alpha { get; init; } = 8;

    /// <summary>Module names as PEFT matches them: suffixes like "q_proj" (or one regex string).</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = [];

    /// <summary>True when target_modules was one string: PEFT then full-matches it as a regular expression ("all-linear" aside).</summary>
    public bool TargetModulesIsPattern { get; init; }

    /// <summary>
    /// Whether PEFT would put a LoRA on <paramref name="module"/> (e.g. "model.layers.0.self_attn.q_proj"): a list entry
    /// matches the name or its dotted suffix; a string is "all-linear" (every linear layer but the output layer) or a
    /// regular expression matched against the whole name; no target_modules applies to every module present.
    /// </summary>
    public bool Targets(string module)
    {
        if (TargetModules.Count == 0) return true;
        if (!TargetModulesIsPattern)
            return TargetModules.Any(t => module == t || module.EndsWith("." + t, StringComparison.Ordinal));
        var pattern = TargetModules[0];
        if (pattern == "all-linear") return !module.EndsWith("lm_head", StringComparison.Ordinal);
        try
        {
            return Regex.IsMatch(module, "^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    public bool UseRslora { get; init; }

    public double Dropout { get; init; }

    /// <summary>Per-module rank overrides, keyed by a PEFT pattern (e.g. "model.layers.0.self_attn.q_proj").</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>Per-module alpha overrides, keyed like <see cref="RankPattern"/>.</summary>
    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    public string? BaseModelNameOrPath { get; init; }

    public string TaskType { get; init; } = "CAUSAL_LM";

    /// <summary>The rank PEFT would give this module (rank_pattern first, then r).</summary>
    public int RankFor(string module) => MatchPattern(RankPattern, module, out var r) ? r : Rank;

    /// <summary>The alpha PEFT would give this module (alpha_pattern first, then lora_alpha).</summary>
    public double AlphaFor(string module) => MatchPattern(AlphaPattern, module, out var a) ? a : Alpha;

    /// <summary>LoRA output scale of a module: alpha / r, or alpha / sqrt(r) with rsLoRA.</summary>
    public double ScaleFor(string module, int rank)
        => UseRslora ? AlphaFor(module) / Math.Sqrt(rank) : AlphaFor(module) / rank;

    /// <summary>PEFT's get_pattern_key: a key matches a module whose name ends in ".key" (or equals it; keys are regexes).</summary>
    private static bool MatchPattern<T>(IReadOnlyDictionary<string, T> patterns, string module, out T value)
    {
        foreach (var (k, v) in patterns)
        {
            if (module == k || Regex.IsMatch(module, "(^|.*\\.)" + k + "$"))
            {
                value = v;
                return true;
            }
        }
        value = default!;
        return false;
    }
}

/// <summary>
/// One LoRA branch: y += Scale * B (A x), with A [Rank, In] and B [Out, Rank] row-major as PEFT stores
/// them (`lora_A.weight`, `lora_B.weight`). <see cref="Module"/> is the Hugging Face module path,
/// e.g. "model.layers.3.self_attn.q_proj".
/// </summary>
public sealed record LoraModuleWeights(string Module, int Rank, int InFeatures, int OutFeatures, float[] A, float[] B, double Scale)
{
    public void Validate()
    {
        if (A.Length != (long)Rank * InFeatures) throw new ArgumentException($"{Module}: A holds {A.Length} floats, expected {Rank}x{InFeatures}");
        if (B.Length != (long)OutFeatures * Rank) throw new ArgumentException($"{Module}: B holds {B.Length} floats, expected {OutFeatures}x{Rank}");
    }
}

/// <summary>
/// A PEFT LoRA adapter directory: `adapter_config.json` plus `adapter_model.safetensors` with PEFT's tensor
/// names (`base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`). Loads what `PeftModel.save_pretrained`
/// writes and saves what `PeftModel.from_pretrained` reads.
/// </summary>
public sealed class PeftAdapter
{
    public const string ConfigFileName = "adapter_config.json";
    public const string WeightsFileName = "adapter_model.safetensors";
    private const string Prefix = "base_model.model.";

    private static readonly Regex TensorNameRegex = new(@"^base_model\.model\.(?<module>.+)\.lora_(?<ab>[AB])(?:\.(?<adapter>[^.]+))?\.weight$", RegexOptions.Compiled);

    public LoraAdapterConfig Config { get; }

    /// <summary>LoRA branches by Hugging Face module path, sorted.</summary>
    public IReadOnlyDictionary<string, LoraModuleWeights> Modules { get; }

    /// <summary>Where it was loaded from (null when built in memory).</summary>
    public string? SourceDirectory { get; init; }

    public PeftAdapter(LoraAdapterConfig config, IEnumerable<LoraModuleWeights> modules)
    {
        Config = config;
        var dict = new SortedDictionary<string, LoraModuleWeights>(StringComparer.Ordinal);
        foreach (var m in modules)
        {
            m.Validate();
            if (!dict.TryAdd(m.Module, m)) throw new ArgumentException($"LoRA module '{m.Module}' given twice");
        }
        Modules = dict;
    }

    /// <summary>PEFT's safetensors name of a module's A or B matrix.</summary>
    public static string TensorName(string module, char ab) => $"{Prefix}{module}.lora_{ab}.weight";

    /// <summary>Loads and validates an adapter directory; every problem is listed at once.</summary>
    public static PeftAdapter Load(string directory)
    {
        var cfgPath = Path.Combine(directory, ConfigFileName);
        var wPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(cfgPath)) throw new UserInputException($"{directory}: no {ConfigFileName} (expected a PEFT LoRA adapter directory)");
        if (!File.Exists(wPath))
            throw new UserInputException($"{directory}: no {WeightsFileName}" + (File.Exists(Path.Combine(directory, "adapter_model.bin")) ? " (adapter_model.bin found: re-save with safe_serialization=True)" : ""));
        var config = ReadConfig(cfgPath);
        var problems = new List<string>();
        var parts = new SortedDictionary<string, (TensorInfo? A, TensorInfo? B)>(StringComparer.Ordinal);
        using var file = SafetensorsFile.Open(wPath);
        foreach (var name in file.Names)
        {
            var m = TensorNameRegex.Match(name);
            if (!m.Success)
            {
                problems.Add($"tensor '{name}': not a LoRA A/B weight (expected base_model.model.<module>.lora_A.weight or lora_B.weight; modules_to_save, DoRA and LoRA biases are not supported)");
                continue;
            }
            var module = m.Groups["module"].Value;
            var info = file.Info(name);
            parts.TryGetValue(module, out var ab);
            parts[module] = m.Groups["ab"].Value == "A" ? (info, ab.B) : (ab.A, info);
        }
        var modules = new List<LoraModuleWeights>();
        foreach (var (module, (a, b)) in parts)
        {
            // target_modules was ignored (issue 14, defect 7): a tensor PEFT would not load is an error, never applied silently.
            if (!config.Targets(module))
            {
                problems.Add($"module '{module}': has LoRA tensors but {ConfigFileName} target_modules {DescribeTargets(config)} does not name it");
                continue;
            }
            if (a is null || b is null)
            {
                problems.Add($"module '{module}': has lora_{(a is null ? "B" : "A")} but no lora_{(a is null ? "A" : "B")}");
                continue;
            }
            if (a.Shape.Count != 2 || b.Shape.Count != 2 || a.Shape[0] != b.Shape[1])
            {
                problems.Add($"module '{module}': lora_A {a.ShapeText} and lora_B {b.ShapeText} do not form [r, in] and [out, r]");
                continue;
            }
            int r = (int)a.Shape[0];
            var expected = config.RankFor(module);
            if (r != expected)
            {
                problems.Add($"module '{module}': tensor '{a.Name}' has shape {a.ShapeText}, rank {r}, but {ConfigFileName} gives r = {expected}");
                continue;
            }
            modules.Add(new LoraModuleWeights(module, r, (int)a.Shape[1], (int)b.Shape[0],
                file.ReadFloat32(a.Name), file.ReadFloat32(b.Name), config.ScaleFor(module, r)));
        }
        if (parts.Count == 0) problems.Add("no LoRA tensors found");
        if (problems.Count > 0) throw new UserInputException($"{wPath}: invalid PEFT LoRA adapter ({problems.Count} problem(s))", problems);
        return new PeftAdapter(config, modules) { SourceDirectory = directory };
    }

    private static string DescribeTargets(LoraAdapterConfig c) =>
        c.TargetModulesIsPattern ? $"\"{c.TargetModules[0]}\"" : "[" + string.Join(", ", c.TargetModules.Select(t => $"\"{t}\"")) + "]";

    private static LoraAdapterConfig ReadConfig(string path)
    {
        JsonNode? root;
        try
        {
            // Duplicate keys made JsonObject throw ArgumentException on first access (found by fuzz/run.sh peft-config).
            root = JsonNode.Parse(InputFile.ReadAllText(path, "a PEFT adapter_config.json"), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: not valid JSON: {ex.Message}");
        }
        if (root is not JsonObject o) throw new UserInputException($"{path}: expected a JSON object");
        var problems = new List<string>();
        string? Str(string key) => o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        bool Bool(string key) => o[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        double? Num(string key) => o[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;
        var peftType = Str("peft_type");
        if (peftType is not null && peftType != "LORA") problems.Add($"peft_type is \"{peftType}\", expected \"LORA\"");
        var r = Num("r");
        if (r is null || r <= 0 || r > 65536 || r != Math.Floor(r.Value)) problems.Add($"r is {o["r"]?.ToJsonString() ?? "missing"}, expected a positive integer up to 65536");
        var alpha = Num("lora_alpha");
        if (alpha is null || !double.IsFinite(alpha.Value) || Math.Abs(alpha.Value) > 1e6) problems.Add($"lora_alpha is {o["lora_alpha"]?.ToJsonString() ?? "missing"}, expected a finite number within +-1e6");
        if (Bool("use_dora")) problems.Add("use_dora is true: DoRA adapters are not supported");
        if (Str("bias") is { } bias && bias != "none") problems.Add($"bias is \"{bias}\": only \"none\" is supported");
        if (o["modules_to_save"] is JsonArray { Count: > 0 } mts) problems.Add($"modules_to_save is {mts.ToJsonString()}: not supported (only LoRA A/B)");
        if (Bool("fan_in_fan_out")) problems.Add("fan_in_fan_out is true: only nn.Linear layouts ([out, in]) are supported");
        var targets = o["target_modules"] switch
        {
            JsonArray arr => arr.Select(n => n is JsonValue jv && jv.TryGetValue<string>(out var t) ? t : "").ToList(),
            JsonValue v when v.TryGetValue<string>(out var s) => [s],
            _ => new List<string>(),
        };
        if (targets.Any(t => t.Length == 0)) problems.Add($"target_modules is {o["target_modules"]!.ToJsonString()}, expected module names (strings)");
        var targetsIsPattern = o["target_modules"] is JsonValue;
        if (targetsIsPattern && targets[0] != "all-linear")
        {
            try
            {
                _ = new Regex(targets[0], RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                problems.Add($"target_modules is \"{targets[0]}\", expected a list of module names or a valid regular expression");
            }
        }
        var rankPattern = new Dictionary<string, int>(StringComparer.Ordinal);
        if (o["rank_pattern"] is JsonObject rp)
            foreach (var (k, v) in rp)
                if (v is JsonValue rv && rv.TryGetValue<int>(out var ri) && ri > 0) rankPattern[k] = ri;
                else problems.Add($"rank_pattern.{k} is {v?.ToJsonString() ?? "null"}, expected a positive integer");
        var alphaPattern = new Dictionary<string, double>(StringComparer.Ordinal);
        if (o["alpha_pattern"] is JsonObject ap)
            foreach (var (k, v) in ap)
                if (v is JsonValue av && av.TryGetValue<double>(out var ad) && double.IsFinite(ad)) alphaPattern[k] = ad;
                else problems.Add($"alpha_pattern.{k} is {v?.ToJsonString() ?? "null"}, expected a finite number");
        if (problems.Count > 0) throw new UserInputException($"{path}: unsupported or invalid adapter config", problems);
        return new LoraAdapterConfig
        {
            Rank = (int)r!.Value,
            Alpha = alpha!.Value,
            TargetModules = targets,
            TargetModulesIsPattern = targetsIsPattern,
            UseRslora = Bool("use_rslora"),
            Dropout = Num("lora_dropout") ?? 0,
            RankPattern = rankPattern,
            AlphaPattern = alphaPattern,
            BaseModelNameOrPath = Str("base_model_name_or_path"),
            TaskType = Str("task_type") ?? "CAUSAL_LM",
        };
    }

    /// <summary>The adapter_config.json text PEFT reads (only the fields PEFT's LoraConfig knows).</summary>
    public string ConfigJson()
    {
        var c = Config;
        var targets = c.TargetModules.Count > 0
            ? c.TargetModules
            : Modules.Keys.Select(k => k[(k.LastIndexOf('.') + 1)..]).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
        var o = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(c.AlphaPattern.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["base_model_name_or_path"] = c.BaseModelNameOrPath,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["lora_alpha"] = c.Alpha,
            ["lora_dropout"] = c.Dropout,
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = c.Rank,
            ["rank_pattern"] = new JsonObject(c.RankPattern.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["revision"] = null,
            ["target_modules"] = c.TargetModulesIsPattern ? JsonValue.Create(c.TargetModules[0]) : new JsonArray(targets.Select(t => (JsonNode?)t).ToArray()),
            ["task_type"] = c.TaskType,
            ["use_dora"] = false,
            ["use_rslora"] = c.UseRslora,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Writes adapter_config.json and adapter_model.safetensors (each atomically) into <paramref name="directory"/>.</summary>
    public void Save(string directory, TensorDType dtype = TensorDType.F32)
    {
        var w = new SafetensorsWriter();
        foreach (var m in Modules.Values)
        {
            w.Add(TensorName(m.Module, 'A'), m.A, [m.Rank, m.InFeatures], dtype);
            w.Add(TensorName(m.Module, 'B'), m.B, [m.OutFeatures, m.Rank], dtype);
        }
        w.Save(Path.Combine(directory, WeightsFileName));
        AtomicFile.WriteAllText(Path.Combine(directory, ConfigFileName), ConfigJson());
    }
}
