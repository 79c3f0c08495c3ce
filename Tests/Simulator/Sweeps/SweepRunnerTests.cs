using CimSim.Common.Errors;
using CimSim.Simulator.Sweeps;

namespace CimSim.Tests.Simulator.Sweeps;

public class SweepRunnerTests
{
    private const string Grid = "rram.adc.bits: [4, 6, 8]\nrram.array.rows: [64, 128, 256]\nrram.noise.sigma: [0.005, 0.02]\n";
    private static readonly KeyValuePair<string, string>[] Identity = [new("hw_sha256", "abc"), new("model", "fake")];
    private string _root = "";

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("cimsim-sweep-test-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private string Dir(string name) => Path.Combine(_root, name);

    private static SweepRunner Runner(string dir, IPointEvaluator evaluator, string grid = Grid) =>
        new(dir, SweepDefinition.Parse(grid, "grid.yaml"), Identity, evaluator);

    private static string Tables(string dir) =>
        File.ReadAllText(Path.Combine(dir, SweepOutput.CsvFile)) + "\n---\n" + File.ReadAllText(Path.Combine(dir, SweepOutput.JsonlFile));

    [Test]
    public void Run_FullGrid_OneRowPerPointWithInvalidPointsAndReasons()
    {
        var summary = Runner(Dir("a"), new FakeEvaluator()).Run(new SweepRunOptions { Jobs = 2 });
        var lines = File.ReadAllLines(Path.Combine(Dir("a"), SweepOutput.CsvFile));
        Assert.That(summary.RowsWritten, Is.EqualTo(18));
        Assert.That(lines, Has.Length.EqualTo(19));
        Assert.That(lines[0], Does.StartWith("point,status,rram.adc.bits,rram.array.rows,rram.noise.sigma,latency_s,energy_j"));
        Assert.That(lines.Count(l => l.Contains(",invalid,", StringComparison.Ordinal) && l.Contains("does not fit", StringComparison.Ordinal)), Is.EqualTo(6));
        Assert.That(summary.Invalid, Is.EqualTo(6));
        Assert.That(File.Exists(Path.Combine(Dir("a"), "points", "p0000", SweepOutput.ReportFile)), Is.True);
        Assert.That(File.ReadAllLines(Path.Combine(Dir("a"), SweepOutput.JsonlFile)), Has.Length.EqualTo(18));
    }

    [Test]
    public void Run_CancelledAfterSomePointsThenRerun_ExactlyTheFullSetOfRows()
    {
        using var cts = new CancellationTokenSource();
        var first = new FakeEvaluator();
        var partial = Runner(Dir("resumed"), first).Run(new SweepRunOptions { Jobs = 2 }, new CancelAfter(5, cts), cts.Token);
        Assert.That(partial.Cancelled, Is.True);
        Assert.That(partial.RowsWritten, Is.LessThan(18).And.GreaterThanOrEqualTo(5));
        var partialRows = File.ReadAllLines(Path.Combine(Dir("resumed"), SweepOutput.CsvFile)).Length - 1;
        Assert.That(partialRows, Is.EqualTo(partial.RowsWritten));

        var second = new FakeEvaluator();
        var rest = Runner(Dir("resumed"), second).Run(new SweepRunOptions { Jobs = 2 });
        Assert.That(rest.AlreadyDone, Is.EqualTo(partial.RowsWritten));
        Assert.That(second.Evaluations, Is.EqualTo(18 - partial.RowsWritten), "only the missing points run again");

        Runner(Dir("fresh"), new FakeEvaluator()).Run(new SweepRunOptions { Jobs = 1 });
        Assert.That(Tables(Dir("resumed")), Is.EqualTo(Tables(Dir("fresh"))));
    }

    [Test]
    public void Run_CrashBetweenReportAndResult_PointIsRecomputedAndTemporariesRemoved()
    {
        Runner(Dir("a"), new FakeEvaluator()).Run(new SweepRunOptions { Jobs = 1 });
        var expected = Tables(Dir("a"));
        // What a kill leaves behind: a point whose commit marker is missing, and a half-written temporary.
        var p3 = Path.Combine(Dir("a"), "points", "p0003");
        File.Delete(Path.Combine(p3, SweepOutput.ResultFile));
        File.WriteAllText(Path.Combine(p3, SweepOutput.ResultFile + ".tmp-123-4"), "{\"point\": \"p00");
        File.WriteAllText(Path.Combine(Dir("a"), SweepOutput.CsvFile), "point,status\np0000,o");

        var evaluator = new FakeEvaluator();
        Runner(Dir("a"), evaluator).Run(new SweepRunOptions { Jobs = 2 });
        Assert.That(evaluator.Evaluations, Is.EqualTo(1));
        Assert.That(Tables(Dir("a")), Is.EqualTo(expected));
        Assert.That(Directory.EnumerateFiles(Dir("a"), "*.tmp-*", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public void Run_Jobs1AndJobs2_IdenticalOutputs()
    {
        Runner(Dir("j1"), new FakeEvaluator()).Run(new SweepRunOptions { Jobs = 1 });
        Runner(Dir("j2"), new FakeEvaluator()).Run(new SweepRunOptions { Jobs = 2 });
        Assert.That(Tables(Dir("j2")), Is.EqualTo(Tables(Dir("j1"))));
        Assert.That(File.ReadAllText(Path.Combine(Dir("j2"), SweepManifest.FileName)), Is.EqualTo(File.ReadAllText(Path.Combine(Dir("j1"), SweepManifest.FileName))));
    }

    [Test]
    public void Merge_ThreeShards_EqualsUnshardedRun()
    {
        Runner(Dir("all"), new FakeEvaluator()).Run(new SweepRunOptions { Jobs = 2 });
        var shards = new List<string>();
        var counts = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            shards.Add(Dir("shard" + i));
            counts.Add(Runner(shards[^1], new FakeEvaluator()).Run(new SweepRunOptions { Jobs = 1, Shard = new ShardSpec(i, 3) }).RowsWritten);
        }
        Assert.That(counts, Is.EqualTo(new[] { 6, 6, 6 }));
        var summary = SweepMerger.Merge(shards, Dir("merged"), allowPartial: false);
        Assert.That(summary.Merged, Is.EqualTo(18));
        Assert.That(Tables(Dir("merged")), Is.EqualTo(Tables(Dir("all"))));
        Assert.That(File.ReadAllText(Path.Combine(Dir("merged"), "points", "p0013", SweepOutput.ReportFile)),
            Is.EqualTo(File.ReadAllText(Path.Combine(Dir("all"), "points", "p0013", SweepOutput.ReportFile))));
    }

    [Test]
    public void Merge_MissingShard_RefusedUnlessPartialAllowed()
    {
        Runner(Dir("s0"), new FakeEvaluator()).Run(new SweepRunOptions { Shard = new ShardSpec(0, 2) });
        var ex = Assert.Throws<UserInputException>(() => SweepMerger.Merge([Dir("s0")], Dir("m"), allowPartial: false));
        Assert.That(ex!.Message, Does.Contain("9 of 18 points").And.Contain("p0001"));
        Assert.That(SweepMerger.Merge([Dir("s0")], Dir("m"), allowPartial: true).MissingIds, Has.Count.EqualTo(9));
    }

    [Test]
    public void Run_BadGridPath_RejectedBeforeAnythingRunsNamingThePath()
    {
        var evaluator = new FakeEvaluator();
        var ex = Assert.Throws<UserInputException>(() =>
            Runner(Dir("bad"), evaluator, "rram.adc.bits: [4, 8]\nrram.adc.bitz: [1, 2]\nsram.macro.rowz: [1]\n").Run(new SweepRunOptions()));
        Assert.That(ex!.Message, Does.Contain("line 2: 'rram.adc.bitz'").And.Contain("did you mean 'rram.adc.bits'")
            .And.Contain("line 3: 'sram.macro.rowz'").And.Contain("'sram.macro.rows'"));
        Assert.That(evaluator.Evaluations, Is.Zero);
        Assert.That(Directory.Exists(Dir("bad")), Is.False, "nothing is written before the paths are checked");
    }

    [Test]
    public void Run_SameDirectoryDifferentSweep_RefusedNamingTheDifference()
    {
        Runner(Dir("a"), new FakeEvaluator(), "rram.adc.bits: [4, 8]\n").Run(new SweepRunOptions());
        var ex = Assert.Throws<UserInputException>(() => Runner(Dir("a"), new FakeEvaluator(), "rram.adc.bits: [4, 6]\n").Run(new SweepRunOptions()));
        Assert.That(ex!.Message, Does.Contain("different sweep").And.Contain("point values differ"));
    }

    [Test]
    public void Run_EvaluatorThrowsUserInputException_PointIsInvalidRowWithReason()
    {
        Runner(Dir("a"), new FakeEvaluator(), "rram.noise.sigma: [0.01, -1]\n").Run(new SweepRunOptions());
        var lines = File.ReadAllLines(Path.Combine(Dir("a"), SweepOutput.CsvFile));
        Assert.That(lines[2], Does.StartWith("p0001,invalid,-1,").And.Contain("is negative"));
    }

    /// <summary>Cancels the run after k points have committed: a kill at an arbitrary moment, in-process.</summary>
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
