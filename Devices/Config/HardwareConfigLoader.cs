using CimSim.Common.Errors;
using YamlDotNet.RepresentationModel;

namespace CimSim.Devices.Config;

/// <summary>
/// The one hardware-config loader: YAML text -> node tree (with file:line:column of every node) -> presets, includes
/// and overrides merged -> bound onto the immutable spec records -> validated. Every problem is collected and thrown
/// together as one <see cref="UserInputException"/> (file, YAML path, line:column, found, expected).
/// </summary>
public static class HardwareConfigLoader
{
    /// <summary>Problems listed in one error; the rest are counted.</summary>
    public const int MaxProblemsShown = 20;

    /// <summary>
    /// Loads a hw-config file, or a built-in config by name (`default`, or `hw-configs/default.yaml` where no such file
    /// exists: the tool works outside the source tree), then applies `path.to.key=value` overrides (the CLI's `-p`).
    /// </summary>
    public static HardwareSpec Load(string path, IReadOnlyList<string>? overrides = null)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new UserInputException($"{path}: is a directory; expected a hardware config YAML file such as hw-configs/default.yaml");
        var composer = new ConfigComposer();
        YamlMappingNode root;
        if (File.Exists(full)) root = composer.ComposeFile(full, ConfigComposer.DisplayPath(full));
        else if (BuiltInName(path) is { } name) root = composer.ComposeBuiltInMachine(name, ConfigComposer.BuiltInMachineText(name)!);
        else
            throw new UserInputException($"{path}: hardware config not found; expected a YAML file or a built-in config ({string.Join(", ", MachineNames)}; `cimsim presets` lists them)");
        return Finish(composer, root, overrides, path);
    }

    /// <summary>True when <paramref name="path"/> is an existing file or names a built-in config.</summary>
    public static bool Exists(string path) => File.Exists(path) || BuiltInName(path) is not null;

    /// <summary>Names of the built-in whole-machine configs (hw-configs/*.yaml embedded in the tool).</summary>
    public static IReadOnlyList<string> MachineNames => ConfigComposer.BuiltInMachineNames;

    /// <summary>The YAML text (with its comments) of a built-in machine config, or null.</summary>
    public static string? MachineText(string name) => ConfigComposer.BuiltInMachineText(name);

    /// <summary>"default", "default.yaml" or "hw-configs/default.yaml" -> "default" when built in, else null.</summary>
    private static string? BuiltInName(string path)
    {
        var p = path.Replace('\\', '/');
        if (p.StartsWith("hw-configs/", StringComparison.Ordinal)) p = p["hw-configs/".Length..];
        if (p.EndsWith(".yaml", StringComparison.Ordinal)) p = p[..^".yaml".Length];
        return p.Length > 0 && !p.Contains('/', StringComparison.Ordinal) && ConfigComposer.BuiltInMachineNames.Contains(p) ? p : null;
    }

    /// <summary>
    /// Loads YAML text. <paramref name="sourceName"/> names it in messages; `include:` paths resolve against
    /// <paramref name="baseDirectory"/> (default: the working directory), `preset:` looks in baseDirectory/presets first.
    /// </summary>
    public static HardwareSpec LoadText(string yaml, string sourceName, IReadOnlyList<string>? overrides = null, string? baseDirectory = null)
    {
        var dir = Path.GetFullPath(baseDirectory ?? Directory.GetCurrentDirectory());
        var composer = new ConfigComposer();
        var root = composer.ComposeText(yaml, sourceName, "text:" + sourceName, dir, Path.Combine(dir, "presets"));
        return Finish(composer, root, overrides, sourceName);
    }

    /// <summary>Applies `path.to.key=value` overrides to an already-loaded spec, with the same checks as loading.</summary>
    public static HardwareSpec ApplyOverrides(HardwareSpec spec, IReadOnlyList<string> overrides)
    {
        var composer = new ConfigComposer();
        var root = HardwareSpecWriter.ToYamlNode(spec);
        composer.RegisterAll(root, new ConfigLocation($"(loaded config '{spec.Name}')", 0, 0));
        return Finish(composer, root, overrides, $"config '{spec.Name}'");
    }

    /// <summary>Applies one override, e.g. With(spec, "rram.adc.bits", "6"): the form sweeps use.</summary>
    public static HardwareSpec With(HardwareSpec spec, string path, string value) => ApplyOverrides(spec, [path + "=" + value]);

    /// <summary>Names of the built-in presets usable with `preset:`.</summary>
    public static IReadOnlyList<string> PresetNames => ConfigComposer.BuiltInPresetNames;

    /// <summary>The YAML text of a built-in preset, or null when there is none of that name.</summary>
    public static string? PresetText(string name) => ConfigComposer.BuiltInPresetText(name);

    private static HardwareSpec Finish(ConfigComposer composer, YamlMappingNode root, IReadOnlyList<string>? overrides, string what)
    {
        root = composer.ApplyOverrides(root, overrides);
        var binder = new ConfigBinder(composer);
        var spec = binder.Bind(root);
        var locations = binder.ValueLocations;
        composer.Problems.AddRange(HardwareSpecValidator.Validate(spec, p => Locate(locations, p)));
        if (composer.Problems.Count == 0) return spec;
        // Files in order of first appearance, then by line and column; overrides and defaults after the files.
        var fileOrder = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in composer.Problems) fileOrder.TryAdd(p.Location.Source, fileOrder.Count);
        var problems = composer.Problems
            .OrderBy(p => p.Location.Line > 0 ? 0 : 1)
            .ThenBy(p => fileOrder[p.Location.Source])
            .ThenBy(p => p.Location.Line).ThenBy(p => p.Location.Column)
            .Select(p => p.ToString()).Distinct().ToList();
        var count = problems.Count;
        // A file that is not a config at all (a password file given to include:) must not be echoed line by line.
        if (count > MaxProblemsShown) problems = [.. problems.Take(MaxProblemsShown), $"... and {count - MaxProblemsShown} more problems"];
        throw new UserInputException($"{what}: {count} problem{(count == 1 ? "" : "s")} in the hardware config", problems);
    }

    private static ConfigLocation Locate(Dictionary<string, ConfigLocation> locations, string path)
    {
        // A cross-field problem on a section (e.g. rram.adc.sar_neurosim) points at the section, or its nearest written parent.
        for (var p = path; p.Length > 0; p = p.Contains('.', StringComparison.Ordinal) ? p[..p.LastIndexOf('.')] : "")
            if (locations.TryGetValue(p, out var l)) return l;
        return ConfigLocation.Default;
    }
}
