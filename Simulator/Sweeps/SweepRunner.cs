using System.Collections.Concurrent;
using CimSim.Common.Errors;
using Serilog;

namespace CimSim.Simulator.Sweeps;

/// <summary>How one sweep invocation runs (none of this changes the results).</summary>
public sealed record SweepRunOptions
{
    /// <summary>Points evaluated at once (in-process, one thread each).</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;

    public ShardSpec Shard { get; init; } = ShardSpec.All;

    /// <summary>Evaluate again the points whose stored status is "error" (a simulator failure); invalid points are final.</summary>
    public bool RetryErrors { get; init; }
}

/// <summary>Receives progress events; called from worker threads.</summary>
public interface ISweepProgress
{
    void Started(int pointsInShard, int alreadyDone);

    void PointFinished(SweepPoint point, PointStatus status);
}

/// <summary>What one invocation did.</summary>
public sealed record SweepSummary(int TotalPoints, int ShardPoints, int AlreadyDone, int Evaluated, int Ok, int Invalid, int Errors, int RowsWritten, bool Cancelled)
{
    /// <summary>Points of this shard still without a result (non-zero only after a cancellation).</summary>
    public int Missing => ShardPoints - AlreadyDone - Evaluated;
}

/// <summary>
/// Runs a sweep into a directory: checks every parameter path before anything runs, writes or checks the
/// manifest, evaluates this shard's missing points in parallel, commits each one atomically, then regenerates
/// the tables. Rerunning the same command after a crash finishes only the missing points.
/// </summary>
public sealed class SweepRunner(string outDirectory, SweepDefinition definition, IReadOnlyList<KeyValuePair<string, string>> identity, IPointEvaluator evaluator)
{
    public SweepOutput Output { get; } = new(outDirectory);

    /// <summary>Checks every parameter path with the evaluator; throws one UserInputException listing each bad path with its line.</summary>
    public static void CheckPaths(SweepDefinition definition, IPointEvaluator evaluator)
    {
        var problems = definition.Axes
            .Select(a => (a, problem: evaluator.CheckParameterPath(a.Path)))
            .Where(x => x.problem is not null)
            .Select(x => $"{definition.SourceName} line {x.a.Line}: {x.problem}")
            .ToList();
        if (problems.Count > 0)
            throw new UserInputException($"{definition.SourceName}: {problems.Count} sweep parameter path{(problems.Count == 1 ? " is" : "s are")} not in the hardware config schema; nothing was run", problems);
    }

    public SweepSummary Run(SweepRunOptions options, ISweepProgress? progress = null, CancellationToken cancellationToken = default)
    {
        if (options.Jobs < 1) throw new UserInputException($"--jobs {options.Jobs}: expected at least 1");
        CheckPaths(definition, evaluator);
        var manifest = SweepManifest.Create(definition, identity);
        Directory.CreateDirectory(Output.Directory);
        manifest.WriteOrCheck(Output.Directory);
        Output.RemoveStaleTemporaries();

        var mine = manifest.Points.Where(options.Shard.Contains).ToList();
        var pending = new List<SweepPoint>();
        var done = 0;
        foreach (var p in mine)
        {
            var r = Output.TryRead(p);
            if (r is null || (options.RetryErrors && r.Status == PointStatus.Error)) pending.Add(p);
            else done++;
        }
        Log.Information("sweep {Dir}: {Total} points, shard {Shard} holds {Mine}, {Done} already done, {Pending} to run on {Jobs} job(s)",
            Output.Directory, manifest.Points.Count, options.Shard.ToString(), mine.Count, done, pending.Count, options.Jobs);
        progress?.Started(mine.Count, done);

        var counts = new ConcurrentDictionary<PointStatus, int>();
        var evaluated = 0;
        var cancelled = false;
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Jobs, CancellationToken = cancellationToken };
            // NoBuffering: workers take points one at a time, in order, so a cancellation leaves a prefix-like set done.
            var source = System.Collections.Concurrent.Partitioner.Create(pending, EnumerablePartitionerOptions.NoBuffering);
            Parallel.ForEach(source, parallel, point =>
            {
                PointOutcome? outcome;
                // Log lines of parallel points interleave: each names its point ("[p0003] ...").
                using (Serilog.Context.LogContext.PushProperty(PointTagProperty, $"[{point.Id}] "))
                    outcome = EvaluateOne(point, cancellationToken);
                if (outcome is null) return; // cancelled in flight: not committed, rerun computes it
                Output.Write(point, outcome);
                counts.AddOrUpdate(outcome.Status, 1, (_, c) => c + 1);
                Interlocked.Increment(ref evaluated);
                progress?.PointFinished(point, outcome.Status);
            });
        }
        catch (OperationCanceledException)
        {
            cancelled = true;
        }
        if (cancellationToken.IsCancellationRequested) cancelled = true;

        var rows = Output.WriteTables(manifest);
        var summary = new SweepSummary(manifest.Points.Count, mine.Count, done, evaluated,
            counts.GetValueOrDefault(PointStatus.Ok), counts.GetValueOrDefault(PointStatus.Invalid), counts.GetValueOrDefault(PointStatus.Error),
            rows.Count, cancelled);
        return summary;
    }

    /// <summary>Log-context property holding "[point id] " while a point is evaluated; the console template prints it.</summary>
    public const string PointTagProperty = "PointTag";

    private PointOutcome? EvaluateOne(SweepPoint point, CancellationToken ct)
    {
        try
        {
            ct.ThrowIfCancellationRequested();
            return evaluator.Evaluate(point, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        catch (UserInputException ex)
        {
            // The problems alone (without the "N problems in ..." summary) read best in one CSV cell.
            var reason = ex.Problems.Count > 0 && ex.Problems[0] != ex.Message ? string.Join("; ", ex.Problems) : ex.Message;
            return PointOutcome.Invalid(reason.ReplaceLineEndings(" "));
        }
        catch (Exception ex)
        {
            Log.Warning(ex, "sweep point {Point} failed", point.ToString());
            return new PointOutcome(PointStatus.Error, ex.GetType().Name + ": " + ex.Message.ReplaceLineEndings(" "), [], []);
        }
    }
}
