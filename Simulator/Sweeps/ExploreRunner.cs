using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using Serilog;

namespace CimSim.Simulator.Sweeps;

/// <summary>What one `cimsim explore` searches and how (docs/sweeps.md "Exploring").</summary>
public sealed record ExploreOptions
{
    public ExploreStrategy Strategy { get; init; } = ExploreStrategy.Greedy;

    /// <summary>Placement groups whose W0 may move from RRAM to SRAM.</summary>
    public IReadOnlyList<PlacementGroup> Groups { get; init; } = PlacementGroup.ParseList(PlacementGroup.DefaultList);

    /// <summary>Hardware keys to search (a sweep grid file's axes), or none.</summary>
    public IReadOnlyList<ParameterAxis> HardwareAxes { get; init; } = [];

    /// <summary>"Cheapest design within X points of ideal accuracy"; greedy needs it.</summary>
    public double? BudgetPoints { get; init; }

    public ExploreCost Cost { get; init; } = ExploreCost.Energy;

    /// <summary>Random strategy: designs drawn and the seed of the draws.</summary>
    public int Samples { get; init; } = 32;

    public ulong Seed { get; init; } = 1;

    /// <summary>Tokens of one simulated run (batch x (prompt + generated)): energy per token = energy_j / this.</summary>
    public required int TokensPerRun { get; init; }
}

/// <summary>One evaluated design with its objectives (null when the point is invalid or failed).</summary>
public sealed record ExploredPoint(PointResult Result, IReadOnlyList<string> SramGroups, ExploreObjectives? Objectives);

/// <summary>What an exploration found. <see cref="Answer"/> is the cheapest design within the budget, if any.</summary>
public sealed record ExploreResult(IReadOnlyList<ExploredPoint> Points, IReadOnlyList<ExploredPoint> Front, ExploredPoint? Answer, IReadOnlyList<string> GreedyPath, bool Complete, bool Cancelled);

/// <summary>
/// `cimsim explore`: searches hardware keys and per-module placement for the Pareto front of energy per token,
/// accuracy loss and area, with the sweep machinery underneath: every design is a sweep point (its placement is
/// a set of `mapping.placement.GLOB=rram|sram` overrides), committed atomically, so an interrupted exploration
/// resumes by rerunning the same command. Grid and random are one sweep in DIR (shardable, mergeable with
/// `cimsim merge`); greedy is a sequence of rounds DIR/round-NN, each a sweep of the candidates that the
/// results so far determine (deterministic, so a rerun retraces the same path from the stored results).
/// </summary>
public sealed class ExploreRunner(string outDirectory, ExploreOptions options, IReadOnlyList<KeyValuePair<string, string>> identity, IPointEvaluator evaluator)
{
    public const string ResultFile = "explore.json", FrontFile = "front.csv", SummaryFile = "explore.md";

    /// <summary>ADC resolution is one `rram.adc` section for every array: per-module-class ADC bits are not a config key yet.</summary>
    public const string AdcNote = "ADC bits per module class are not searched: the hardware config has one rram.adc section for every array; sweep rram.adc.bits as a hardware key instead.";

    public ExploreResult Run(SweepRunOptions runOptions, ISweepProgress? progress = null, CancellationToken cancellationToken = default)
    {
        Check(runOptions);
        var result = options.Strategy == ExploreStrategy.Greedy
            ? RunGreedy(runOptions, progress, cancellationToken)
            : RunOneSweep(runOptions, progress, cancellationToken);
        WriteOutputs(result);
        return result;
    }

