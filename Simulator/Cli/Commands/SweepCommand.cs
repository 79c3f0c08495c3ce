using System.CommandLine;
using System.Runtime.InteropServices;
using CimSim.Common.IO;
using CimSim.Common.Errors;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Sweeps;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim sweep`: a design-space sweep over hardware config paths, resumable and shardable.</summary>
public sealed class SweepCommand : ICliCommand
{
    public int Order => 40;

    /// <summary>Exit code of a sweep stopped by Ctrl+C or SIGTERM before its points were all done (128 + SIGINT).</summary>
    public const int InterruptedExitCode = 130;

    public Command Build()
    {
        var w = new WorkloadOptions("Base hardware config YAML; every point applies its parameters to it as overrides.",
            "Override a config key for every point, e.g. -p rram.adc.ideal=false (repeatable; the grid's values win).");
        var grid = new Option<string>("--grid") { Description = "Sweep definition YAML: grid, list or random over config paths (docs/sweeps.md).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output directory (results.csv, results.jsonl, points/<id>/, sweep.json). Rerun into it to resume.", Required = true };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Points evaluated in parallel (default: the number of cores available to this process).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var shard = new Option<string?>("--shard") { Description = "Run only slice i of N (0 <= i < N): the points whose index is i mod N. Default: all points." };
        var retry = new Option<bool>("--retry-errors") { Description = "Evaluate again the points stored with status 'error' (default: false; invalid points are final)." };
        var accuracy = new Option<bool>("--accuracy") { Description = "Also measure accuracy on --data for every point (an 'accuracy' column; default: false)." };
        var data = new Option<string?>("--data") { Description = "Evaluation data set (JSONL: {\"text\"} or {\"question\",\"choices\",\"answer\"} lines) for --accuracy; --model must then be a model directory with safetensors weights." };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter directory used by --accuracy (default: none)." };
        var accSeeds = new Option<int>("--seeds", "--accuracy-seeds") { Description = "Chip instances (noise seeds) averaged per point by --accuracy (--accuracy-seeds is an alias).", DefaultValueFactory = _ => 1 };
        var firstSeed = new Option<ulong>("--first-seed") { Description = "Seed of the first chip instance for --accuracy.", DefaultValueFactory = _ => 0UL };
        var devicePath = new Option<string>("--device-path", "--path") { Description = "RRAM device model for --accuracy: statistical or bit-accurate (--path is an alias).", DefaultValueFactory = _ => "statistical" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Longest sequence scored by --accuracy.", DefaultValueFactory = _ => 256 };
        var progress = new Option<string>("--progress") { Description = "Progress display: auto (a bar on a terminal, log lines otherwise), bar, log or none.", DefaultValueFactory = _ => "auto" };
        progress.AcceptOnlyFromAmong("auto", "bar", "log", "none");

        var cmd = new Command("sweep", """
            Sweep hardware config paths over a grid, zipped lists or seeded random samples, simulating every point
            (in parallel on local cores) and writing one row per point to DIR/results.csv and DIR/results.jsonl plus
            each point's full report to DIR/points/<id>/. Grid paths are checked against the config schema before
            anything runs. Points that fail validation or do not fit become rows with status 'invalid' and a reason.
            Crash-safe: kill it at any moment and rerun the same command to finish only the missing points.
            Results never depend on --jobs; --shard i/N runs a deterministic slice (merge shards with `cimsim merge`).

            Example grid.yaml:
              rram.adc.bits: [4, 6, 8]
              rram.array.rows: [64, 128, 256]

            Examples:
              cimsim sweep --hw hw-configs/default.yaml --grid grid.yaml --model llama-3.2-1b --out out/sweep --jobs 2
              cimsim sweep --grid grid.yaml --out out/sweep-shard-0 --shard 0/4     # one of 4 Slurm array tasks
            """);
        w.AddTo(cmd);
        foreach (var o in new Option[] { grid, output, jobs, shard, retry, progress, accuracy, data, adapter, accSeeds, firstSeed, devicePath, maxTokens })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var request = w.ToRequest(pr);
            OutputLocation.CheckDirectory(pr.GetValue(output)!, "--out");
            var options = new SweepRunOptions { Jobs = pr.GetValue(jobs), Shard = ShardSpec.Parse(pr.GetValue(shard)), RetryErrors = pr.GetValue(retry) };
            var probe = AccuracyProbeFor(pr.GetValue(accuracy), pr.GetValue(data), request.Model, pr.GetValue(adapter),
                pr.GetValue(accSeeds), pr.GetValue(firstSeed), pr.GetValue(devicePath)!, pr.GetValue(maxTokens));
            return Run(request, pr.GetValue(grid)!, pr.GetValue(output)!, options, probe, pr.GetValue(progress)!);
        });
        return cmd;
    }

    internal static IAccuracyProbe? AccuracyProbeFor(bool accuracy, string? data, string model, string? adapter, int seeds, ulong firstSeed, string devicePath, int maxTokens)
    {
        if (!accuracy)
        {
            if (data is not null) throw new UserInputException("--data is only used with --accuracy");
            return null;
        }
        var problems = new List<string>();
        if (data is null) problems.Add("--accuracy needs --data FILE (an evaluation data set, JSONL)");
        else if (!File.Exists(data)) problems.Add($"--data '{data}': file not found");
        if (!Directory.Exists(model)) problems.Add($"--model '{model}': --accuracy needs a model directory (config.json + safetensors weights), not a preset");
        if (adapter is not null && !Directory.Exists(adapter)) problems.Add($"--adapter '{adapter}': directory not found");
        if (seeds < 1) problems.Add($"--seeds {seeds}: expected at least 1");
        if (problems.Count > 0) throw new UserInputException("invalid --accuracy options", problems);
        return new FunctionalAccuracyProbe(model, adapter, data!, seeds, firstSeed, FunctionalHardware.ParsePath(devicePath), maxTokens);
    }

    /// <summary>Runs a sweep from the CLI: validation first, then points with progress, Ctrl+C/SIGTERM stop cleanly (rows so far kept).</summary>
    public static int Run(SimulationRequest request, string gridPath, string outDir, SweepRunOptions options, IAccuracyProbe? probe, string progressMode)
    {
        if (!Devices.Config.HardwareConfigLoader.Exists(request.HardwarePath)) throw new UserInputException($"--hw '{request.HardwarePath}': hardware config not found");
        var definition = SweepDefinition.Load(gridPath);
        var evaluator = new SimulationPointEvaluator(request, probe);
        // Check the grid and the base config before anything runs (a bad base config fails every point the same way).
        SweepRunner.CheckPaths(definition, evaluator);
        var baseHardware = Devices.Config.HardwareConfigLoader.Load(request.HardwarePath, request.Overrides);
        if (probe is not null) FunctionalOptions.WarnUnseenKeys(baseHardware, definition.Axes.Select(a => a.Path).ToList());
        var runner = new SweepRunner(outDir, definition, evaluator.Identity(), evaluator);
        return Interruptible($"sweep {Path.GetFileName(Path.GetFullPath(outDir))}", progressMode, (p, ct) => runner.Run(options, p, ct), summary =>
        {
            Log.Information("sweep {Dir}: {Rows} rows in results.csv ({Ok} ok, {Invalid} invalid, {Errors} errors evaluated now; {Before} were already done)",
                outDir, summary.RowsWritten, summary.Ok, summary.Invalid, summary.Errors, summary.AlreadyDone);
            if (summary.Errors > 0) Log.Warning("{Errors} points failed inside the simulator (status 'error'); see the reason column, rerun with --retry-errors", summary.Errors);
            if (!summary.Cancelled) return 0;
            Log.Warning("stopped with {Missing} points of this shard still to run: rerun the same command to finish them", summary.Missing);
            return InterruptedExitCode;
        });
    }

    /// <summary>
    /// Runs sweep-like work with the chosen progress display; Ctrl+C or SIGTERM cancel the token (points in flight
    /// finish, tables are written), a second Ctrl+C kills. <paramref name="report"/> turns the result into an exit code.
    /// </summary>
    internal static int Interruptible<T>(string title, string progressMode, Func<ISweepProgress?, CancellationToken, T> work, Func<T, int> report)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // second Ctrl+C: let the process die
            e.Cancel = true;
            Log.Warning("interrupted: finishing the points in flight, then writing the tables (Ctrl+C again to kill)");
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            Log.Warning("SIGTERM: finishing the points in flight, then writing the tables");
            cts.Cancel();
        });
        try
        {
            var mode = progressMode == "auto" ? (TerminalProgress.Available ? "bar" : "log") : progressMode;
            var result = mode switch
            {
                "bar" => TerminalProgress.Run(title, p => work(p, cts.Token)),
                "log" => work(new LogLineProgress(TimeSpan.FromSeconds(10)), cts.Token),
                _ => work(null, cts.Token),
            };
            return report(result);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
