using System.Globalization;
using System.Text.Json;
using CimSim.Common.Errors;

namespace CimSim.Simulator.Sweeps;

/// <summary>One row of results.jsonl as read back for plotting.</summary>
public sealed record SweepRow(string Id, string Status, IReadOnlyList<SweepParameter> Parameters, IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<string> MetricOrder, string? Reason)
{
    public bool IsOk => Status == "ok";

    public string? Parameter(string path) => Parameters.FirstOrDefault(p => p.Path == path).Value;

    public double? Metric(string name) => Metrics.TryGetValue(name, out var v) ? v : null;
}

/// <summary>Reads a sweep directory's results.jsonl (and its manifest for the parameter order).</summary>
public static class SweepTable
{
    public static (IReadOnlyList<string> ParameterPaths, IReadOnlyList<SweepRow> Rows) Read(string directory)
    {
        var manifest = SweepManifest.Read(directory);
        var path = Path.Combine(directory, SweepOutput.JsonlFile);
        if (!File.Exists(path)) throw new UserInputException($"{path}: not found; run `cimsim sweep` (or `cimsim merge`) into '{directory}' first");
        var rows = new List<SweepRow>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var o = doc.RootElement;
                var parameters = o.GetProperty("parameters").EnumerateObject()
                    .Select(p => new SweepParameter(p.Name, p.Value.ValueKind switch
                    {
                        JsonValueKind.Number => p.Value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
                        JsonValueKind.String => p.Value.GetString()!,
                        _ => p.Value.GetRawText(),
                    })).ToList();
                var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
                var order = new List<string>();
                foreach (var p in o.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.Number || p.Name == "index") continue;
                    metrics[p.Name] = p.Value.GetDouble();
                    order.Add(p.Name);
                }
                var reason = o.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                rows.Add(new SweepRow(o.GetProperty("point").GetString()!, o.GetProperty("status").GetString()!, parameters, metrics, order, reason));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new UserInputException($"{path} line {lineNo}: not a sweep result row: {ex.Message}", ex);
            }
        }
        return (manifest.ParameterPaths, rows);
    }
}