    private void Check(SweepRunOptions runOptions)
    {
        var problems = new List<string>();
        var taken = options.HardwareAxes.Select(a => a.Path).Where(p => p.StartsWith(PlacementGroup.PlacementPrefix, StringComparison.Ordinal)).ToList();
        if (taken.Count > 0) problems.Add($"the grid sets placement keys ({string.Join(", ", taken)}); name placement groups with --groups instead");
        if (options.Strategy == ExploreStrategy.Greedy)
        {
            if (options.BudgetPoints is null) problems.Add("--strategy greedy needs --budget-points X (the accuracy loss it must reach)");
            var multi = options.HardwareAxes.Where(a => a.IsRange || a.Values.Count > 1).Select(a => a.Path).ToList();
            if (multi.Count > 0) problems.Add($"--strategy greedy searches placement on one hardware design, but the grid varies {string.Join(", ", multi)}; pin them (one value or -p) or use --strategy grid/random");
            if (runOptions.Shard.Count > 1) problems.Add("--strategy greedy cannot be sharded: each round depends on the results of the previous one; use --jobs, or grid/random with --shard");
        }
        if (options.Strategy == ExploreStrategy.Grid && options.HardwareAxes.Any(a => a.IsRange))
            problems.Add("--strategy grid needs value lists; ranges ({min, max}) need --strategy random");
        if (options.BudgetPoints is { } b && !(b >= 0 && double.IsFinite(b))) problems.Add($"--budget-points {b}: expected a number of accuracy points >= 0");
        if (options.TokensPerRun < 1) problems.Add("the workload has no tokens");
        if (problems.Count > 0) throw new UserInputException("invalid explore options", problems);
    }

    private List<ParameterAxis> GroupAxes(IEnumerable<IReadOnlySet<string>>? candidates)
    {
        var list = candidates?.ToList();
        return options.Groups.Select(g => new ParameterAxis(g.Path, 0,
            list is null ? ["rram", "sram"] : list.Select(c => c.Contains(g.Name) ? "sram" : "rram").ToList())).ToList();
    }

    private IReadOnlyList<KeyValuePair<string, string>> Identity(string search) =>
        identity.Append(KeyValuePair.Create("explore", search)).ToList();

    private ExploreResult RunOneSweep(SweepRunOptions runOptions, ISweepProgress? progress, CancellationToken ct)
    {
        var axes = options.HardwareAxes.Concat(GroupAxes(null)).ToList();
        var definition = options.Strategy == ExploreStrategy.Grid
            ? new SweepDefinition("explore", SweepMode.Grid, axes, 0, 0)
            : new SweepDefinition("explore", SweepMode.Random, axes, options.Seed, options.Samples);
        var runner = new SweepRunner(outDirectory, definition, Identity($"{options.Strategy.ToString().ToLowerInvariant()} over groups {string.Join(",", options.Groups.Select(g => g.Glob))}"), evaluator);
        var summary = runner.Run(runOptions, progress, ct);
        var manifest = SweepManifest.Create(definition, []);
        var points = manifest.Points.Select(runner.Output.TryRead).OfType<PointResult>().Select(Explored).ToList();
        return Finish(points, [], complete: points.Count == manifest.Points.Count, summary.Cancelled);
    }

    private ExploredPoint Explored(PointResult r) =>
        new(r, options.Groups.Where(g => r.Parameters.Any(p => p.Path == g.Path && p.Value == "sram")).Select(g => g.Name).ToList(),
            ExploreObjectives.From(r, options.TokensPerRun));

    private static string Key(IEnumerable<string> set) => string.Join(",", set.Order(StringComparer.Ordinal));

