using System.Globalization;
using CimSim.Common.Errors;
using CimSim.Common.Random;
using CimSim.Devices.Config;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CimSim.Simulator.Sweeps;

/// <summary>How the points of a sweep are formed from the parameter lists.</summary>
public enum SweepMode
{
    /// <summary>Cartesian product; the first parameter varies slowest (nested loops in file order).</summary>
    Grid,

    /// <summary>Zipped lists: point k takes the k-th value of every parameter (all lists the same length).</summary>
    List,

    /// <summary>Seeded random sampling: each point draws every parameter independently.</summary>
    Random,
}

/// <summary>The values one parameter takes: an explicit list, or (random mode only) a numeric range.</summary>
public sealed record ParameterAxis(string Path, int Line, IReadOnlyList<string> Values, double? Min = null, double? Max = null, bool Log = false, bool Integer = false)
{
    public bool IsRange => Min.HasValue;
}

/// <summary>
/// A parsed grid file (see docs/sweeps.md): the mode, the parameter axes in file order, and for random sampling
/// the seed and the number of samples. Parse, validate, then enumerate: every problem in the file is reported
/// at once, each with its line, before any point runs.
/// </summary>
public sealed record SweepDefinition(string SourceName, SweepMode Mode, IReadOnlyList<ParameterAxis> Axes, ulong Seed, int Samples)
{
    /// <summary>Most points one sweep may hold; a typo like `samples: 1e9` should fail fast, not fill a disk.</summary>
    public const int MaxPoints = 1_000_000;

