namespace CimSim.Simulator.Sweeps;

/// <summary>Outcome class of one sweep point.</summary>
public enum PointStatus
{
    /// <summary>Simulated; the metrics hold its results.</summary>
    Ok,

    /// <summary>The configuration failed validation or the model does not fit; the reason says why.</summary>
    Invalid,

    /// <summary>The simulator itself failed on this point (a bug, not a user mistake); the reason holds the error.</summary>
    Error,
}

/// <summary>One named number of a point's results (a column of results.csv). Units are in the name (`_s`, `_j`, `_mm2`).</summary>
public readonly record struct PointMetric(string Name, double Value);

/// <summary>
/// What evaluating one point produced: its status, the reason when it is not ok, its metrics in a fixed order
/// (the evaluator's order becomes the column order), and the files to keep beside it in DIR/points/&lt;id&gt;/
/// (file name to text, e.g. "report.json"; the names "result.json" and anything with a path separator are refused).
/// </summary>
public sealed record PointOutcome(PointStatus Status, string? Reason, IReadOnlyList<PointMetric> Metrics, IReadOnlyList<KeyValuePair<string, string>> Files)
{
    public static PointOutcome Invalid(string reason) => new(PointStatus.Invalid, reason, [], []);
}

/// <summary>
/// The seam between the sweep engine and the simulator: checks parameter paths before anything runs, and
/// evaluates one point. Implementations must be safe to call from several threads at once (points run in
/// parallel) and deterministic (same point, same outcome), so that results never depend on --jobs.
/// </summary>
public interface IPointEvaluator
{
    /// <summary>
    /// A problem with one sweep parameter path (unknown to the config schema; it should name the path and
    /// suggest the nearest known one), or null when the path is valid. Called for every path before any point runs.
    /// </summary>
    string? CheckParameterPath(string path);

    /// <summary>Evaluates one point. A user-input problem of this point (validation, does not fit) is an Invalid outcome, not an exception.</summary>
    PointOutcome Evaluate(SweepPoint point, CancellationToken cancellationToken);
}
