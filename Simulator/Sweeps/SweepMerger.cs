using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Simulator.Sweeps;

/// <summary>What a merge did.</summary>
public sealed record MergeSummary(int TotalPoints, int Merged, IReadOnlyList<string> MissingIds);

/// <summary>
/// Combines the output directories of several shards (or partial runs) of one sweep into one directory whose
/// tables equal those of the unsharded run: same manifest required, each point's files copied, a point present
/// in two inputs must have identical results, tables regenerated in point order.
/// </summary>
public static class SweepMerger
{
    public static MergeSummary Merge(IReadOnlyList<string> inputs, string outDirectory, bool allowPartial)
    {
        if (inputs.Count == 0) throw new UserInputException("merge: give at least one sweep directory");
        var manifests = inputs.Select(SweepManifest.Read).ToList();
        var problems = new List<string>();
        for (var i = 1; i < inputs.Count; i++)
        {
            var d = SweepManifest.Differences(manifests[0], manifests[i]);
            if (d.Count > 0) problems.Add($"'{inputs[i]}' is a different sweep from '{inputs[0]}': " + string.Join("; ", d));
        }
        if (problems.Count > 0) throw new UserInputException("merge: the directories do not hold shards of one sweep", problems);

        var manifest = manifests[0];
        var sources = inputs.Select(d => new SweepOutput(d)).ToList();
        var chosen = new List<(SweepPoint Point, SweepOutput From)>();
        var missing = new List<string>();
        foreach (var p in manifest.Points)
        {
            SweepOutput? from = null;
            PointResult? first = null;
            foreach (var s in sources)
            {
                var r = s.TryRead(p);
                if (r is null) continue;
                if (first is null) { first = r; from = s; }
                else if (r.ToJson() != first.ToJson())
                    problems.Add($"point {p.Id}: '{from!.Directory}' and '{s.Directory}' hold different results");
            }
            if (from is null) missing.Add(p.Id);
            else chosen.Add((p, from));
        }
        if (problems.Count > 0) throw new UserInputException("merge: conflicting point results", problems);
        if (missing.Count > 0 && !allowPartial)
            throw new UserInputException($"merge: {missing.Count} of {manifest.Points.Count} points have no result in any input (first: {string.Join(", ", missing.Take(10))}); run the missing shards, or pass --allow-partial");

        var output = new SweepOutput(outDirectory);
        Directory.CreateDirectory(outDirectory);
        manifest.WriteOrCheck(outDirectory);
        output.RemoveStaleTemporaries();
        foreach (var (point, from) in chosen)
        {
            var src = from.PointDirectory(point.Id);
            var dst = output.PointDirectory(point.Id);
            if (Path.GetFullPath(src) == Path.GetFullPath(dst)) continue;
            // Copy every file but the result first; the result last is the commit marker, as in a run.
            var files = Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories)
                .Where(f => !f.Contains(".tmp-", StringComparison.Ordinal))
                .OrderBy(f => Path.GetFileName(f) == SweepOutput.ResultFile ? 1 : 0).ThenBy(f => f, StringComparer.Ordinal);
            foreach (var f in files)
                AtomicFile.WriteAllBytes(Path.Combine(dst, Path.GetRelativePath(src, f)), File.ReadAllBytes(f));
        }
        var rows = output.WriteTables(manifest);
        return new MergeSummary(manifest.Points.Count, rows.Count, missing);
    }
}
