using System.Globalization;
using System.Text.Json;
using CimSim.Devices.Rram;
using CimSim.Simulator.Sweeps;

namespace CimSim.Tests.Simulator.Sweeps;

public class ExploreTests
{
    private static readonly KeyValuePair<string, string>[] Identity = [new("model", "fake")];
    private string _root = "";

    [SetUp]
    public void SetUp() => _root = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private string Dir(string name) => Path.Combine(_root, name);

    private static ExploreOptions Options(ExploreStrategy s, double? budget = null, string groups = "q,k,v,o,gate,up,down,lm_head", int samples = 32) => new()
    {
        Strategy = s,
        Groups = PlacementGroup.ParseList(groups),
        BudgetPoints = budget,
        Samples = samples,
        Seed = 7,
        TokensPerRun = 10,
    };

    private static JsonElement ExploreJson(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, ExploreRunner.ResultFile))).RootElement;

    [Test]
    public void Run_Grid_FrontEqualsBruteForceFrontOfResultsTable()
    {
        var dir = Dir("grid");
        var result = new ExploreRunner(dir, Options(ExploreStrategy.Grid), Identity, new PlacementFake()).Run(new SweepRunOptions { Jobs = 2 });
        Assert.That(result.Points, Has.Count.EqualTo(256), "2^8 placements");

        // Brute force from results.jsonl: objectives recomputed from the raw columns, every pair compared.
        var rows = File.ReadAllLines(Path.Combine(dir, SweepOutput.JsonlFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(r => r.GetProperty("status").GetString() == "ok")
            .Select(r => (Id: r.GetProperty("point").GetString()!, V: new[]
            {
                r.GetProperty("energy_j").GetDouble() / 10, 100 * (1 - r.GetProperty("accuracy").GetDouble()), r.GetProperty("area_mm2").GetDouble(),
            })).ToList();
        var brute = rows.Where(a => !rows.Any(b => b.V.Zip(a.V).All(p => p.First <= p.Second) && b.V.Zip(a.V).Any(p => p.First < p.Second)))
            .Select(a => a.Id).ToList();
        var front = ExploreJson(dir).GetProperty("front").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.That(front, Is.EquivalentTo(brute));
        Assert.That(brute.Count, Is.GreaterThan(2).And.LessThan(256), "a real trade-off, not everything or one point");
        // q and k cost and gain the same, so the fronts hold equal pairs: both are kept.
        var equal = rows.Where(r => front.Contains(r.Id)).GroupBy(r => string.Join(",", r.V)).Count(g => g.Count() > 1);
        Assert.That(equal, Is.GreaterThan(0), "equal points on the front are all kept");
        Assert.That(File.ReadAllLines(Path.Combine(dir, ExploreRunner.FrontFile)), Has.Length.EqualTo(brute.Count + 1));
    }

    [Test]
    public void Run_BudgetOnGrid_AnswerIsCheapestWithinBudget()
    {
        var dir = Dir("budget");
        var result = new ExploreRunner(dir, Options(ExploreStrategy.Grid, budget: 10), Identity, new PlacementFake()).Run(new SweepRunOptions { Jobs = 2 });
        var feasible = result.Points.Where(p => p.Objectives!.AccuracyLossPoints <= 10).ToList();
        Assert.That(result.Answer, Is.Not.Null);
        Assert.That(result.Answer!.Objectives!.EnergyPerTokenJ, Is.EqualTo(feasible.Min(p => p.Objectives!.EnergyPerTokenJ)));
        Assert.That(ExploreJson(dir).GetProperty("answer").GetProperty("point").GetString(), Is.EqualTo(result.Answer.Result.Id));
        Assert.That(File.ReadAllText(Path.Combine(dir, ExploreRunner.SummaryFile)), Does.Contain("Cheapest design within 10 points"));
    }

    [Test]
    public void Run_GreedyInterruptedThenRerun_IdenticalResults()
    {
        var fresh = Dir("fresh");
        new ExploreRunner(fresh, Options(ExploreStrategy.Greedy, budget: 12), Identity, new PlacementFake()).Run(new SweepRunOptions { Jobs = 2 });

        var resumed = Dir("resumed");
        using var cts = new CancellationTokenSource();
        var partial = new ExploreRunner(resumed, Options(ExploreStrategy.Greedy, budget: 12), Identity, new PlacementFake())
            .Run(new SweepRunOptions { Jobs = 2 }, new CancelAfter(12, cts), cts.Token);
        Assert.That(partial.Cancelled, Is.True);
        Assert.That(ExploreJson(resumed).GetProperty("complete").GetBoolean(), Is.False);
        var second = new PlacementFake();
        new ExploreRunner(resumed, Options(ExploreStrategy.Greedy, budget: 12), Identity, second).Run(new SweepRunOptions { Jobs = 1 });
        Assert.That(second.Evaluations, Is.LessThan(ExploreJson(fresh).GetProperty("evaluations").GetInt32()), "stored designs are not evaluated again");
        foreach (var f in new[] { ExploreRunner.ResultFile, ExploreRunner.FrontFile, SweepOutput.CsvFile, SweepOutput.JsonlFile })
            Assert.That(File.ReadAllText(Path.Combine(resumed, f)), Is.EqualTo(File.ReadAllText(Path.Combine(fresh, f))), f);
    }

    [Test]
    public void Run_GreedyWithoutBudget_ClearError()
    {
        var ex = Assert.Throws<CimSim.Common.Errors.UserInputException>(() =>
            new ExploreRunner(Dir("x"), Options(ExploreStrategy.Greedy), Identity, new PlacementFake()).Run(new SweepRunOptions()));
        Assert.That(ex!.Problems, Has.Some.Contains("--budget-points"));
    }

    /// <summary>
    /// The tiny Llama fixture through the real simulator and accuracy path (statistical device model, weight noise
    /// 0.03, two chip instances): greedy placement reaches its accuracy budget, and seeded random search given the
    /// same number of evaluations finds no cheaper design within the budget. Cost is area: on this tiny model SRAM
    /// placement also lowers energy (all-SRAM is then the trivial answer), while it adds area, so area is where the
    /// search has a trade-off to make.
    /// </summary>
    [Test]
    public void Run_GreedyOnTinyModel_MeetsBudgetAndNoWorseThanRandomWithSameEvaluations()
    {
        var data = Path.Combine(_root, "text.jsonl");
        File.WriteAllText(data, "{\"text\": \"Crossbars compute a matrix-vector product in one read.\"}\n{\"text\": \"Noise in resistive memory changes weights.\"}\n");
        var model = FixturePaths.Of("llama_f32");
        var request = new SimulationRequest
        {
            HardwarePath = Path.Combine(FixturePaths.RepoRoot, "hw-configs", "default.yaml"),
            Model = model,
            PromptTokens = 4,
            GeneratedTokens = 4,
            Overrides = ["rram.noise.weight_noise.sigma=0.03"],
        };
        IPointEvaluator Evaluator() => new SimulationPointEvaluator(request, new FunctionalAccuracyProbe(model, null, data, 2, 0, RramPath.Statistical, 32));
        const string groups = "model.layers.0.self_attn.*,model.layers.0.mlp.*,model.layers.1.self_attn.*,model.layers.1.mlp.*,lm_head";
        const double budget = 15;

        var greedy = new ExploreRunner(Dir("greedy"), Options(ExploreStrategy.Greedy, budget, groups) with { TokensPerRun = 8, Cost = ExploreCost.Area }, Identity, Evaluator()).Run(new SweepRunOptions { Jobs = 2 });
        Assert.That(greedy.Points[0].Objectives!.AccuracyLossPoints, Is.GreaterThan(budget), "all-RRAM misses the budget, so the search has work to do");
        Assert.That(greedy.Answer, Is.Not.Null);
        Assert.That(greedy.Answer!.Objectives!.AccuracyLossPoints, Is.LessThanOrEqualTo(budget));
        var lastOnPath = greedy.Points.Single(p => p.Result.Id == greedy.GreedyPath[^1]);
        Assert.That(lastOnPath.Objectives!.AccuracyLossPoints, Is.LessThanOrEqualTo(budget), "greedy ends on a design within the budget");

        var random = new ExploreRunner(Dir("random"), Options(ExploreStrategy.Random, budget, groups, samples: greedy.Points.Count) with { TokensPerRun = 8, Cost = ExploreCost.Area }, Identity, Evaluator())
            .Run(new SweepRunOptions { Jobs = 2 });
        Assert.That(random.Points, Has.Count.EqualTo(greedy.Points.Count));
        Assert.That(random.Answer, Is.Not.Null, "random search also finds a design within the budget: the comparison is not empty");
        Assert.That(greedy.Answer.Objectives.AreaMm2, Is.LessThanOrEqualTo(random.Answer!.Objectives!.AreaMm2));
        Assert.That(lastOnPath.Objectives.AreaMm2, Is.LessThanOrEqualTo(random.Answer.Objectives.AreaMm2));
    }

    private static ExploreOptions BitsOptions(ExploreStrategy s, double? budget = null) => Options(s, budget, "q,down,lm_head") with { AdcBits = [4, 6, 8], BaseAdcBits = 8 };

    [Test]
    public void Run_GridWithAdcBits_EveryGroupStateOnceAndFrontIsBruteForce()
    {
        var dir = Dir("grid-bits");
        var result = new ExploreRunner(dir, BitsOptions(ExploreStrategy.Grid), Identity, new BitsFake()).Run(new SweepRunOptions { Jobs = 2 });
        // Per group: SRAM, or RRAM at 4, 6 or 8 bits (an SRAM group's bits are not varied): 4^3 designs, all different.
        Assert.That(result.Points, Has.Count.EqualTo(64));
        Assert.That(result.Points.Select(p => string.Join(";", p.SramGroups) + "|" + string.Join(";", p.AdcBits)).Distinct().Count(), Is.EqualTo(64));
        var valid = result.Points.Where(p => p.Objectives is not null).ToList();
        var brute = valid.Where(a => !valid.Any(b => Dominates(b.Objectives!, a.Objectives!))).Select(p => p.Result.Id).ToList();
        Assert.That(result.Front.Select(p => p.Result.Id), Is.EquivalentTo(brute));
        Assert.That(File.ReadAllText(Path.Combine(dir, ExploreRunner.FrontFile)), Does.StartWith("point,sram_groups,adc_bits,"));
    }

    private static bool Dominates(ExploreObjectives b, ExploreObjectives a)
    {
        double[] x = [b.EnergyPerTokenJ, b.AccuracyLossPoints, b.AreaMm2], y = [a.EnergyPerTokenJ, a.AccuracyLossPoints, a.AreaMm2];
        return x.Zip(y).All(p => p.First <= p.Second) && x.Zip(y).Any(p => p.First < p.Second);
    }

    [Test]
    public void Run_GreedyWithAdcBits_LowersBitsWithinBudgetAndMatchesGridOptimum()
    {
        // All-RRAM at 8 bits is within 12 points; each step down in bits saves ADC energy and costs accuracy, so the
        // greedy descent lowers bits until the budget binds. The fake's costs are separable, so the exhaustive grid's
        // cheapest design within the budget is what the descent must reach.
        const double budget = 12;
        var greedy = new ExploreRunner(Dir("greedy-bits"), BitsOptions(ExploreStrategy.Greedy, budget), Identity, new BitsFake()).Run(new SweepRunOptions { Jobs = 2 });
        var grid = new ExploreRunner(Dir("grid-bits2"), BitsOptions(ExploreStrategy.Grid, budget), Identity, new BitsFake()).Run(new SweepRunOptions { Jobs = 2 });
        var start = greedy.Points[0];
        Assert.Multiple(() =>
        {
            Assert.That(start.AdcBits.Values, Is.All.EqualTo(8), "greedy starts at rram.adc.bits");
            Assert.That(start.Objectives!.AccuracyLossPoints, Is.LessThanOrEqualTo(budget));
            Assert.That(greedy.Answer, Is.Not.Null);
            Assert.That(greedy.Answer!.AdcBits.Values, Has.Some.LessThan(8), "a lower-bits move was taken");
            Assert.That(greedy.Answer.Objectives!.AccuracyLossPoints, Is.LessThanOrEqualTo(budget));
            Assert.That(greedy.Answer.Objectives.EnergyPerTokenJ, Is.EqualTo(grid.Answer!.Objectives!.EnergyPerTokenJ).Within(1e-12));
            Assert.That(greedy.Points.Count, Is.LessThan(grid.Points.Count));
        });
    }

    [TestCase("4,x")]
    [TestCase("0,8")]
    [TestCase("17")]
    public void ParseBits_Bad_NamesTheOption(string list)
    {
        var ex = Assert.Throws<CimSim.Common.Errors.UserInputException>(() => PlacementGroup.ParseBits(list));
        Assert.That(ex!.Message, Does.Contain("--adc-bits"));
    }

    /// <summary>
    /// Placement and ADC bits as a closed form: an RRAM group at b bits costs a * 2^(b - 8) energy and adds
    /// c * 4^(8 - b) / 16 points of loss (quantisation noise power); on SRAM it costs its SRAM energy and area and loses
    /// nothing. Base loss 6 points.
    /// </summary>
    internal sealed class BitsFake : IPointEvaluator
    {
        private static readonly Dictionary<string, (double Sram, double Area, double Adc, double Quant)> Groups = new()
        {
            ["model.layers.*.q_proj"] = (3, 1, 2, 1),
            ["model.layers.*.down_proj"] = (6, 2, 4, 0.5),
            ["lm_head"] = (5, 3, 1, 2),
        };

        public string? CheckParameterPath(string path) => null;

        public PointOutcome Evaluate(SweepPoint point, CancellationToken cancellationToken)
        {
            double energy = 20, loss = 6, area = 100;
            foreach (var (glob, g) in Groups)
            {
                if (point.Parameters.Single(p => p.Path == PlacementGroup.PlacementPrefix + glob).Value == "sram")
                {
                    energy += g.Sram;
                    area += g.Area;
                    continue;
                }
                var bits = int.Parse(point.Parameters.Single(p => p.Path == PlacementGroup.AdcBitsPrefix + glob).Value, CultureInfo.InvariantCulture);
                energy += g.Adc * Math.Pow(2, bits - 8);
                loss += g.Quant * Math.Pow(4, 8 - bits) / 16;
            }
            return new PointOutcome(PointStatus.Ok, null,
            [
                new("latency_s", 1e-3), new("energy_j", energy), new("area_mm2", area), new("accuracy", 1 - loss / 100),
                new(FunctionalAccuracyProbe.AccuracyStdMetric, 0.01), new(FunctionalAccuracyProbe.SeedsMetric, 3),
            ], []);
        }
    }

    /// <summary>
    /// Placement as a closed form: each group on SRAM adds energy and area and removes an accuracy loss; q and k
    /// are identical (equal points exist). 3 chip instances with a fixed spread.
    /// </summary>
    internal sealed class PlacementFake : IPointEvaluator
    {
        private static readonly Dictionary<string, (double Energy, double Loss, double Area)> Groups = new()
        {
            ["model.layers.*.q_proj"] = (2, 0.04, 1),
            ["model.layers.*.k_proj"] = (2, 0.04, 1),
            ["model.layers.*.v_proj"] = (1, 0.08, 1),
            ["model.layers.*.o_proj"] = (3, 0.02, 1),
            ["model.layers.*.gate_proj"] = (5, 0.06, 2),
            ["model.layers.*.up_proj"] = (5, 0.03, 2),
            ["model.layers.*.down_proj"] = (4, 0.07, 2),
            ["lm_head"] = (-1, 0.01, 3),
        };

        private int _evaluations;

        public int Evaluations => Volatile.Read(ref _evaluations);

        public string? CheckParameterPath(string path) => null;

        public PointOutcome Evaluate(SweepPoint point, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _evaluations);
            double energy = 20, loss = 0.4, area = 100;
            foreach (var p in point.Parameters.Where(p => p.Value == "sram"))
            {
                var g = Groups[p.Path[PlacementGroup.PlacementPrefix.Length..]];
                energy += g.Energy;
                loss -= g.Loss;
                area += g.Area;
            }
            return new PointOutcome(PointStatus.Ok, null,
            [
                new("latency_s", 1e-3 * area), new("energy_j", energy), new("area_mm2", area), new("accuracy", 1 - Math.Max(0, loss)),
                new(FunctionalAccuracyProbe.AccuracyStdMetric, 0.01), new(FunctionalAccuracyProbe.SeedsMetric, 3),
            ], []);
        }
    }

    private sealed class CancelAfter(int k, CancellationTokenSource cts) : ISweepProgress
    {
        private int _n;

        public void Started(int pointsInShard, int alreadyDone) { }

        public void PointFinished(SweepPoint point, PointStatus status)
        {
            if (Interlocked.Increment(ref _n) >= k) cts.Cancel();
        }
    }
}
