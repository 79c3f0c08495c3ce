using System.Globalization;
using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Workloads.Datasets;

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
        var problems = new List<string>();
        var rows = new List<SweepRow>();
        foreach (var (line, o) in JsonRecords.ReadLines(InputFile.ReadLines(path, "a sweep results.jsonl"), path, problems))
        {
            try
            {
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
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
            {
                problems.Add($"{path}:{line}: not a sweep result row: {ex.Message}");
            }
        }
        if (problems.Count > 0) throw new UserInputException($"{path}: {problems.Count} bad row(s)", problems);
        return (manifest.ParameterPaths, rows);
    }
}
