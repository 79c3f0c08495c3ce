using System.CommandLine;
using CimSim.Common.IO;
using CimSim.Simulator.Lifecycle;
using Spectre.Console;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim lifecycle`: the chip over its life (docs/lifecycle.md).</summary>
public sealed class LifecycleCommand : ICliCommand
{
    public int Order => 35;

    public Command Build()
    {
        var w = new WorkloadOptions("Hardware config YAML.", "Override a hardware config key, e.g. -p rram.program_verify.enabled=true (repeatable).");
        var months = new Option<double>("--months") { Description = "Deployment length, months.", DefaultValueFactory = _ => 12 };
        var adapters = new Option<int>("--adapters") { Description = "K adapters (tasks) served by the chip.", DefaultValueFactory = _ => 4 };
        var swapEvery = new Option<int>("--swap-every") { Description = "M: the request mix switches task every M requests.", DefaultValueFactory = _ => 100 };
        var rate = new Option<double>("--requests-per-day") { Description = "Requests served per day (an input assumption).", DefaultValueFactory = _ => 10_000 };
        var refresh = new Option<double>("--refresh") { Description = "Re-program W0 every this many days (0 = never).", DefaultValueFactory = _ => 0 };
        var retune = new Option<double>("--retune") { Description = "Re-tune the adapters every this many days (0 = never).", DefaultValueFactory = _ => 0 };
        var retuneHours = new Option<double>("--retune-gpu-hours") { Description = "GPU-hours to re-tune one adapter (an input assumption).", DefaultValueFactory = _ => 1 };
        var accModel = new Option<string?>("--accuracy-model") { Description = "Small stand-in model directory for accuracy over time (with --data); default: no accuracy points." };
        var data = new Option<string?>("--data") { Description = "Evaluation data for the accuracy points (JSONL, docs/workloads.md)." };
        var accAdapter = new Option<string?>("--accuracy-adapter") { Description = "The deployed LoRA (PEFT adapter directory) the accuracy points run with; default: the base model." };
        var emit = new Option<string?>("--emit-profiles") { Description = "Write the noise profile of the drifted chip (seed 0) at every accuracy age into this directory (profile-AGE.json, for cimsim-train --noise-profile)." };
        var retuned = new Option<string[]>("--retuned-adapter") { Description = "AGE=PATH: a LoRA re-tuned against the chip at that accuracy age (1s, 1h, 1day, 1month, 1year, ...), scored beside the deployed one (repeatable).", AllowMultipleArgumentsPerToken = false };
        var seeds = new Option<int>("--seeds") { Description = "Chip instances per accuracy point.", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--out", "-o") { Description = "Directory for report.json and report.md.", DefaultValueFactory = _ => "out/lifecycle" };
        var cmd = new Command("lifecycle", """
            The chip over its life: program W0 (program-and-verify), serve K adapters switching task every M requests
            (swaps into SRAM), refresh and re-tune on a schedule, accuracy over deployment time from the drift model;
            energy by phase of life and per served token beside the GPU (docs/lifecycle.md).

            Example:
              cimsim lifecycle --model llama-3.2-1b --months 12 --adapters 4 --swap-every 100 --refresh 30 -p rram.program_verify.enabled=true -p rram.noise.programming.impl=polynomial --out out/lifecycle
            """)
        {
            months, adapters, swapEvery, rate, refresh, retune, retuneHours, accModel, data, accAdapter, emit, retuned, seeds, output,
        };
        w.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            var dir = pr.GetValue(output)!;
            OutputLocation.CheckDirectory(dir, "--out");
            if (pr.GetValue(emit) is { } emitDir) OutputLocation.CheckDirectory(emitDir, "--emit-profiles");
            var options = new LifecycleOptions
            {
                Request = w.ToRequest(pr),
                Months = pr.GetValue(months),
                Adapters = pr.GetValue(adapters),
                SwapEvery = pr.GetValue(swapEvery),
                RequestsPerDay = pr.GetValue(rate),
                RefreshDays = pr.GetValue(refresh),
                RetuneDays = pr.GetValue(retune),
                RetuneGpuHours = pr.GetValue(retuneHours),
                AccuracyModel = pr.GetValue(accModel),
                AccuracyData = pr.GetValue(data),
                Seeds = pr.GetValue(seeds),
                AccuracyAdapter = pr.GetValue(accAdapter),
                EmitProfiles = pr.GetValue(emit),
                RetunedAdapters = pr.GetValue(retuned) ?? [],
            };
            LifecycleRunner.Validate(options);
            var report = LifecycleRunner.Run(options);
            LifecycleReportWriter.Write(report, dir);
            AnsiConsole.MarkupLine($"energy per served token over {report.Inputs.Months:G4} months: chip {report.EnergyPerTokenJ * 1e3:G4} mJ, GPU {report.GpuEnergyPerTokenJ * 1e3:G4} mJ");
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(Path.Combine(dir, "report.json"))}[/] and report.md");
            return 0;
        });
        return cmd;
    }
}
