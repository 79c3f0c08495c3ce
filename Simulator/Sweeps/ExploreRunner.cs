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

    /// <summary>ADC resolutions each RRAM group may take (mapping.adc_bits per group; sorted, distinct); empty: not searched.</summary>
    public IReadOnlyList<int> AdcBits { get; init; } = [];

    /// <summary>rram.adc.bits of the base design: greedy starts every group there and steps along AdcBits from it.</summary>
    public int BaseAdcBits { get; init; } = 8;

    public bool SearchesAdcBits => AdcBits.Count > 0;

    /// <summary>Tokens of one simulated run (batch x (prompt + generated)): energy per token = energy_j / this.</summary>
    public required int TokensPerRun { get; init; }
}

/// <summary>One evaluated design with its objectives (null when the point is invalid or failed); <see cref="AdcBits"/>: each RRAM group's ADC bits when they are searched.</summary>
public sealed record ExploredPoint(PointResult Result, IReadOnlyList<string> SramGroups, ExploreObjectives? Objectives, IReadOnlyDictionary<string, int> AdcBits);

/// <summary>A design of the greedy search: the groups on SRAM and, when ADC bits are searched, every group's bits (the base bits on SRAM groups).</summary>
public sealed record ExploreDesign(IReadOnlySet<string> Sram, IReadOnlyDictionary<string, int> Bits)
{
    public string Key => string.Join(",", Sram.Order(StringComparer.Ordinal)) + "|" + string.Join(",", Bits.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
}

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

