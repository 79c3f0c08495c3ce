using System.CommandLine;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Devices.Config;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Sweeps;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim explore`: design-space search for the energy / accuracy-loss / area front over hardware keys and per-module placement.</summary>
public sealed class ExploreCommand : ICliCommand
{
    public int Order => 41;

    public Command Build()
    {
        var w = new WorkloadOptions("Base hardware config YAML; every design applies its hardware keys and placement to it as overrides.",
            "Override a config key for every design, e.g. -p rram.noise.weight_noise.sigma=0.02 (repeatable).");
        var output = new Option<string>("--out", "-o") { Description = "Output directory (explore.json, explore.md, front.csv, results.csv, points/ or round-NN/). Rerun into it to resume.", Required = true };
        var strategy = new Option<string>("--strategy") { Description = "grid (every combination), random (--samples seeded draws) or greedy (marginal-gain placement, needs --budget-points).", DefaultValueFactory = _ => "greedy" };
        strategy.AcceptOnlyFromAmong("grid", "random", "greedy");
        var groups = new Option<string>("--groups") { Description = "Placement groups whose W0 may move from RRAM to SRAM: projection classes (q_proj or q, ... down_proj), lm_head, or mapping.placement globs, comma-separated.", DefaultValueFactory = _ => PlacementGroup.DefaultList };
        var adcBits = new Option<string?>("--adc-bits") { Description = "ADC resolutions each RRAM group may take, comma-separated (e.g. 4,6,8): searched per group through mapping.adc_bits (grid: every group at every value; random: drawn; greedy: raise/lower one step from rram.adc.bits). Default: not searched." };
        var grid = new Option<string?>("--grid") { Description = "Hardware keys to search, a sweep grid file (docs/sweeps.md); lists for grid, lists or ranges for random, one value each for greedy. Default: none." };
        var budget = new Option<double?>("--budget-points") { Description = "Answer 'the cheapest design within X points of ideal accuracy' (mean loss over the seeds); greedy searches until it holds." };
        var cost = new Option<string>("--cost") { Description = "What 'cheapest' minimises: energy (per token) or area.", DefaultValueFactory = _ => "energy" };
        cost.AcceptOnlyFromAmong("energy", "area");
        var samples = new Option<int>("--samples") { Description = "Designs drawn by --strategy random.", DefaultValueFactory = _ => 32 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random draws of --strategy random.", DefaultValueFactory = _ => 1UL };
        var data = new Option<string>("--data") { Description = "Evaluation data set (JSONL) for the accuracy loss; --model must be a model directory with safetensors weights.", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter directory (default: none)." };
        var accSeeds = new Option<int>("--seeds") { Description = "Chip instances (noise seeds) per design; the loss interval needs at least 2.", DefaultValueFactory = _ => 3 };
        var firstSeed = new Option<ulong>("--first-seed") { Description = "Seed of the first chip instance.", DefaultValueFactory = _ => 0UL };
        var devicePath = new Option<string>("--device-path") { Description = "RRAM device model: statistical or bit-accurate.", DefaultValueFactory = _ => "statistical" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Longest sequence scored.", DefaultValueFactory = _ => 256 };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Designs evaluated in parallel (default: the cores available).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var shard = new Option<string?>("--shard") { Description = "grid/random only: run slice i of N (merge with `cimsim merge`, then rerun explore into the merged directory)." };
        var retry = new Option<bool>("--retry-errors") { Description = "Evaluate again designs stored with status 'error'." };
        var progress = new Option<string>("--progress") { Description = "auto, bar, log or none.", DefaultValueFactory = _ => "auto" };
        progress.AcceptOnlyFromAmong("auto", "bar", "log", "none");

        var cmd = new Command("explore", """
            Search hardware keys and per-module placement (which projection classes keep W0 in SRAM instead of
            RRAM, through mapping.placement globs, and with --adc-bits each class's ADC bits, through
            mapping.adc_bits) for the Pareto front of energy per token, accuracy loss against
            ideal devices (percentage points, 95 % interval over --seeds chip instances) and area. Every design is
            a sweep point: crash-safe and resumable (rerun the same command); grid and random shard like sweeps.
            --budget-points X prints the cheapest design within X points of ideal accuracy (also in explore.json).

            Examples:
              cimsim explore --model DIR --data eval.jsonl --budget-points 1 --out out/explore
              cimsim explore --model DIR --data eval.jsonl --strategy grid --grid adc.yaml --groups q,k,v,lm_head --out out/grid
              cimsim explore --model DIR --data eval.jsonl --budget-points 1 --adc-bits 4,6,8 --out out/adc
            """);
        w.AddTo(cmd);
        foreach (var o in new Option[] { output, strategy, groups, adcBits, grid, budget, cost, samples, seed, data, adapter, accSeeds, firstSeed, devicePath, maxTokens, jobs, shard, retry, progress })
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var request = w.ToRequest(pr);
            var outDir = pr.GetValue(output)!;
            OutputLocation.CheckDirectory(outDir, "--out");
            var runOptions = new SweepRunOptions { Jobs = pr.GetValue(jobs), Shard = ShardSpec.Parse(pr.GetValue(shard)), RetryErrors = pr.GetValue(retry) };
            var probe = SweepCommand.AccuracyProbeFor(true, pr.GetValue(data), request.Model, pr.GetValue(adapter),
                pr.GetValue(accSeeds), pr.GetValue(firstSeed), pr.GetValue(devicePath)!, pr.GetValue(maxTokens))!;
            if (pr.GetValue(samples) < 1) throw new UserInputException($"--samples {pr.GetValue(samples)}: expected at least 1");
            var gridPath = pr.GetValue(grid);
            var options = new ExploreOptions
            {
                Strategy = Enum.Parse<ExploreStrategy>(pr.GetValue(strategy)!, ignoreCase: true),
                Groups = PlacementGroup.ParseList(pr.GetValue(groups)!),
                AdcBits = PlacementGroup.ParseBits(pr.GetValue(adcBits)),
                HardwareAxes = gridPath is null ? [] : SweepDefinition.Load(gridPath).Axes,
                BudgetPoints = pr.GetValue(budget),
                Cost = pr.GetValue(cost) == "area" ? ExploreCost.Area : ExploreCost.Energy,
                Samples = pr.GetValue(samples),
                Seed = pr.GetValue(seed),
                TokensPerRun = request.Batch * (request.PromptTokens + request.GeneratedTokens),
            };
            return Run(request, options, outDir, runOptions, probe, pr.GetValue(progress)!);
        });
        return cmd;
    }

    /// <summary>Checks the inputs (every group's glob and every hardware key against the base config), explores, prints the answer.</summary>
    public static int Run(SimulationRequest request, ExploreOptions options, string outDir, SweepRunOptions runOptions, IAccuracyProbe probe, string progressMode)
    {
        if (!HardwareConfigLoader.Exists(request.HardwarePath)) throw new UserInputException($"--hw '{request.HardwarePath}': hardware config not found");
        var evaluator = new SimulationPointEvaluator(request, probe);
        SweepRunner.CheckPaths(new SweepDefinition("--grid", SweepMode.Grid, options.HardwareAxes, 0, 0), evaluator);
        // Every group on SRAM at once: a bad glob or a config that rejects the placement fails here, before any design runs.
        var hardware = HardwareConfigLoader.Load(request.HardwarePath, request.Overrides.Concat(options.Groups.Select(g => g.Path + "=sram")).ToList());
        // Greedy starts every group at the base design's ADC bits (a pinned grid value of rram.adc.bits included).
        var baseBits = options.HardwareAxes.FirstOrDefault(a => a.Path == "rram.adc.bits" && !a.IsRange)?.Values[0];
        options = options with { BaseAdcBits = baseBits is null ? hardware.Rram.Adc.Bits : HardwareConfigLoader.With(hardware, "rram.adc.bits", baseBits).Rram.Adc.Bits };
        FunctionalOptions.WarnUnseenKeys(hardware, options.HardwareAxes.Select(a => a.Path).ToList());
        var runner = new ExploreRunner(outDir, options, evaluator.Identity(), evaluator);
        return SweepCommand.Interruptible($"explore {Path.GetFileName(Path.GetFullPath(outDir))}", progressMode, (p, ct) => runner.Run(runOptions, p, ct), result =>
        {
            Console.Out.Write(runner.Summary(result));
            if (result.Points.Count > 0)
                Log.Information("wrote {File} and {Plots}", SweepHtml.Write(outDir, SweepPlots.Draw(outDir, Path.Combine(outDir, "plots"))), Path.Combine(outDir, "plots"));
            Log.Information("explore {Dir}: {Points} designs, {Front} on the front; wrote {Json}, {Csv}, {Md}", outDir, result.Points.Count, result.Front.Count,
                ExploreRunner.ResultFile, ExploreRunner.FrontFile, ExploreRunner.SummaryFile);
            if (!result.Cancelled) return 0;
            Log.Warning("stopped before the search finished: rerun the same command to resume it");
            return SweepCommand.InterruptedExitCode;
        });
    }
}
