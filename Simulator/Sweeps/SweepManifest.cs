using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Simulator.Sweeps;

/// <summary>
/// DIR/sweep.json: what the sweep in a directory is (its identity — hardware file hash, model, workload,
/// options — and its full point list). A rerun into the same directory must describe the same sweep, or it is
/// refused; shards and merges check it too. The shard is not part of it: every shard of a sweep has the same manifest.
/// </summary>
public sealed record SweepManifest(IReadOnlyList<KeyValuePair<string, string>> Identity, string Mode, IReadOnlyList<string> ParameterPaths, IReadOnlyList<SweepPoint> Points)
{
    public const string FileName = "sweep.json";
    private const int Format = 1;

    public static SweepManifest Create(SweepDefinition definition, IReadOnlyList<KeyValuePair<string, string>> identity) =>
        new(identity, definition.Mode.ToString().ToLowerInvariant(), definition.Axes.Select(a => a.Path).ToList(), definition.EnumeratePoints());

    /// <summary>SHA-256 of the identity and every point: equal fingerprints mean the same sweep.</summary>
    public string Fingerprint
    {
        get
        {
            var sb = new StringBuilder();
            foreach (var (k, v) in Identity) sb.Append(k).Append('\u001f').Append(v).Append('\u001e');
            sb.Append(Mode).Append('\u001e');
            foreach (var p in Points) sb.Append(p.Id).Append('\u001f').Append(string.Join("\u001f", p.Overrides)).Append('\u001e');
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
        }
    }

    public string ToJson()
    {
        var o = new JsonObject
        {
            ["format"] = Format,
            ["fingerprint"] = Fingerprint,
            ["identity"] = new JsonObject(Identity.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            ["mode"] = Mode,
            ["parameters"] = new JsonArray(ParameterPaths.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
            ["point_count"] = Points.Count,
            ["points"] = new JsonArray(Points.Select(p => (JsonNode?)new JsonObject
            {
                ["point"] = p.Id,
                ["parameters"] = new JsonObject(p.Parameters.Select(q => KeyValuePair.Create(q.Path, (JsonNode?)JsonValue.Create(q.Value)))),
            }).ToArray()),
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    public static SweepManifest Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new UserInputException($"'{directory}' is not a sweep output directory (no {FileName})");
        try
        {
            var o = JsonNode.Parse(InputFile.ReadAllText(path, "a sweep manifest (sweep.json)"))!.AsObject();
            if (o["format"]?.GetValue<int>() != Format) throw new UserInputException($"{path}: unsupported format {o["format"]}; expected {Format}");
            var identity = o["identity"]!.AsObject().Select(kv => KeyValuePair.Create(kv.Key, kv.Value!.GetValue<string>())).ToList();
            var paths = o["parameters"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            var arr = o["points"]!.AsArray();
            var points = arr.Select((n, i) => new SweepPoint(i, n!["point"]!.GetValue<string>(),
                n["parameters"]!.AsObject().Select(kv => new SweepParameter(kv.Key, kv.Value!.GetValue<string>())).ToList())).ToList();
            var m = new SweepManifest(identity, o["mode"]!.GetValue<string>(), paths, points);
            if (o["fingerprint"]?.GetValue<string>() != m.Fingerprint) throw new UserInputException($"{path}: the fingerprint does not match the contents (edited by hand?)");
            return m;
        }
        catch (Exception ex) when (ex is JsonException or NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new UserInputException($"{path}: unreadable sweep manifest: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the manifest, or checks that the one already there describes the same sweep.</summary>
    public void WriteOrCheck(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            AtomicFile.WriteAllText(path, ToJson());
            return;
        }
        var existing = Read(directory);
        var differences = Differences(existing, this);
        if (differences.Count > 0)
            throw new UserInputException($"'{directory}' already holds a different sweep; rerun with the same inputs to resume it, or choose another --out", differences);
    }

    /// <summary>What differs between two manifests, one line each (empty when they describe the same sweep).</summary>
    public static IReadOnlyList<string> Differences(SweepManifest was, SweepManifest now)
    {
        var d = new List<string>();
        var keys = was.Identity.Select(kv => kv.Key).Union(now.Identity.Select(kv => kv.Key)).ToList();
        foreach (var k in keys)
        {
            var a = was.Identity.FirstOrDefault(kv => kv.Key == k).Value;
            var b = now.Identity.FirstOrDefault(kv => kv.Key == k).Value;
            if (a != b) d.Add($"{k}: was '{a ?? "(none)"}', now '{b ?? "(none)"}'");
        }
        if (was.Mode != now.Mode) d.Add($"mode: was {was.Mode}, now {now.Mode}");
        if (!was.ParameterPaths.SequenceEqual(now.ParameterPaths))
            d.Add($"parameters: was [{string.Join(", ", was.ParameterPaths)}], now [{string.Join(", ", now.ParameterPaths)}]");
        else if (was.Points.Count != now.Points.Count) d.Add($"points: was {was.Points.Count}, now {now.Points.Count}");
        else if (d.Count == 0 && was.Fingerprint != now.Fingerprint) d.Add("point values differ (the grid's values or the random seed changed)");
        return d;
    }
}