    /// <summary>What the summary says when ADC bits per group are not searched.</summary>
    public const string AdcNote = "ADC bits per module class were not searched (add --adc-bits 4,6,8 to search mapping.adc_bits per group); every ADC converts at rram.adc.bits.";

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
        var bitsTaken = options.HardwareAxes.Select(a => a.Path).Where(p => p.StartsWith(PlacementGroup.AdcBitsPrefix, StringComparison.Ordinal)).ToList();
        if (bitsTaken.Count > 0 && options.SearchesAdcBits) problems.Add($"the grid sets ADC-bits keys ({string.Join(", ", bitsTaken)}) and --adc-bits searches them per group; use one or the other");
        if (problems.Count > 0) throw new UserInputException("invalid explore options", problems);
    }

    private static string Text(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>Per group: its placement axis and, when ADC bits are searched, its mapping.adc_bits axis; every value (null) or one value per candidate.</summary>
    private List<ParameterAxis> GroupAxes(IReadOnlyList<ExploreDesign>? candidates)
    {
        var axes = new List<ParameterAxis>();
        foreach (var g in options.Groups)
        {
            axes.Add(new ParameterAxis(g.Path, 0, candidates is null ? ["rram", "sram"] : candidates.Select(c => c.Sram.Contains(g.Name) ? "sram" : "rram").ToList()));
            if (options.SearchesAdcBits)
                axes.Add(new ParameterAxis(g.AdcBitsPath, 0, candidates is null ? options.AdcBits.Select(Text).ToList() : candidates.Select(c => Text(c.Bits[g.Name])).ToList()));
        }
        return axes;
    }

    /// <summary>The search's identity: with ADC bits searched, the resolutions and the base bits too (a resumed run must search the same space).</summary>
    private IReadOnlyList<KeyValuePair<string, string>> Identity(string search) =>
        identity.Append(KeyValuePair.Create("explore", search + (options.SearchesAdcBits ? $"; adc bits {string.Join(",", options.AdcBits.Select(Text))} from {Text(options.BaseAdcBits)}" : ""))).ToList();

    /// <summary>
    /// Grid with ADC bits: every combination of the hardware values and, per group, SRAM or RRAM at each listed
    /// resolution (an SRAM group has no ADC, so its bits are not varied: no duplicate designs), as one list sweep.
    /// </summary>
    private SweepDefinition GridWithBits()
    {
        var states = new List<(string Target, int Bits)> { ("sram", options.BaseAdcBits) };
        states.AddRange(options.AdcBits.Select(b => ("rram", b)));
        var count = options.HardwareAxes.Aggregate(1.0, (a, x) => a * x.Values.Count) * Math.Pow(states.Count, options.Groups.Count);
        if (count > SweepDefinition.MaxPoints)
            throw new UserInputException($"--strategy grid with --adc-bits has {count:G3} designs, more than the limit {SweepDefinition.MaxPoints}; use --strategy random or greedy, or fewer --groups / --adc-bits");
        IEnumerable<List<string>> rows = [[]];
        foreach (var a in options.HardwareAxes) rows = rows.SelectMany(r => a.Values.Select(v => r.Append(v).ToList()));
        foreach (var _ in options.Groups) rows = rows.SelectMany(r => states.Select(st => r.Append(st.Target).Append(Text(st.Bits)).ToList()));
        var table = rows.ToList();
        var paths = options.HardwareAxes.Select(a => a.Path).Concat(options.Groups.SelectMany(g => new[] { g.Path, g.AdcBitsPath })).ToList();
        var axes = paths.Select((p, i) => new ParameterAxis(p, 0, table.Select(r => r[i]).ToList())).ToList();
        return new SweepDefinition("explore", SweepMode.List, axes, 0, 0);
    }

    private ExploreResult RunOneSweep(SweepRunOptions runOptions, ISweepProgress? progress, CancellationToken ct)
    {
        var axes = options.HardwareAxes.Concat(GroupAxes(null)).ToList();
        var definition = options.Strategy == ExploreStrategy.Grid
            ? options.SearchesAdcBits ? GridWithBits() : new SweepDefinition("explore", SweepMode.Grid, axes, 0, 0)
            : new SweepDefinition("explore", SweepMode.Random, axes, options.Seed, options.Samples);
        var runner = new SweepRunner(outDirectory, definition, Identity($"{options.Strategy.ToString().ToLowerInvariant()} over groups {string.Join(",", options.Groups.Select(g => g.Glob))}"), evaluator);
        var summary = runner.Run(runOptions, progress, ct);
        var manifest = SweepManifest.Create(definition, []);
        var points = manifest.Points.Select(runner.Output.TryRead).OfType<PointResult>().Select(Explored).ToList();
        return Finish(points, [], complete: points.Count == manifest.Points.Count, summary.Cancelled);
    }

    private ExploredPoint Explored(PointResult r)
    {
        var sram = options.Groups.Where(g => r.Parameters.Any(p => p.Path == g.Path && p.Value == "sram")).Select(g => g.Name).ToList();
        var bits = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var g in options.Groups.Where(g => !sram.Contains(g.Name)))
            if (r.Parameters.FirstOrDefault(p => p.Path == g.AdcBitsPath).Value is { } v && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
                bits[g.Name] = b;
        return new(r, sram, ExploreObjectives.From(r, options.TokensPerRun), bits);
    }

    /// <summary>The greedy state of an evaluated design (SRAM groups at the base bits).</summary>
    private ExploreDesign DesignOf(ExploredPoint p) => new(p.SramGroups.ToHashSet(),
        options.SearchesAdcBits ? options.Groups.ToDictionary(g => g.Name, g => p.AdcBits.TryGetValue(g.Name, out var b) ? b : options.BaseAdcBits) : new Dictionary<string, int>());

    /// <summary>
    /// Phase 1: from all-RRAM (every group at rram.adc.bits), evaluate each move of a remaining RRAM group (to SRAM;
    /// with --adc-bits also raising its ADC bits one step along the list) and take the move with the best accuracy
    /// gain per unit of added cost (a move that gains accuracy and costs nothing comes first, larger gain first),
    /// until the loss is within the budget or no move gains. Phase 2: while a neighbour (one group moved to or from
    /// SRAM, or its ADC bits lowered or raised one step) is within the budget and cheaper, take the cheapest. Ties go
    /// to the group listed first, its placement move before its bits move.
    /// </summary>
    private ExploreResult RunGreedy(SweepRunOptions runOptions, ISweepProgress? progress, CancellationToken ct)
    {
        var budget = options.BudgetPoints!.Value;
        var seen = new Dictionary<string, ExploredPoint>(StringComparer.Ordinal);
        var order = new List<ExploredPoint>();
        var round = 0;
        var cancelled = false;
        var ladder = options.AdcBits.Append(options.BaseAdcBits).Distinct().Order().ToList();

        // Evaluates the candidate designs not seen yet as one round; false when interrupted.
        bool Evaluate(IReadOnlyList<ExploreDesign> candidates)
        {
            var fresh = candidates.Where(c => !seen.ContainsKey(c.Key)).DistinctBy(c => c.Key).ToList();
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
                seen[DesignOf(e).Key] = e;
                order.Add(e);
            }
            cancelled = summary.Cancelled || fresh.Any(c => !seen.ContainsKey(c.Key));
            return !cancelled;
        }

        ExploreDesign ToSram(ExploreDesign d, string n) =>
            new(d.Sram.Append(n).ToHashSet(), options.SearchesAdcBits ? new Dictionary<string, int>(d.Bits) { [n] = options.BaseAdcBits } : d.Bits);
        ExploreDesign ToRram(ExploreDesign d, string n) => new(d.Sram.Where(x => x != n).ToHashSet(), d.Bits);
        // One step along the resolutions (null at either end, or when bits are not searched).
        ExploreDesign? Step(ExploreDesign d, string n, int direction)
        {
            if (!options.SearchesAdcBits || d.Sram.Contains(n)) return null;
            var i = ladder.IndexOf(d.Bits[n]) + direction;
            return i < 0 || i >= ladder.Count ? null : new ExploreDesign(d.Sram, new Dictionary<string, int>(d.Bits) { [n] = ladder[i] });
        }

        var names = options.Groups.Select(g => g.Name).ToList();
        var current = new ExploreDesign(new HashSet<string>(), options.SearchesAdcBits ? names.ToDictionary(n => n, _ => options.BaseAdcBits) : new Dictionary<string, int>());
        var path = new List<string>();
        if (!Evaluate([current])) return Finish(order, path, false, true);
        var now = seen[current.Key];
        path.Add(now.Result.Id);
        if (now.Objectives is null) return Finish(order, path, true, false); // the base design itself is invalid

        while (now.Objectives!.AccuracyLossPoints > budget)
        {
            var moves = names.Where(n => !current.Sram.Contains(n)).SelectMany(n => new[] { ToSram(current, n), Step(current, n, +1) }).OfType<ExploreDesign>().ToList();
            if (moves.Count == 0) break;
            if (!Evaluate(moves)) return Finish(order, path, false, true);
            var cur = now.Objectives;
            var best = moves.Select((m, i) => (e: seen[m.Key], m, i))
                .Where(x => x.e.Objectives is { } o && cur.AccuracyLossPoints - o.AccuracyLossPoints > 0)
                .Select(x =>
                {
                    var gain = cur.AccuracyLossPoints - x.e.Objectives!.AccuracyLossPoints;
                    var cost = x.e.Objectives.Cost(options.Cost) - cur.Cost(options.Cost);
                    return (x.e, x.m, x.i, free: cost <= 0, score: cost <= 0 ? gain : gain / cost);
                })
                .OrderByDescending(x => x.free).ThenByDescending(x => x.score).ThenBy(x => x.i).FirstOrDefault();
            if (best.e is null) break;
            current = best.m;
            now = best.e;
            path.Add(now.Result.Id);
        }

        while (now.Objectives!.AccuracyLossPoints <= budget)
        {
            var neighbours = names.SelectMany(n => new[] { current.Sram.Contains(n) ? ToRram(current, n) : ToSram(current, n), Step(current, n, -1), Step(current, n, +1) })
                .OfType<ExploreDesign>().ToList();
            if (!Evaluate(neighbours)) return Finish(order, path, false, true);
            var c0 = now.Objectives.Cost(options.Cost);
            var better = neighbours.Select((m, i) => (e: seen[m.Key], m, i))
                .Where(x => x.e.Objectives is { } o && o.AccuracyLossPoints <= budget && o.Cost(options.Cost) < c0)
                .OrderBy(x => x.e.Objectives!.Cost(options.Cost)).ThenBy(x => x.e.Objectives!.AccuracyLossPoints).ThenBy(x => x.i).FirstOrDefault();
            if (better.e is null) break;
            current = better.m;
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
            var paths = hardwarePaths.Concat(options.Groups.SelectMany(g => options.SearchesAdcBits ? new[] { g.Path, g.AdcBitsPath } : [g.Path])).ToList();
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
            ["adc_bits"] = new JsonObject(p.AdcBits.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
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
            ["adc_bits_searched"] = new JsonArray(options.AdcBits.Select(b => (JsonNode?)JsonValue.Create(b)).ToArray()),
            ["base_adc_bits"] = options.BaseAdcBits,
            ["complete"] = result.Complete && !result.Cancelled,
            ["evaluations"] = result.Points.Count,
            ["answer"] = result.Answer is null ? null : Point(result.Answer),
            ["front"] = new JsonArray(result.Front.Select(p => (JsonNode?)JsonValue.Create(p.Result.Id)).ToArray()),
            ["greedy_path"] = new JsonArray(result.GreedyPath.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray()),
            ["notes"] = options.SearchesAdcBits ? new JsonArray() : new JsonArray(JsonValue.Create(AdcNote)),
            ["points"] = new JsonArray(result.Points.Select(Point).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(outDirectory, ResultFile), o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        var csv = new StringBuilder("point,sram_groups,adc_bits," + string.Concat(hardwarePaths.Select(p => p + ",")) + "energy_per_token_j,accuracy_loss_points,accuracy_loss_ci95_points,area_mm2\n");
        foreach (var p in result.Front)
        {
            var ob = p.Objectives!;
            csv.Append(p.Result.Id).Append(',').Append(string.Join(' ', p.SramGroups)).Append(',').Append(Bits(p, " ")).Append(',');
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
        sb.Append("| point | SRAM groups | ADC bits | hardware | energy/token (J) | accuracy loss (points) | area (mm^2) |\n|---|---|---|---|---:|---:|---:|\n");
        foreach (var p in result.Front)
        {
            var o = p.Objectives!;
            sb.Append(CultureInfo.InvariantCulture, $"| {p.Result.Id} | {Groups(p)} | {AdcText(p)} | {Hardware(p)} | {o.EnergyPerTokenJ:G4} | {Loss(o)} | {o.AreaMm2:G5} |\n");
        }
        if (!options.SearchesAdcBits) sb.Append('\n').Append(AdcNote).Append('\n');
        return sb.ToString();
    }

    /// <summary>"down_proj=4 q_proj=6" (RRAM groups' searched bits), empty when not searched.</summary>
    private static string Bits(ExploredPoint p, string separator) => string.Join(separator, p.AdcBits.Select(kv => $"{kv.Key}={kv.Value}"));

    private string AdcText(ExploredPoint p) => options.SearchesAdcBits ? Bits(p, ", ") : "all at rram.adc.bits";

    private static string Groups(ExploredPoint p) => p.SramGroups.Count == 0 ? "none (all RRAM)" : string.Join(", ", p.SramGroups);

    private string Hardware(ExploredPoint p) =>
        string.Join(", ", p.Result.Parameters.Where(q => options.HardwareAxes.Any(a => a.Path == q.Path)).Select(q => q.ToOverride())) is { Length: > 0 } s ? s : "base";

    private static string Loss(ExploreObjectives o) =>
        string.Create(CultureInfo.InvariantCulture, $"{o.AccuracyLossPoints:0.##}") + (o.AccuracyLossCi95Points is { } ci ? string.Create(CultureInfo.InvariantCulture, $" ± {ci:0.##}") : "");

    public string Describe(ExploredPoint p)
    {
        var o = p.Objectives!;
        return string.Create(CultureInfo.InvariantCulture,
            $"{p.Result.Id}: SRAM {Groups(p)};{(options.SearchesAdcBits ? " ADC bits " + Bits(p, ", ") + ";" : "")} {Hardware(p)}; {o.EnergyPerTokenJ:G4} J/token, accuracy loss {Loss(o)} points (95 % interval over {o.Seeds} chip instance{(o.Seeds == 1 ? "" : "s")}), area {o.AreaMm2:G5} mm^2");
    }
}
