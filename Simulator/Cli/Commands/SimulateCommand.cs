using System.CommandLine;
using CimSim.Common.Errors;
using CimSim.Common.Units;
using CimSim.Common.IO;
using CimSim.Devices.Config;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Reports;
using CimSim.Workloads.Datasets;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim simulate`: the main job. Plays the workload on the hybrid chip and on a GPU baseline and writes the report.</summary>
public sealed class SimulateCommand : ICliCommand
{
    public int Order => 10;

    public Command Build()
    {
        var w = new WorkloadOptions("Hardware config YAML.", "Override a hardware config key, e.g. -p rram.adc.bits=6 (repeatable).");
        var output = new Option<string>("--out", "-o") { Description = "Output directory for report.json, report.md and the plots.", DefaultValueFactory = _ => "out/simulate" };
        var data = new Option<string?>("--data") { Description = "Also measure accuracy on this JSONL (needs --model to be a directory with safetensors weights); default: none." };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter deployed on SRAM for the accuracy study; default: none." };
        var seeds = new Option<int>("--seeds") { Description = "Chip instances (noise seeds) for the accuracy study.", DefaultValueFactory = _ => 5 };
        var sigma = new Option<string?>("--sigma") { Description = "Comma-separated rram.noise.weight_noise.sigma values for the accuracy study; default: the config's value." };
        var cmd = new Command("simulate",
            "Simulate a LoRA-finetuned LLM on the hybrid RRAM/SRAM CIM chip (cycle-level) and on a GPU baseline; write report.json, report.md and plots.\n" +
            "Example: cimsim simulate --hw hw-configs/default.yaml --model llama-3.2-1b --prompt 512 --generate 512 --out out/default");
        w.AddTo(cmd);
        foreach (var o in new Option[] { output, data, adapter, seeds, sigma }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var req = w.ToRequest(pr);
            OutputLocation.CheckDirectory(pr.GetValue(output)!, "--out");
            var dataPath = pr.GetValue(data);
            if (dataPath is not null && !Directory.Exists(req.Model))
                throw new UserInputException($"--data {dataPath}: the accuracy study needs real weights; --model '{req.Model}' is a preset, give a directory with config.json and safetensors");
            var report = SimulationRunner.Run(req);
            if (dataPath is not null)
            {
                report.Sections.Add(new AccuracySection(AccuracyRunner.Run(new AccuracyOptions
                {
                    ModelDirectory = req.Model,
                    AdapterDirectory = pr.GetValue(adapter),
                    Hardware = HardwareConfigLoader.Load(req.HardwarePath, req.Overrides),
                    HardwareName = req.HardwarePath,
                    Items = DatasetReader.Load(dataPath).Items,
                    DataName = dataPath,
                    Seeds = pr.GetValue(seeds),
                    Sigmas = AccuracyCommand.ParseSigmas(pr.GetValue(sigma)),
                })));
            }
            var outDir = pr.GetValue(output)!;
            ReportWriter.WriteAll(report, outDir);
            var c = report.Cim;
            Log.Information("CIM: latency {Latency}, TTFT {Ttft}, TPOT {Tpot}, energy {Energy}, area {Area:0.##} mm^2 ({Events} events)",
                UnitFormat.Seconds(c.LatencyS), UnitFormat.Seconds(c.TtftS), UnitFormat.Seconds(c.TpotS), UnitFormat.Joules(c.EnergyJ), c.AreaMm2, c.Events);
            Log.Information("{Gpu}: latency {Latency}, board energy {Energy}, compute-only energy {Compute}; CIM/GPU energy {R1:0.####} (board), {R2:0.####} (compute-only)",
                report.Gpu.Spec.Name, UnitFormat.Seconds(report.Gpu.LatencyS), UnitFormat.Joules(report.Gpu.EnergyJ), UnitFormat.Joules(report.Gpu.ComputeEnergyJ),
                report.EnergyVsGpu, report.ComputeEnergyVsGpu);
            Log.Information("wrote {Dir}/report.json, report.md and plots", outDir);
            return 0;
        });
        return cmd;
    }
}
