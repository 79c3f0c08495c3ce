using System.Globalization;
using CimSim.Common.Errors;
using CimSim.Common.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CimSim.Devices.Config;

/// <summary>
/// Builds one merged YAML node tree from a config file, its `preset:` and `include:` layers and `-p` overrides,
/// remembering where every node came from (file, line, column) so that later problems can point at it.
/// Layering: the directives' layers in the order the directives are written (first is lowest), then the file's own
/// keys, then command-line overrides. Sections merge key by key; values and lists replace.
/// </summary>
internal sealed class ConfigComposer
{
    internal const string PresetKey = "preset";
    internal const string IncludeKey = "include";
    private const string ResourcePrefix = "CimSim.Presets.";
    private const string MachinePrefix = "CimSim.Machines.";

    /// <summary>Base directory of a built-in machine config: its `include:` names other built-in machine configs.</summary>
    internal const string BuiltInMachineDirectory = "(built in)";

    private readonly Dictionary<YamlNode, ConfigLocation> _locations = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> _chain = [];

    public List<ConfigProblem> Problems { get; } = [];

    public ConfigLocation LocationOf(YamlNode node) => _locations.TryGetValue(node, out var l) ? l : ConfigLocation.Default;

    /// <summary>Names of the built-in presets (embedded from hw-configs/presets/*.yaml).</summary>
    public static IReadOnlyList<string> BuiltInPresetNames { get; } = typeof(ConfigComposer).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^".yaml".Length])
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>Text of a built-in preset, or null.</summary>
    public static string? BuiltInPresetText(string name)
    {
        using var s = typeof(ConfigComposer).Assembly.GetManifestResourceStream(ResourcePrefix + name + ".yaml");
        if (s is null) return null;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>Names of the built-in whole-machine configs (embedded from hw-configs/*.yaml), usable as `--hw NAME`.</summary>
    public static IReadOnlyList<string> BuiltInMachineNames { get; } = typeof(ConfigComposer).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(MachinePrefix, StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
        .Select(n => n[MachinePrefix.Length..^".yaml".Length])
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>Text of a built-in machine config (comments included), or null.</summary>
    public static string? BuiltInMachineText(string name)
    {
        using var s = typeof(ConfigComposer).Assembly.GetManifestResourceStream(MachinePrefix + name + ".yaml");
        if (s is null) return null;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>Composes a built-in machine config; its includes resolve among the built-in machine configs.</summary>
    public YamlMappingNode ComposeBuiltInMachine(string name, string text)
        => ComposeText(text, $"hw-configs/{name}.yaml (built in)", "machine:" + name, BuiltInMachineDirectory, null);

    public YamlMappingNode ComposeFile(string fullPath, string displayName)
    {
        string text;
        try
        {
            text = YamlLimits.ReadFile(fullPath, displayName);
        }
        catch (UserInputException ex)
        {
            Problems.Add(new ConfigProblem(new ConfigLocation(displayName, 0, 0), "", ex.Message.StartsWith(displayName + ": ", StringComparison.Ordinal) ? ex.Message[(displayName.Length + 2)..] : ex.Message));
            return new YamlMappingNode();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Problems.Add(new ConfigProblem(new ConfigLocation(displayName, 0, 0), "", $"cannot read the file ({ex.Message})"));
            return new YamlMappingNode();
        }
        var dir = Path.GetDirectoryName(fullPath) ?? ".";
        return ComposeText(text, displayName, fullPath, dir, Path.Combine(dir, "presets"));
    }

    /// <summary>Parses and composes one document. <paramref name="identity"/> detects include cycles.</summary>
    public YamlMappingNode ComposeText(string text, string sourceName, string identity, string? baseDirectory, string? presetDirectory)
    {
        if (_chain.Contains(identity, StringComparer.Ordinal))
        {
            // Reported by the caller, which knows the directive's location; reaching here means a direct self-load.
            return new YamlMappingNode();
        }
        var root = Parse(text, sourceName);
        if (root is null) return new YamlMappingNode();
        _chain.Add(identity);
        try
        {
            var layers = new List<YamlMappingNode>();
            var own = new List<KeyValuePair<YamlNode, YamlNode>>();
            foreach (var pair in root.Children)
            {
                var key = (pair.Key as YamlScalarNode)?.Value;
                if (key == PresetKey)
                {
                    foreach (var (name, node) in DirectiveValues(pair.Value, "preset", sourceName))
                        layers.Add(LoadPreset(name, node, presetDirectory));
                }
                else if (key == IncludeKey)
                {
                    foreach (var (file, node) in DirectiveValues(pair.Value, "include", sourceName))
                        layers.Add(LoadInclude(file, node, baseDirectory, sourceName));
                }
                else
                {
                    own.Add(pair);
                }
            }
            var ownNode = new YamlMappingNode(own);
            _locations[ownNode] = LocationOf(root);
            NormalizeResistances(ownNode);
            var result = new YamlMappingNode();
            _locations[result] = LocationOf(root);
            foreach (var layer in layers) result = Merge(result, layer);
            return Merge(result, ownNode);
        }
        finally
        {
            _chain.RemoveAt(_chain.Count - 1);
        }
    }

    /// <summary>Applies `path.to.key=value` overrides on top of a composed tree.</summary>
    public YamlMappingNode ApplyOverrides(YamlMappingNode root, IReadOnlyList<string>? overrides)
    {
        if (overrides is null) return root;
        foreach (var text in overrides)
        {
            var source = new ConfigLocation($"override -p '{text}'", 0, 0);
            var eq = text.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                Problems.Add(new ConfigProblem(source, "", "found no 'path.to.key=value'; expected e.g. rram.adc.bits=6"));
                continue;
            }
            var path = text[..eq].Trim();
            var valueText = text[(eq + 1)..];
            var segments = path.Split('.');
            if (segments.Any(s => s.Length == 0))
            {
                Problems.Add(new ConfigProblem(source, path, "found an empty path segment; expected dotted keys such as rram.adc.bits"));
                continue;
            }
            if (segments[0] is PresetKey or IncludeKey)
            {
                Problems.Add(new ConfigProblem(source, path, "preset/include cannot be overridden; put them in the config file"));
                continue;
            }
            YamlNode value;
            try
            {
                var ys = YamlLimits.Load(valueText);
                value = ys.Documents.Count == 0 ? new YamlScalarNode("") : ys.Documents[0].RootNode;
            }
            catch (Exception ex) when (ex is YamlException or InvalidOperationException)
            {
                Problems.Add(new ConfigProblem(source, path, $"found {NameSuggestion.Excerpt(valueText)}, which is not a YAML value ({ex.Message})"));
                continue;
            }
            RegisterAll(value, source);
            YamlNode node = value;
            for (var i = segments.Length - 1; i >= 0; i--)
            {
                var key = new YamlScalarNode(segments[i]);
                _locations[key] = source;
                var map = new YamlMappingNode(new[] { new KeyValuePair<YamlNode, YamlNode>(key, node) });
                _locations[map] = source;
                node = map;
            }
            var overrideRoot = (YamlMappingNode)node;
            NormalizeResistances(overrideRoot);
            root = Merge(root, overrideRoot);
        }
        return root;
    }

    /// <summary>Registers every node of a tree built in code (a dump of a loaded spec) under one source.</summary>
    public void RegisterAll(YamlNode node, ConfigLocation location)
    {
        _locations[node] = location;
        switch (node)
        {
            case YamlMappingNode m:
                foreach (var p in m.Children) { RegisterAll(p.Key, location); RegisterAll(p.Value, location); }
                break;
            case YamlSequenceNode s:
                foreach (var c in s.Children) RegisterAll(c, location);
                break;
        }
    }

    private YamlMappingNode? Parse(string text, string sourceName)
    {
        YamlStream ys;
        try
        {
            ys = YamlLimits.Load(text);
        }
        catch (YamlException ex)
        {
            var msg = ex.InnerException is not null && ex.Message.StartsWith("(Line", StringComparison.Ordinal) ? ex.InnerException.Message : ex.Message;
            Problems.Add(new ConfigProblem(new ConfigLocation(sourceName, (int)ex.Start.Line, (int)ex.Start.Column), "", "YAML syntax: " + msg));
            return null;
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet occasionally fails on malformed flow collections without a position.
            var (line, column) = LastParsedPosition(text);
            Problems.Add(new ConfigProblem(new ConfigLocation(sourceName, line, column), "", $"YAML syntax: the file could not be parsed after this point ({ex.Message}); check brackets and indentation"));
            return null;
        }
        if (ys.Documents.Count == 0) return new YamlMappingNode();
        if (ys.Documents.Count > 1)
            Problems.Add(new ConfigProblem(new ConfigLocation(sourceName, (int)ys.Documents[1].RootNode.Start.Line, 1), "", "found a second YAML document; expected one per file"));
        var root = ys.Documents[0].RootNode;
        Register(root, sourceName);
        if (root is YamlMappingNode m) return m;
        if (root is YamlScalarNode { Value: null or "" or "~" or "null" }) return new YamlMappingNode();
        Problems.Add(new ConfigProblem(LocationOf(root), "", $"found {Describe(root)} at the top level; expected a mapping of sections (name:, rram:, ...)"));
        return null;
    }

    /// <summary>Where the low-level parser last stood before failing (for errors YamlDotNet reports without a mark).</summary>
    private static (int Line, int Column) LastParsedPosition(string text)
    {
        var parser = new Parser(new StringReader(text));
        (int, int) last = (0, 0);
        try
        {
            while (parser.MoveNext())
                if (parser.Current is { } e) last = ((int)e.End.Line, (int)e.End.Column);
        }
        catch (Exception ex) when (ex is YamlException or InvalidOperationException)
        {
            if (ex is YamlException ye) last = ((int)ye.Start.Line, (int)ye.Start.Column);
        }
        return last;
    }

    private void Register(YamlNode node, string source)
    {
        _locations[node] = new ConfigLocation(source, (int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlMappingNode m:
                foreach (var p in m.Children) { Register(p.Key, source); Register(p.Value, source); }
                break;
            case YamlSequenceNode s:
                foreach (var c in s.Children) Register(c, source);
                break;
        }
    }

    private IEnumerable<(string Value, YamlNode Node)> DirectiveValues(YamlNode value, string directive, string sourceName)
    {
        _ = sourceName;
        var items = value is YamlSequenceNode seq ? seq.Children.ToList() : [value];
        foreach (var item in items)
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } v }) yield return (v, item);
            else Problems.Add(new ConfigProblem(LocationOf(item), directive, $"found {Describe(item)}; expected a {(directive == PresetKey ? "preset name" : "file path")} or a list of them"));
        }
    }

    private YamlMappingNode LoadPreset(string name, YamlNode at, string? presetDirectory)
    {
        var identity = "preset:" + name;
        if (CheckCycle(identity, at, PresetKey)) return new YamlMappingNode();
        if (presetDirectory is not null && name.IndexOfAny(['/', '\\']) < 0)
        {
            var local = Path.Combine(presetDirectory, name + ".yaml");
            if (File.Exists(local))
            {
                string text;
                try
                {
                    text = YamlLimits.ReadFile(local, DisplayPath(local));
                }
                catch (UserInputException ex)
                {
                    Problems.Add(new ConfigProblem(LocationOf(at), PresetKey, ex.Message));
                    return new YamlMappingNode();
                }
                return ComposeText(text, DisplayPath(local), identity, Path.GetDirectoryName(local), Path.GetDirectoryName(local));
            }
        }
        var builtIn = BuiltInPresetText(name);
        if (builtIn is not null) return ComposeText(builtIn, $"preset {name}", identity, null, null);
        var known = BuiltInPresetNames.Concat(presetDirectory is not null && Directory.Exists(presetDirectory)
            ? Directory.GetFiles(presetDirectory, "*.yaml").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            : []).Distinct().Order(StringComparer.Ordinal).ToList();
        var near = NameSuggestion.Nearest(name, known);
        Problems.Add(new ConfigProblem(LocationOf(at), PresetKey,
            $"found unknown preset '{name}'; expected one of {string.Join(", ", known)}" + (near is not null ? $" (did you mean '{near}'?)" : "")));
        return new YamlMappingNode();
    }

    private YamlMappingNode LoadInclude(string file, YamlNode at, string? baseDirectory, string sourceName)
    {
        if (baseDirectory is null)
        {
            Problems.Add(new ConfigProblem(LocationOf(at), IncludeKey, $"found include '{file}' in {sourceName}; built-in presets may only use preset:"));
            return new YamlMappingNode();
        }
        if (baseDirectory == BuiltInMachineDirectory)
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var text = BuiltInMachineText(name);
            if (text is null)
            {
                Problems.Add(new ConfigProblem(LocationOf(at), IncludeKey, $"found include '{file}' in {sourceName}; expected one of the built-in configs {string.Join(", ", BuiltInMachineNames)}"));
                return new YamlMappingNode();
            }
            return CheckCycle("machine:" + name, at, IncludeKey) ? new YamlMappingNode() : ComposeBuiltInMachine(name, text);
        }
        var full = Path.GetFullPath(Path.Combine(baseDirectory, file));
        if (CheckCycle(full, at, IncludeKey)) return new YamlMappingNode();
        if (Directory.Exists(full))
        {
            Problems.Add(new ConfigProblem(LocationOf(at), IncludeKey, $"found include '{file}', but {DisplayPath(full)} is a directory; expected a YAML file"));
            return new YamlMappingNode();
        }
        if (!File.Exists(full))
        {
            Problems.Add(new ConfigProblem(LocationOf(at), IncludeKey, $"found include '{file}', but {DisplayPath(full)} does not exist; expected a path relative to the including file"));
            return new YamlMappingNode();
        }
        return ComposeFile(full, DisplayPath(full));
    }

    private bool CheckCycle(string identity, YamlNode at, string directive)
    {
        var i = _chain.IndexOf(identity);
        if (i < 0) return false;
        var cycle = _chain.Skip(i).Append(identity).Select(c => c.StartsWith("preset:", StringComparison.Ordinal) ? c : DisplayPath(c));
        Problems.Add(new ConfigProblem(LocationOf(at), directive, "found an include cycle: " + string.Join(" -> ", cycle) + "; expected each file/preset at most once on a chain"));
        return true;
    }

    /// <summary>A path shown relative to the working directory when it lies below it.</summary>
    internal static string DisplayPath(string full)
    {
        var rel = Path.GetRelativePath(Directory.GetCurrentDirectory(), full);
        return rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel) ? full : rel;
    }

    /// <summary>Deep merge: sections merge key by key, anything else in <paramref name="over"/> replaces.</summary>
    private YamlMappingNode Merge(YamlMappingNode under, YamlMappingNode over)
    {
        var pairs = new List<KeyValuePair<YamlNode, YamlNode>>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in under.Children)
        {
            index[KeyText(p.Key)] = pairs.Count;
            pairs.Add(p);
        }
        foreach (var p in over.Children)
        {
            var k = KeyText(p.Key);
            if (index.TryGetValue(k, out var i))
            {
                var old = pairs[i].Value;
                pairs[i] = old is YamlMappingNode om && p.Value is YamlMappingNode nm
                    ? new KeyValuePair<YamlNode, YamlNode>(p.Key, Merge(om, nm))
                    : p;
            }
            else
            {
                index[k] = pairs.Count;
                pairs.Add(p);
            }
        }
        var result = new YamlMappingNode(pairs);
        _locations[result] = LocationOf(over.Children.Count > 0 ? over : under);
        return result;
    }

    internal static string KeyText(YamlNode key) => key is YamlScalarNode s ? s.Value ?? "" : key.ToString();

    /// <summary>rram.device: r_on_ohm / r_off_ohm are accepted as G_max = 1/R_on, G_min = 1/R_off (microsiemens).</summary>
    private void NormalizeResistances(YamlMappingNode root)
    {
        if (Child(root, "rram") is not YamlMappingNode rram || Child(rram, "device") is not YamlMappingNode device) return;
        var pairs = device.Children.ToList();
        var changed = false;
        foreach (var (rKey, gKey) in new[] { ("r_on_ohm", "g_max_us"), ("r_off_ohm", "g_min_us") })
        {
            var i = pairs.FindIndex(p => KeyText(p.Key) == rKey);
            if (i < 0) continue;
            var path = "rram.device." + rKey;
            if (pairs.Any(p => KeyText(p.Key) == gKey))
            {
                Problems.Add(new ConfigProblem(LocationOf(pairs[i].Key), path, $"found both {rKey} and {gKey}; expected one of them (G = 1/R)"));
                pairs.RemoveAt(i);
                changed = true;
                continue;
            }
            var v = pairs[i].Value as YamlScalarNode;
            if (v?.Value is null || !double.TryParse(v.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ohm) || !(ohm > 0) || double.IsInfinity(ohm))
            {
                Problems.Add(new ConfigProblem(LocationOf(pairs[i].Value), path, $"found {Describe(pairs[i].Value)}; expected a resistance in ohms > 0"));
                pairs.RemoveAt(i);
                changed = true;
                continue;
            }
            var newKey = new YamlScalarNode(gKey);
            var newValue = new YamlScalarNode((1e6 / ohm).ToString("R", CultureInfo.InvariantCulture));
            _locations[newKey] = LocationOf(pairs[i].Key);
            _locations[newValue] = LocationOf(pairs[i].Value);
            pairs[i] = new KeyValuePair<YamlNode, YamlNode>(newKey, newValue);
            changed = true;
        }
        if (!changed) return;
        device.Children.Clear();
        foreach (var p in pairs) device.Children.Add(p.Key, p.Value);
    }

    private static YamlNode? Child(YamlMappingNode m, string key) =>
        m.Children.FirstOrDefault(p => KeyText(p.Key) == key).Value;

    /// <summary>What a node is, for "found ..." messages.</summary>
    internal static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode { Value: null or "" } => "nothing",
        YamlScalarNode s => NameSuggestion.Excerpt(s.Value),
        YamlSequenceNode => "a list",
        YamlMappingNode => "a section (key: value mapping)",
        _ => node.NodeType.ToString(),
    };
}
