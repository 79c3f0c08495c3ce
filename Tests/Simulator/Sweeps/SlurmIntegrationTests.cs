using System.Globalization;
using System.Text.RegularExpressions;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Sweeps;

namespace CimSim.Tests.Simulator.Sweeps;

/// <summary>
/// The cluster path on a real Slurm: starts a single-node Slurm (Debian slurm-wlm + munge, on loopback, all
/// state in a temporary directory) with scripts/slurm/local-cluster.sh, submits docs/slurm/sweep.sbatch as a
/// 4-task array, merges the shards and compares with the unsharded run; then submits docs/slurm/accuracy.sbatch as
/// a 2-task array on the fixture Llama and compares the merged accuracy report with the unsharded `cimsim accuracy`;
/// then stops every daemon it started, by PID.
/// </summary>
[NonParallelizable]
public partial class SlurmIntegrationTests
{
    private const int Tasks = 4;

    [Test]
    public void SweepSbatchArray_ShardsMerged_EqualUnshardedRun()
    {
        var missing = new[] { "munged", "slurmctld", "slurmd", "sbatch", "scontrol", "sinfo" }.Where(b => ProcessHelpers.Which(b) is null).ToList();
        if (missing.Count > 0) Assert.Ignore("Slurm/munge not installed (missing " + string.Join(", ", missing) + "); scripts/install-deps.sh installs slurm-wlm and munge");

        var repo = ProcessHelpers.RepoRoot();
        var root = Directory.CreateTempSubdirectory("cimsim-slurm-").FullName;
        var cluster = Path.Combine(root, "cluster");
        var script = Path.Combine(repo, "scripts", "slurm", "local-cluster.sh");
        var grid = Path.Combine(root, "grid.yaml");
        File.WriteAllText(grid, "rram.adc.bits: [6, 8]\nrram.array.rows: [64, 128, 256]\n");
        var hw = Path.Combine(repo, "hw-configs", "default.yaml");
        // The hardware config lies beside the grid and is named relatively: the template must resolve it there, not in
        // the job's working directory (an empty one).
        File.Copy(hw, Path.Combine(root, "chip.yaml"));
        var workDir = Directory.CreateDirectory(Path.Combine(root, "work")).FullName;
        string[] sweepOptions = ["--hw", "chip.yaml", "--model", "qwen2.5-0.5b", "--prompt", "16", "--generate", "4"];
        var env = new Dictionary<string, string>
        {
            ["SLURM_CONF"] = Path.Combine(cluster, "slurm.conf"),
            ["CIMSIM"] = "dotnet " + ProcessHelpers.CimsimDll,
        };
        var pids = new List<int>();
        try
        {
            var (rc, output) = ProcessHelpers.Run("bash", [script, "start", cluster], timeoutSeconds: 60);
            Assert.That(rc, Is.Zero, "local Slurm did not start:\n" + output);
            pids.AddRange(File.ReadAllLines(Path.Combine(cluster, "pids")).Select(int.Parse));
            Assert.That(pids, Has.Count.EqualTo(3), "munged, slurmctld, slurmd");

            (rc, output) = ProcessHelpers.Run("sbatch",
                ["--parsable", $"--array=0-{Tasks - 1}", "--chdir=" + workDir,
                 Path.Combine(repo, "docs", "slurm", "sweep.sbatch"), grid, Path.Combine(root, "out"), .. sweepOptions], env);
            Assert.That(rc, Is.Zero, output);
            var jobId = output.Trim().Split(';')[0];

            var states = WaitForArray(jobId, env, TimeSpan.FromSeconds(240));
            var logDir = Path.Combine(root, "out", "logs");
            var logs = Directory.Exists(logDir)
                ? string.Join("\n", Directory.EnumerateFiles(logDir).Order(StringComparer.Ordinal).Select(f => f + ":\n" + File.ReadAllText(f))) : "(no logs)";
            Assert.That(states, Has.Count.EqualTo(Tasks), logs);
            Assert.That(states.Values, Is.All.EqualTo("COMPLETED 0:0"), logs);
            Assert.That(Directory.EnumerateFiles(logDir, "shard-*.log").Count(), Is.EqualTo(Tasks), "one log per task under the sweep directory");
            Assert.That(Directory.EnumerateFileSystemEntries(workDir), Is.Empty, "nothing written to the job's working directory");

            var shards = Enumerable.Range(0, Tasks).Select(i => Path.Combine(root, "out", "shard-" + i)).ToList();
            (rc, output) = ProcessHelpers.Run("dotnet", [ProcessHelpers.CimsimDll, "merge", .. shards, "--out", Path.Combine(root, "merged")]);
            Assert.That(rc, Is.Zero, output);

            var request = new SimulationRequest { HardwarePath = Path.Combine(root, "chip.yaml"), Model = "qwen2.5-0.5b", PromptTokens = 16, GeneratedTokens = 4 };
            var evaluator = new SimulationPointEvaluator(request);
            var unsharded = Path.Combine(root, "unsharded");
            new SweepRunner(unsharded, SweepDefinition.Load(grid), evaluator.Identity(), evaluator).Run(new SweepRunOptions { Jobs = 2 });

            foreach (var f in new[] { SweepOutput.CsvFile, SweepOutput.JsonlFile, SweepManifest.FileName })
                Assert.That(File.ReadAllText(Path.Combine(root, "merged", f)), Is.EqualTo(File.ReadAllText(Path.Combine(unsharded, f))), f);
            Assert.That(File.ReadAllLines(Path.Combine(root, "merged", SweepOutput.CsvFile)), Has.Length.EqualTo(7));

            // Accuracy: 2 noise levels x 2 seeds x 2 chunks = 8 units over a 2-task array; merged == unsharded, byte for byte.
            var data = Path.Combine(root, "eval.jsonl");
            File.WriteAllText(data, "{\"text\": \"A job array splits the study.\"}\n{\"question\": \"1+1=\", \"choices\": [\"2\", \"3\"], \"answer\": 0}\n");
            string[] accuracyOptions = ["--model", FixturePaths.Of("llama_f32"), "--data", data, "--hw", Path.Combine(root, "chip.yaml"),
                "--seeds", "2", "--sigma", "0.01,0.02", "--chunk-items", "1"];
            (rc, output) = ProcessHelpers.Run("sbatch",
                ["--parsable", "--array=0-1", "--chdir=" + workDir, Path.Combine(repo, "docs", "slurm", "accuracy.sbatch"), Path.Combine(root, "acc"), .. accuracyOptions], env);
            Assert.That(rc, Is.Zero, output);
            var accStates = WaitForArray(output.Trim().Split(';')[0], env, TimeSpan.FromSeconds(240), tasks: 2);
            var accLogDir = Path.Combine(root, "acc", "logs");
            var accLogs = Directory.Exists(accLogDir)
                ? string.Join("\n", Directory.EnumerateFiles(accLogDir).Order(StringComparer.Ordinal).Select(f => f + ":\n" + File.ReadAllText(f))) : "(no logs)";
            Assert.That(accStates, Has.Count.EqualTo(2), accLogs);
            Assert.That(accStates.Values, Is.All.EqualTo("COMPLETED 0:0"), accLogs);
            (rc, output) = ProcessHelpers.Run("dotnet", [ProcessHelpers.CimsimDll, "merge", Path.Combine(root, "acc", "shard-0"), Path.Combine(root, "acc", "shard-1"),
                "--out", Path.Combine(root, "acc", "merged")]);
            Assert.That(rc, Is.Zero, output);
            (rc, output) = ProcessHelpers.Run("dotnet", [ProcessHelpers.CimsimDll, "accuracy", .. accuracyOptions, "--out", Path.Combine(root, "acc-unsharded")]);
            Assert.That(rc, Is.Zero, output);
            foreach (var f in new[] { "report.json", "report.md" })
                Assert.That(File.ReadAllText(Path.Combine(root, "acc", "merged", f)), Is.EqualTo(File.ReadAllText(Path.Combine(root, "acc-unsharded", f))), f);
        }
        finally
        {
            var (rc, output) = ProcessHelpers.Run("bash", [script, "stop", cluster], timeoutSeconds: 60);
            Assert.That(rc, Is.Zero, "stop failed: " + output);
            foreach (var pid in pids) Assert.That(IsAlive(pid), Is.False, $"daemon {pid} still running after stop");
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Polls `scontrol show job` until every array task has finished; returns "STATE ExitCode" per task id.</summary>
    private static Dictionary<int, string> WaitForArray(string jobId, Dictionary<string, string> env, TimeSpan timeout, int tasks = Tasks)
    {
        var deadline = DateTime.UtcNow + timeout;
        var result = new Dictionary<int, string>();
        while (DateTime.UtcNow < deadline)
        {
            var (rc, output) = ProcessHelpers.Run("scontrol", ["show", "job", jobId, "--oneliner"], env, timeoutSeconds: 30);
            if (rc == 0)
            {
                result.Clear();
                var pending = false;
                foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var task = TaskId().Match(line);
                    var state = Field(line, "JobState");
                    var exit = Field(line, "ExitCode");
                    if (!task.Success || !int.TryParse(task.Groups[1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)) { pending = true; continue; }
                    if (state is "PENDING" or "RUNNING" or "CONFIGURING" or "COMPLETING" or "SUSPENDED") pending = true;
                    result[id] = state + " " + exit;
                }
                if (!pending && result.Count == tasks) return result;
            }
            Thread.Sleep(250);
        }
        return result;
    }

    private static string Field(string line, string name)
    {
        var m = Regex.Match(line, $@"\b{name}=(\S+)");
        return m.Success ? m.Groups[1].Value : "";
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"\bArrayTaskId=(\S+)")]
    private static partial Regex TaskId();
}