    /// <summary>
    /// Phase 1: from all-RRAM, evaluate moving each remaining group to SRAM and take the move with the best
    /// accuracy gain per unit of added cost (a move that gains accuracy and costs nothing comes first, larger gain
    /// first), until the loss is within the budget or no move gains. Phase 2: while a neighbour (one group moved
    /// either way) is within the budget and cheaper, take the cheapest. Ties go to the group listed first.
    /// </summary>
    private ExploreResult RunGreedy(SweepRunOptions runOptions, ISweepProgress? progress, CancellationToken ct)
    {
        var budget = options.BudgetPoints!.Value;
        var seen = new Dictionary<string, ExploredPoint>(StringComparer.Ordinal);
        var order = new List<ExploredPoint>();
        var round = 0;
        var cancelled = false;

        // Evaluates the candidate sets not seen yet as one round; false when interrupted.
        bool Evaluate(IReadOnlyList<IReadOnlySet<string>> candidates)
        {
            var fresh = candidates.Where(c => !seen.ContainsKey(Key(c))).DistinctBy(Key).ToList();
            if (fresh.Count == 0) return true;
            var pins = options.HardwareAxes.Select(a => new ParameterAxis(a.Path, a.Line, Enumerable.Repeat(a.Values[0], fresh.Count).ToList()));
            var definition = new SweepDefinition($"explore round {round}", SweepMode.List, pins.Concat(GroupAxes(fresh)).ToList(), 0, 0);
            var dir = Path.Combine(outDirectory, "round-" + round.ToString("00", CultureInfo.InvariantCulture));
            var runner = new SweepRunner(dir, definition,
                Identity(string.Create(CultureInfo.InvariantCulture, $"greedy round {round}; budget {options.BudgetPoints} points; cost {options.Cost}; groups {string.Join(",", options.Groups.Select(g => g.Glob))}")), evaluator);
            var summary = runner.Run(runOptions, progress, ct);
            round++;
            foreach (var p in SweepManifest.Create(definition, []).Points)
            {
                if (runner.Output.TryRead(p) is not { } r) continue;
                var renamed = r with { Index = order.Count, Id = Path.GetFileName(dir) + "-" + r.Id };
                var e = Explored(renamed);
                seen[Key(e.SramGroups)] = e;
                order.Add(e);
            }
            cancelled = summary.Cancelled || fresh.Any(c => !seen.ContainsKey(Key(c)));
            return !cancelled;
        }

        var names = options.Groups.Select(g => g.Name).ToList();
        IReadOnlySet<string> current = new HashSet<string>();
        var path = new List<string>();
        if (!Evaluate([current])) return Finish(order, path, false, true);
        var now = seen[Key(current)];
        path.Add(now.Result.Id);
        if (now.Objectives is null) return Finish(order, path, true, false); // the base design itself is invalid

        while (now.Objectives!.AccuracyLossPoints > budget)
        {
            var moves = names.Where(n => !current.Contains(n)).Select(n => (IReadOnlySet<string>)current.Append(n).ToHashSet()).ToList();
            if (moves.Count == 0) break;
            if (!Evaluate(moves)) return Finish(order, path, false, true);
            var cur = now.Objectives;
            var best = moves.Select((m, i) => (e: seen[Key(m)], i))
                .Where(x => x.e.Objectives is { } o && cur.AccuracyLossPoints - o.AccuracyLossPoints > 0)
                .Select(x =>
                {
                    var gain = cur.AccuracyLossPoints - x.e.Objectives!.AccuracyLossPoints;
                    var cost = x.e.Objectives.Cost(options.Cost) - cur.Cost(options.Cost);
                    return (x.e, x.i, free: cost <= 0, score: cost <= 0 ? gain : gain / cost);
                })
                .OrderByDescending(x => x.free).ThenByDescending(x => x.score).ThenBy(x => x.i).FirstOrDefault();
            if (best.e is null) break;
            current = best.e.SramGroups.ToHashSet();
            now = best.e;
            path.Add(now.Result.Id);
        }

        while (now.Objectives!.AccuracyLossPoints <= budget)
        {
            var neighbours = names.Select(n => (IReadOnlySet<string>)(current.Contains(n) ? current.Where(c => c != n) : current.Append(n)).ToHashSet()).ToList();
            if (!Evaluate(neighbours)) return Finish(order, path, false, true);
            var c0 = now.Objectives.Cost(options.Cost);
            var better = neighbours.Select((m, i) => (e: seen[Key(m)], i))
                .Where(x => x.e.Objectives is { } o && o.AccuracyLossPoints <= budget && o.Cost(options.Cost) < c0)
                .OrderBy(x => x.e.Objectives!.Cost(options.Cost)).ThenBy(x => x.e.Objectives!.AccuracyLossPoints).ThenBy(x => x.i).FirstOrDefault();
            if (better.e is null) break;
            current = better.e.SramGroups.ToHashSet();
            now = better.e;
            path.Add(now.Result.Id);
        }
        return Finish(order, path, true, cancelled);
    }

