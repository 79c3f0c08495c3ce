using System.Globalization;
using System.Text;
using System.Text.Json;
using CimSim.Common.IO;

namespace CimSim.Simulator.Sweeps;

/// <summary>
/// The files of a sweep directory. Each point's outcome is committed by one atomic write of
/// points/&lt;id&gt;/result.json (its report is written before it), so a point is either done or not, never half
/// done; results.csv and results.jsonl are always regenerated, in point order, from those files. Killing a
/// sweep at any moment therefore loses at most the points in flight and never leaves a partial row.
/// </summary>
public sealed class SweepOutput(string directory)
{
    public const string ResultFile = "result.json", ReportFile = "report.json", CsvFile = "results.csv", JsonlFile = "results.jsonl";

    public string Directory { get; } = directory;

    public string PointDirectory(string id) => Path.Combine(Directory, "points", id);

    /// <summary>The stored result of <paramref name="point"/>, or null when it has not completed.</summary>
    public PointResult? TryRead(SweepPoint point)
    {
        var path = Path.Combine(PointDirectory(point.Id), ResultFile);
        if (!File.Exists(path)) return null;
        try
        {
            var r = PointResult.FromJson(File.ReadAllText(path));
            return r.Matches(point) ? r : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            return null; // unreadable: treated as not done, so it is computed again
        }
    }

    /// <summary>Commits one point: report first, result last (the result file is the commit marker).</summary>
    public void Write(SweepPoint point, PointOutcome outcome)
    {
        var dir = PointDirectory(point.Id);
        foreach (var (name, text) in outcome.Files)
        {
            if (name == ResultFile || name.IndexOfAny(['/', '\\']) >= 0 || name.StartsWith('.'))
                throw new InvalidOperationException($"point file name '{name}' is reserved or not a plain file name");
            AtomicFile.WriteAllText(Path.Combine(dir, name), text);
        }
        AtomicFile.WriteAllText(Path.Combine(dir, ResultFile), PointResult.From(point, outcome).ToJson());
    }

    /// <summary>Removes temporary files left by a killed writer (AtomicFile's "*.tmp-PID-TID").</summary>
    public void RemoveStaleTemporaries()
    {
        if (!System.IO.Directory.Exists(Directory)) return;
        foreach (var f in System.IO.Directory.EnumerateFiles(Directory, "*.tmp-*", SearchOption.AllDirectories))
        {
            try { File.Delete(f); }
            catch (IOException) { }
        }
    }

    /// <summary>Regenerates results.csv and results.jsonl from every completed point of <paramref name="manifest"/>.</summary>
    public IReadOnlyList<PointResult> WriteTables(SweepManifest manifest)
    {
        var results = manifest.Points.Select(TryRead).OfType<PointResult>().ToList();
        WriteTables(Directory, manifest.ParameterPaths, results);
        return results;
    }

    /// <summary>
    /// Writes both tables. Columns: point, status, each parameter path, the metrics (in the order they first
    /// appear, scanning rows in point order), reason. Numbers use the invariant culture, shortest round-trip form.
    /// </summary>
    public static void WriteTables(string directory, IReadOnlyList<string> parameterPaths, IReadOnlyList<PointResult> results)
    {
        var metricNames = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in results)
            foreach (var m in r.Metrics)
                if (seen.Add(m.Name)) metricNames.Add(m.Name);

        var csv = new StringBuilder();
        csv.AppendJoin(',', new[] { "point", "status" }.Concat(parameterPaths).Concat(metricNames).Append("reason").Select(Csv)).Append('\n');
        var jsonl = new StringBuilder();
        foreach (var r in results)
        {
            var values = r.Metrics.ToDictionary(m => m.Name, m => m.Value, StringComparer.Ordinal);
            var parameters = r.Parameters.ToDictionary(p => p.Path, p => p, StringComparer.Ordinal);
            var cells = new List<string> { r.Id, PointResult.StatusText(r.Status) };
            cells.AddRange(parameterPaths.Select(p => parameters.TryGetValue(p, out var v) ? v.Value : ""));
            cells.AddRange(metricNames.Select(n => values.TryGetValue(n, out var v) ? Number(v) : ""));
            cells.Add(r.Reason ?? "");
            csv.AppendJoin(',', cells.Select(Csv)).Append('\n');

            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                w.WriteString("point", r.Id);
                w.WriteNumber("index", r.Index);
                w.WriteString("status", PointResult.StatusText(r.Status));
                w.WriteStartObject("parameters");
                foreach (var p in r.Parameters)
                {
                    if (p.NumericValue is { } d) w.WriteNumber(p.Path, d);
                    else if (bool.TryParse(p.Value, out var b)) w.WriteBoolean(p.Path, b);
                    else w.WriteString(p.Path, p.Value);
                }
                w.WriteEndObject();
                foreach (var m in r.Metrics) w.WriteNumber(m.Name, m.Value);
                if (r.Reason is null) w.WriteNull("reason");
                else w.WriteString("reason", r.Reason);
                w.WriteEndObject();
            }
            jsonl.Append(Encoding.UTF8.GetString(ms.ToArray())).Append('\n');
        }
        AtomicFile.WriteAllText(Path.Combine(directory, CsvFile), csv.ToString());
        AtomicFile.WriteAllText(Path.Combine(directory, JsonlFile), jsonl.ToString());
    }

    private static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Csv(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
