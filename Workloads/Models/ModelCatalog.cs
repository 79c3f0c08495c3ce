using System.Collections.Concurrent;
using CimSim.Common.Errors;
using CimSim.Common.Text;

namespace CimSim.Workloads.Models;

/// <summary>
/// Built-in model presets (the published Hugging Face config.json files, embedded as resources and read by the
/// same <see cref="ModelConfigParser"/>) and the `--model` resolver: a preset name or a directory holding config.json.
/// </summary>
public static class ModelCatalog
{
    /// <summary>Preset names, each the lower-cased Hugging Face repository name.</summary>
    public static readonly IReadOnlyList<string> PresetNames = [
        "llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen3-0.6b",
        "mistral-7b-v0.1", "mistral-7b-v0.3", "phi-3-mini-4k-instruct", "gemma-2-2b", "gemma-3-1b-pt",
    ];

    /// <summary>Hugging Face repository of each preset (where its config.json came from).</summary>
    public static readonly IReadOnlyDictionary<string, string> PresetRepositories = new Dictionary<string, string>
    {
        ["llama-3.2-1b"] = "meta-llama/Llama-3.2-1B",
        ["llama-3.2-3b"] = "meta-llama/Llama-3.2-3B",
        ["llama-3.1-8b"] = "meta-llama/Llama-3.1-8B",
        ["qwen2.5-0.5b"] = "Qwen/Qwen2.5-0.5B",
        ["qwen2.5-1.5b"] = "Qwen/Qwen2.5-1.5B",
        ["qwen3-0.6b"] = "Qwen/Qwen3-0.6B",
        ["mistral-7b-v0.1"] = "mistralai/Mistral-7B-v0.1",
        ["mistral-7b-v0.3"] = "mistralai/Mistral-7B-v0.3",
        ["phi-3-mini-4k-instruct"] = "microsoft/Phi-3-mini-4k-instruct",
        ["gemma-2-2b"] = "google/gemma-2-2b",
        ["gemma-3-1b-pt"] = "google/gemma-3-1b-pt",
    };

    /// <summary>The default model of `cimsim` commands (the paper's smallest model).</summary>
    public const string DefaultPreset = "llama-3.2-1b";

    private static readonly ConcurrentDictionary<string, ModelSpec> Cache = new(StringComparer.Ordinal);

    public static bool IsPreset(string name) => PresetNames.Contains(name.Trim().ToLowerInvariant());

    /// <summary>The preset's embedded config.json text.</summary>
    public static string PresetConfigJson(string name)
    {
        var key = name.Trim().ToLowerInvariant();
        if (!PresetNames.Contains(key))
            throw new UserInputException($"unknown model preset '{name}'; expected one of {string.Join(", ", PresetNames)}" + NameSuggestion.DidYouMean(name, PresetNames));
        using var s = typeof(ModelCatalog).Assembly.GetManifestResourceStream($"CimSim.Workloads.Models.Presets.{key}.json")
            ?? throw new InvalidOperationException($"embedded preset {key}.json is missing from the assembly");
        using var reader = new StreamReader(s);
        return reader.ReadToEnd();
    }

    /// <summary>A built-in preset by name (case-insensitive).</summary>
    public static ModelSpec Preset(string name)
    {
        var key = name.Trim().ToLowerInvariant();
        return Cache.GetOrAdd(key, k => ModelConfigParser.Parse(PresetConfigJson(k), k, $"preset {k} (config.json of {PresetRepositories[k]})"));
    }

    /// <summary>
    /// Resolves `--model`: a preset name, a directory holding config.json, or a config.json path.
    /// </summary>
    public static ModelSpec Resolve(string presetOrPath)
    {
        if (string.IsNullOrWhiteSpace(presetOrPath))
            throw new UserInputException($"--model is empty; expected a preset ({string.Join(", ", PresetNames)}) or a directory holding config.json");
        if (IsPreset(presetOrPath)) return Preset(presetOrPath);
        if (Directory.Exists(presetOrPath))
        {
            var cfg = Path.Combine(presetOrPath, "config.json");
            if (!File.Exists(cfg))
                throw new UserInputException($"{cfg}: not found; a model directory must hold a Hugging Face config.json");
            return ModelConfigParser.ParseFile(cfg);
        }
        if (File.Exists(presetOrPath)) return ModelConfigParser.ParseFile(presetOrPath);
        throw new UserInputException(
            $"model '{presetOrPath}': neither a preset ({string.Join(", ", PresetNames)}) nor an existing directory holding config.json" + NameSuggestion.DidYouMean(presetOrPath, PresetNames));
    }
}