    /// <summary>The front over the three objectives (every point no other point dominates; equal points all kept) and the budget answer.</summary>
    private ExploreResult Finish(IReadOnlyList<ExploredPoint> points, IReadOnlyList<string> path, bool complete, bool cancelled)
    {
        var valid = points.Where(p => p.Objectives is not null).ToList();
        var front = ParetoFront.OfMany(valid, p => p.Objectives!.EnergyPerTokenJ, p => p.Objectives!.AccuracyLossPoints, p => p.Objectives!.AreaMm2);
        ExploredPoint? answer = null;
        if (options.BudgetPoints is { } b)
            answer = valid.Where(p => p.Objectives!.AccuracyLossPoints <= b)
                .OrderBy(p => p.Objectives!.Cost(options.Cost))
                .ThenBy(p => p.Objectives!.Cost(options.Cost == ExploreCost.Energy ? ExploreCost.Area : ExploreCost.Energy))
                .ThenBy(p => p.Objectives!.AccuracyLossPoints).ThenBy(p => p.Result.Index).FirstOrDefault();
        return new ExploreResult(points, front, answer, path, complete, cancelled);
    }

    private void WriteOutputs(ExploreResult result)
    {
        Directory.CreateDirectory(outDirectory);
        var hardwarePaths = options.HardwareAxes.Select(a => a.Path).ToList();
        if (options.Strategy == ExploreStrategy.Greedy)
        {
            // One table and manifest over every round, so `cimsim plot DIR` and the HTML report read greedy like any sweep.
            var paths = hardwarePaths.Concat(options.Groups.Select(g => g.Path)).ToList();
            var manifest = new SweepManifest(Identity("greedy, all rounds"), "explore-greedy", paths,
                result.Points.Select(p => new SweepPoint(p.Result.Index, p.Result.Id, p.Result.Parameters)).ToList());
            AtomicFile.WriteAllText(Path.Combine(outDirectory, SweepManifest.FileName), manifest.ToJson());
            SweepOutput.WriteTables(outDirectory, paths, result.Points.Select(p => p.Result).ToList());
        }
        var front = result.Front.Select(p => p.Result.Id).ToHashSet(StringComparer.Ordinal);
        JsonNode? Point(ExploredPoint p) => new JsonObject
        {
            ["point"] = p.Result.Id,
            ["status"] = PointResult.StatusText(p.Result.Status),
            ["hardware"] = new JsonObject(p.Result.Parameters.Where(q => hardwarePaths.Contains(q.Path)).Select(q => KeyValuePair.Create(q.Path, (JsonNode?)JsonValue.Create(q.Value)))),
            ["sram_groups"] = new JsonArray(p.SramGroups.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray()),
            ["energy_per_token_j"] = p.Objectives?.EnergyPerTokenJ,
            ["accuracy_loss_points"] = p.Objectives?.AccuracyLossPoints,
            ["accuracy_loss_ci95_points"] = p.Objectives?.AccuracyLossCi95Points,
            ["area_mm2"] = p.Objectives?.AreaMm2,
            ["on_front"] = front.Contains(p.Result.Id),
            ["reason"] = p.Result.Reason,
        };
        var o = new JsonObject
        {
            ["strategy"] = options.Strategy.ToString().ToLowerInvariant(),
            ["cost"] = options.Cost == ExploreCost.Area ? "area_mm2" : "energy_per_token_j",
            ["budget_points"] = options.BudgetPoints,
            ["tokens_per_run"] = options.TokensPerRun,
            ["groups"] = new JsonArray(options.Groups.Select(g => (JsonNode?)new JsonObject { ["name"] = g.Name, ["glob"] = g.Glob }).ToArray()),
            ["hardware_keys"] = new JsonArray(hardwarePaths.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
            ["complete"] = result.Complete && !result.Cancelled,
            ["evaluations"] = result.Points.Count,
            ["answer"] = result.Answer is null ? null : Point(result.Answer),
            ["front"] = new JsonArray(result.Front.Select(p => (JsonNode?)JsonValue.Create(p.Result.Id)).ToArray()),
            ["greedy_path"] = new JsonArray(result.GreedyPath.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
            ["notes"] = new JsonArray(JsonValue.Create(AdcNote)),
            ["points"] = new JsonArray(result.Points.Select(Point).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(outDirectory, ResultFile), o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        var csv = new StringBuilder("point,sram_groups," + string.Concat(hardwarePaths.Select(p => p + ",")) + "energy_per_token_j,accuracy_loss_points,accuracy_loss_ci95_points,area_mm2\n");
        foreach (var p in result.Front)
        {
            var ob = p.Objectives!;
            csv.Append(p.Result.Id).Append(',').Append(string.Join(' ', p.SramGroups)).Append(',');
            foreach (var h in hardwarePaths) csv.Append(p.Result.Parameters.FirstOrDefault(q => q.Path == h).Value).Append(',');
            csv.Append(ExploreObjectives.Format(ob.EnergyPerTokenJ)).Append(',').Append(ExploreObjectives.Format(ob.AccuracyLossPoints)).Append(',')
               .Append(ob.AccuracyLossCi95Points is { } ci ? ExploreObjectives.Format(ci) : "").Append(',').Append(ExploreObjectives.Format(ob.AreaMm2)).Append('\n');
        }
        AtomicFile.WriteAllText(Path.Combine(outDirectory, FrontFile), csv.ToString());
        AtomicFile.WriteAllText(Path.Combine(outDirectory, SummaryFile), Summary(result));
    }

    /// <summary>The answer in words, as printed by the command and written to explore.md.</summary>
    public string Summary(ExploreResult result)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# Exploration ({options.Strategy.ToString().ToLowerInvariant()})\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"{result.Points.Count} designs evaluated, {result.Points.Count(p => p.Objectives is not null)} valid, {result.Front.Count} on the energy/accuracy-loss/area front{(result.Complete && !result.Cancelled ? "" : " (incomplete: rerun the same command to finish)")}.\n\n");
        if (options.BudgetPoints is { } b)
        {
            if (result.Answer is { } a) sb.Append(CultureInfo.InvariantCulture, $"Cheapest design within {b} points of ideal accuracy: {Describe(a)}\n\n");
            else sb.Append(CultureInfo.InvariantCulture, $"No evaluated design is within {b} points of ideal accuracy.\n\n");
        }
        sb.Append("| point | SRAM groups | hardware | energy/token (J) | accuracy loss (points) | area (mm^2) |\n|---|---|---|---:|---:|---:|\n");
        foreach (var p in result.Front)
        {
            var o = p.Objectives!;
            sb.Append(CultureInfo.InvariantCulture, $"| {p.Result.Id} | {Groups(p)} | {Hardware(p)} | {o.EnergyPerTokenJ:G4} | {Loss(o)} | {o.AreaMm2:G5} |\n");
        }
        sb.Append('\n').Append(AdcNote).Append('\n');
        return sb.ToString();
    }

    private static string Groups(ExploredPoint p) => p.SramGroups.Count == 0 ? "none (all RRAM)" : string.Join(", ", p.SramGroups);

    private string Hardware(ExploredPoint p) =>
        string.Join(", ", p.Result.Parameters.Where(q => options.HardwareAxes.Any(a => a.Path == q.Path)).Select(q => q.ToOverride())) is { Length: > 0 } s ? s : "base";

    private static string Loss(ExploreObjectives o) =>
        string.Create(CultureInfo.InvariantCulture, $"{o.AccuracyLossPoints:0.##}") + (o.AccuracyLossCi95Points is { } ci ? string.Create(CultureInfo.InvariantCulture, $" ± {ci:0.##}") : "");

    public string Describe(ExploredPoint p)
    {
        var o = p.Objectives!;
        return string.Create(CultureInfo.InvariantCulture,
            $"{p.Result.Id}: SRAM {Groups(p)}; {Hardware(p)}; {o.EnergyPerTokenJ:G4} J/token, accuracy loss {Loss(o)} points (95 % interval over {o.Seeds} chip instance{(o.Seeds == 1 ? "" : "s")}), area {o.AreaMm2:G5} mm^2");
    }
}