    public static SweepDefinition Load(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"grid file '{path}' not found");
        return Parse(YamlLimits.ReadFile(path, path), path);
    }

    public static SweepDefinition Parse(string yaml, string sourceName)
    {
        var problems = new List<string>();
        YamlMappingNode root;
        try
        {
            var stream = YamlLimits.Load(yaml);
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode m)
                throw new UserInputException($"{sourceName}: expected a mapping of config paths to value lists (see docs/sweeps.md), found {(stream.Documents.Count == 0 ? "an empty file" : "a " + stream.Documents[0].RootNode.NodeType.ToString().ToLowerInvariant())}");
            root = m;
        }
        catch (YamlException ex)
        {
            throw new UserInputException($"{sourceName} line {ex.Start.Line}: not valid YAML: {ex.Message}", ex);
        }

        var mode = SweepMode.Grid;
        ulong seed = 1;
        var samples = 0;
        var samplesGiven = false;
        YamlMappingNode parameters = root;
        var structured = root.Children.Keys.OfType<YamlScalarNode>().Any(k => k.Value == "parameters");
        if (structured)
        {
            parameters = new YamlMappingNode();
            foreach (var (keyNode, valueNode) in root.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                var line = keyNode.Start.Line;
                switch (key)
                {
                    case "parameters":
                        if (valueNode is YamlMappingNode pm) parameters = pm;
                        else problems.Add($"{sourceName} line {line}: 'parameters' must be a mapping of config paths to value lists");
                        break;
                    case "mode":
                        var text = (valueNode as YamlScalarNode)?.Value ?? "";
                        if (!Enum.TryParse(text, ignoreCase: true, out mode) || int.TryParse(text, out _))
                        {
                            problems.Add($"{sourceName} line {valueNode.Start.Line}: mode '{text}' is unknown; expected grid, list or random");
                            mode = SweepMode.Grid;
                        }
                        break;
                    case "seed":
                        if (!ulong.TryParse((valueNode as YamlScalarNode)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
                            problems.Add($"{sourceName} line {valueNode.Start.Line}: seed must be a non-negative integer");
                        break;
                    case "samples":
                        samplesGiven = true;
                        if (!int.TryParse((valueNode as YamlScalarNode)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out samples) || samples < 1 || samples > MaxPoints)
                            problems.Add($"{sourceName} line {valueNode.Start.Line}: samples must be an integer in 1..{MaxPoints}");
                        break;
                    default:
                        problems.Add($"{sourceName} line {line}: unknown key '{key}' beside 'parameters'; expected mode, seed, samples or parameters"
                            + (CimSim.Devices.Config.ConfigSchema.Nearest(key, ["mode", "seed", "samples", "parameters"]) is { } s ? $" (did you mean '{s}'?)" : ""));
                        break;
                }
            }
        }

        var axes = new List<ParameterAxis>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in parameters.Children)
        {
            var path = ((keyNode as YamlScalarNode)?.Value ?? "").Trim();
            var line = keyNode.Start.Line;
            if (path.Length == 0) { problems.Add($"{sourceName} line {line}: empty parameter path"); continue; }
            if (!seen.Add(path)) { problems.Add($"{sourceName} line {line}: parameter '{path}' appears twice"); continue; }
            switch (valueNode)
            {
                case YamlSequenceNode seq:
                    var values = new List<string>();
                    foreach (var item in seq.Children)
                    {
                        if (item is YamlScalarNode sc && sc.Value is not null) values.Add(sc.Value);
                        else problems.Add($"{sourceName} line {item.Start.Line}: '{path}': each value must be a scalar (number, string or bool), found a {item.NodeType.ToString().ToLowerInvariant()}");
                    }
                    if (seq.Children.Count == 0) problems.Add($"{sourceName} line {line}: '{path}' has an empty value list");
                    axes.Add(new ParameterAxis(path, (int)line, values));
                    break;
                case YamlMappingNode range:
                    axes.Add(ParseRange(path, (int)line, range, sourceName, problems));
                    break;
                case YamlScalarNode single when single.Value is not null:
                    // A single value is a fixed override for every point: handy to pin a parameter in one place.
                    axes.Add(new ParameterAxis(path, (int)line, [single.Value]));
                    break;
                default:
                    problems.Add($"{sourceName} line {line}: '{path}' must be a list of values, or for random mode a range {{min, max}}");
                    break;
            }
        }
        if (axes.Count == 0 && problems.Count == 0) problems.Add($"{sourceName}: no parameters to sweep");

        if (mode != SweepMode.Random)
        {
            foreach (var a in axes.Where(a => a.IsRange))
                problems.Add($"{sourceName} line {a.Line}: '{a.Path}' is a range, which only random mode can sample; give a list of values or set mode: random");
            if (samplesGiven) problems.Add($"{sourceName}: 'samples' only applies to mode: random");
        }
        else if (!samplesGiven)
        {
            problems.Add($"{sourceName}: mode: random needs 'samples: N' (the number of points to draw)");
        }
        if (mode == SweepMode.List)
        {
            var lengths = axes.Select(a => a.Values.Count).Distinct().ToList();
            if (lengths.Count > 1)
                problems.Add($"{sourceName}: mode: list zips the value lists, so they must have the same length; found "
                    + string.Join(", ", axes.Select(a => $"'{a.Path}' {a.Values.Count}")));
        }
        if (mode == SweepMode.Grid && problems.Count == 0)
        {
            var count = axes.Aggregate(1.0, (acc, a) => acc * a.Values.Count);
            if (count > MaxPoints) problems.Add($"{sourceName}: the grid has {count:G3} points, more than the limit {MaxPoints}; use mode: random with samples");
        }

        if (problems.Count > 0) throw new UserInputException($"{sourceName}: invalid sweep grid ({problems.Count} problem{(problems.Count == 1 ? "" : "s")})", problems);
        return new SweepDefinition(sourceName, mode, axes, seed, samples);
    }

    private static ParameterAxis ParseRange(string path, int line, YamlMappingNode node, string sourceName, List<string> problems)
    {
        double? min = null, max = null;
        bool log = false, integer = false;
        foreach (var (k, v) in node.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? "";
            var text = (v as YamlScalarNode)?.Value ?? "";
            switch (key)
            {
                case "min" or "max":
                    if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                    {
                        if (key == "min") min = d; else max = d;
                    }
                    else problems.Add($"{sourceName} line {v.Start.Line}: '{path}'.{key} must be a number, found '{text}'");
                    break;
                case "log" or "integer":
                    if (!bool.TryParse(text, out var b)) problems.Add($"{sourceName} line {v.Start.Line}: '{path}'.{key} must be true or false, found '{text}'");
                    else if (key == "log") log = b; else integer = b;
                    break;
                default:
                    problems.Add($"{sourceName} line {k.Start.Line}: '{path}': unknown range key '{key}'; expected min, max, log, integer");
                    break;
            }
        }
        if (min is null || max is null) problems.Add($"{sourceName} line {line}: '{path}': a range needs both min and max");
        else if (min > max) problems.Add($"{sourceName} line {line}: '{path}': min {min} is greater than max {max}");
        else if (log && min <= 0) problems.Add($"{sourceName} line {line}: '{path}': a log range needs min > 0");
        else if (integer && Math.Ceiling(min.Value) > Math.Floor(max.Value)) problems.Add($"{sourceName} line {line}: '{path}': the integer range {min}..{max} holds no integer");
        return new ParameterAxis(path, line, [], min ?? 0, max ?? 0, log, integer);
    }

    /// <summary>Every point in enumeration order. The order fixes ids, shards and row order, so it never depends on --jobs.</summary>
    public IReadOnlyList<SweepPoint> EnumeratePoints()
    {
        var rows = new List<SweepParameter[]>();
        switch (Mode)
        {
            case SweepMode.Grid:
                rows.Add([]);
                foreach (var axis in Axes)
                    rows = rows.SelectMany(r => axis.Values.Select(v => r.Append(new SweepParameter(axis.Path, v)).ToArray())).ToList();
                break;
            case SweepMode.List:
                var n = Axes.Count == 0 ? 0 : Axes[0].Values.Count;
                for (var i = 0; i < n; i++) rows.Add(Axes.Select(a => new SweepParameter(a.Path, a.Values[i])).ToArray());
                break;
            case SweepMode.Random:
                var rng = RandomStreams.Create(Seed, "sweep/random-sampling");
                for (var i = 0; i < Samples; i++) rows.Add(Axes.Select(a => new SweepParameter(a.Path, Draw(a, rng))).ToArray());
                break;
        }
        return rows.Select((r, i) => new SweepPoint(i, SweepPoint.IdFor(i, rows.Count), r)).ToList();
    }

    private static string Draw(ParameterAxis axis, System.Random rng)
    {
        if (!axis.IsRange) return axis.Values[rng.Next(axis.Values.Count)];
        double lo = axis.Min!.Value, hi = axis.Max!.Value;
        if (axis.Integer)
        {
            long a = (long)Math.Ceiling(lo), b = (long)Math.Floor(hi);
            if (axis.Log)
            {
                var x = Math.Exp(Math.Log(lo) + rng.NextDouble() * (Math.Log(hi) - Math.Log(lo)));
                return Math.Clamp((long)Math.Round(x), a, b).ToString(CultureInfo.InvariantCulture);
            }
            return (a + (long)Math.Floor(rng.NextDouble() * (b - a + 1))).ToString(CultureInfo.InvariantCulture);
        }
        var u = rng.NextDouble();
        var value = axis.Log ? Math.Exp(Math.Log(lo) + u * (Math.Log(hi) - Math.Log(lo))) : lo + u * (hi - lo);
        // Six significant digits keep the overrides readable; the value used is exactly the one written.
        return value.ToString("G6", CultureInfo.InvariantCulture);
    }
}
