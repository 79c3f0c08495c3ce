using System.Text.Json;
using System.Text.Json.Nodes;

namespace CimSim.Simulator.Sweeps;

/// <summary>
/// The stored result of one point (DIR/points/&lt;id&gt;/result.json): what a row of results.csv is made from.
/// Holds nothing that depends on the run (no wall time, no host), so a rerun, a shard or a merge gives the same bytes.
/// </summary>
public sealed record PointResult(int Index, string Id, IReadOnlyList<SweepParameter> Parameters, PointStatus Status, string? Reason, IReadOnlyList<PointMetric> Metrics)
{
    public static string StatusText(PointStatus s) => s switch
    {
        PointStatus.Ok => "ok",
        PointStatus.Invalid => "invalid",
        _ => "error",
    };

    public static PointStatus ParseStatus(string? s) => s switch
    {
        "ok" => PointStatus.Ok,
        "invalid" => PointStatus.Invalid,
        "error" => PointStatus.Error,
        _ => throw new FormatException($"unknown point status '{s}'"),
    };

    public static PointResult From(SweepPoint point, PointOutcome outcome) =>
        new(point.Index, point.Id, point.Parameters, outcome.Status, outcome.Reason,
            outcome.Metrics.Where(m => double.IsFinite(m.Value)).ToList());

    public string ToJson()
    {
        var o = new JsonObject
        {
            ["point"] = Id,
            ["index"] = Index,
            ["status"] = StatusText(Status),
            ["parameters"] = new JsonObject(Parameters.Select(p => KeyValuePair.Create(p.Path, (JsonNode?)JsonValue.Create(p.Value)))),
            ["metrics"] = new JsonObject(Metrics.Select(m => KeyValuePair.Create(m.Name, (JsonNode?)JsonValue.Create(m.Value)))),
            ["reason"] = Reason,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    public static PointResult FromJson(string json)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        var parameters = o["parameters"]!.AsObject().Select(kv => new SweepParameter(kv.Key, kv.Value!.GetValue<string>())).ToList();
        var metrics = o["metrics"]!.AsObject().Select(kv => new PointMetric(kv.Key, kv.Value!.GetValue<double>())).ToList();
        return new PointResult(o["index"]!.GetValue<int>(), o["point"]!.GetValue<string>(), parameters,
            ParseStatus(o["status"]!.GetValue<string>()), o["reason"]?.GetValue<string>(), metrics);
    }

    /// <summary>True when this stored result belongs to <paramref name="point"/> (same id and parameter values).</summary>
    public bool Matches(SweepPoint point) =>
        Id == point.Id && Index == point.Index && Parameters.SequenceEqual(point.Parameters);
}
