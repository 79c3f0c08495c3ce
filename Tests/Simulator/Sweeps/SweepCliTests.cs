using System.Diagnostics;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Sweeps;

namespace CimSim.Tests.Simulator.Sweeps;

/// <summary>The sweep command end to end, on the real simulator, with a small model so each point takes a fraction of a second.</summary>
public class SweepCliTests
{
    private const string Grid = "rram.adc.bits: [5, 6, 7, 8]\nrram.array.rows: [64, 128, 256, 512]\n";
    private static readonly string[] Workload = ["--model", "qwen2.5-0.5b", "--prompt", "64", "--generate", "16"];
    private string _root = "";

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("cimsim-sweep-cli-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    private static string Tables(string dir) =>
        File.ReadAllText(Path.Combine(dir, SweepOutput.CsvFile)) + "\n---\n" + File.ReadAllText(Path.Combine(dir, SweepOutput.JsonlFile));

    private string[] SweepArgs(string grid, string outDir, int jobs) =>
        [ProcessHelpers.CimsimDll, "sweep", "--hw", Path.Combine(ProcessHelpers.RepoRoot(), "hw-configs", "default.yaml"), "--grid", grid,
         "--out", outDir, "--jobs", jobs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--progress", "none", .. Workload];

    [Test]
    public void Sweep_ProcessKilledMidwayThenRerun_ExactlyTheFullSetOfRows()
    {
        var grid = Path.Combine(_root, "grid.yaml");
        File.WriteAllText(grid, Grid);
        var outDir = Path.Combine(_root, "killed");

        // Kill -9 the sweep as soon as its first point has committed.
        using (var child = Process.Start(ProcessHelpers.Info("dotnet", SweepArgs(grid, outDir, 1)))!)
        {
            child.StandardOutput.ReadToEndAsync();
            child.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!child.HasExited && DateTime.UtcNow < deadline
                   && !(Directory.Exists(Path.Combine(outDir, "points")) && Directory.EnumerateFiles(Path.Combine(outDir, "points"), SweepOutput.ResultFile, SearchOption.AllDirectories).Any()))
                Thread.Sleep(10);
            Assert.That(child.HasExited, Is.False, "the sweep finished before it could be killed; the test needs more points");
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        var committed = Directory.EnumerateFiles(Path.Combine(outDir, "points"), SweepOutput.ResultFile, SearchOption.AllDirectories).Count();
        Assert.That(committed, Is.InRange(1, 15), "killed mid-way");

        var (rc, output) = ProcessHelpers.Run("dotnet", SweepArgs(grid, outDir, 2));
        Assert.That(rc, Is.Zero, output);
        Assert.That(output, Does.Contain($"{committed} already done"));

        // The same sweep run in-process, uninterrupted, on one job.
        var fresh = Path.Combine(_root, "fresh");
        var request = new SimulationRequest { HardwarePath = Path.Combine(ProcessHelpers.RepoRoot(), "hw-configs", "default.yaml"), Model = "qwen2.5-0.5b", PromptTokens = 64, GeneratedTokens = 16 };
        var evaluator = new SimulationPointEvaluator(request);
        new SweepRunner(fresh, SweepDefinition.Load(grid), evaluator.Identity(), evaluator).Run(new SweepRunOptions { Jobs = 1 });

        var lines = File.ReadAllLines(Path.Combine(outDir, SweepOutput.CsvFile));
        Assert.That(lines, Has.Length.EqualTo(17));
        Assert.That(lines.Skip(1).Select(l => l.Split(',')[0]), Is.Unique);
        Assert.That(Tables(outDir), Is.EqualTo(Tables(fresh)));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "points", "p0009", "report.json")), Is.EqualTo(File.ReadAllText(Path.Combine(fresh, "points", "p0009", "report.json"))));
    }

    [Test]
    public void Sweep_BadGridPath_ExitCode2NamingThePathAndNothingWritten()
    {
        var grid = Path.Combine(_root, "bad.yaml");
        File.WriteAllText(grid, "rram.adc.bits: [6, 8]\nrram.adc.cols_per_acd: [4, 8]\n");
        var outDir = Path.Combine(_root, "bad");
        var (rc, output) = ProcessHelpers.Run("dotnet", SweepArgs(grid, outDir, 1));
        Assert.That(rc, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain("line 2: 'rram.adc.cols_per_acd' is not a hardware config key; did you mean 'rram.adc.cols_per_adc'?"));
        Assert.That(output, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(Directory.Exists(outDir), Is.False);
    }

    [Test]
    public void Evaluate_InvalidOverrideOrDoesNotFit_InvalidRowsWithReasons()
    {
        var request = new SimulationRequest { HardwarePath = Path.Combine(ProcessHelpers.RepoRoot(), "hw-configs", "default.yaml"), Model = "qwen2.5-0.5b", PromptTokens = 8, GeneratedTokens = 2 };
        var evaluator = new SimulationPointEvaluator(request);
        var dir = Path.Combine(_root, "inv");
        new SweepRunner(dir, SweepDefinition.Parse("mode: list\nparameters:\n  rram.adc.cols_per_adc: [8, 6, 8]\n  chip.tiles: [0, 0, 1]\n", "g.yaml"), evaluator.Identity(), evaluator)
            .Run(new SweepRunOptions { Jobs = 2 });
        var lines = File.ReadAllLines(Path.Combine(dir, SweepOutput.CsvFile));
        Assert.That(lines[1], Does.StartWith("p0000,ok,8,0,"));
        Assert.That(lines[2], Does.StartWith("p0001,invalid,6,0,").And.Contain("rram.adc.cols_per_adc").And.Contain("power of two"));
        Assert.That(lines[3], Does.StartWith("p0002,invalid,8,1,").And.Contain("does not fit").And.Contain("chip.tiles"));
    }
}
