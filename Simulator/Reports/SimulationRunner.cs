using System.Diagnostics;
using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Simulator.Gpu;
using CimSim.Simulator.Scheduling;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Simulator.Reports;

/// <summary>One simulate run's inputs (the `cimsim simulate` flags). Sweeps build one per point.</summary>
public sealed record SimulationRequest
{
    public string HardwarePath { get; init; } = "hw-configs/default.yaml";
    /// <summary>An already loaded spec (sweeps); when set, <see cref="HardwarePath"/> is only echoed in the report.</summary>
    public HardwareSpec? Hardware { get; init; }
    public IReadOnlyList<string> Overrides { get; init; } = [];
    public string Model { get; init; } = "llama-3.2-1b";
    /// <summary>An already resolved model (sweeps, tests); when set, <see cref="Model"/> is only echoed.</summary>
    public ModelSpec? ModelSpec { get; init; }
    public int PromptTokens { get; init; } = 512;
    public int GeneratedTokens { get; init; } = 512;
    public int Batch { get; init; } = 1;
    /// <summary>0 = no LoRA.</summary>
    public int LoraRank { get; init; } = 4;
    public string LoraTargets { get; init; } = "q,k,v,up,down";
    public string Gpu { get; init; } = "a100-80gb";
    /// <summary>Prompt tokens per prefill job (the pipelining granularity across layers).</summary>
    public int PrefillChunkTokens { get; init; } = 64;
}

/// <summary>
/// The reusable entry point of `cimsim simulate`: load and validate, build the workload shape and the hardware
/// model, play the schedule, evaluate the GPU baseline, assemble the report. Callers (the CLI, sweeps) write it
/// with <see cref="ReportWriter"/> or read its numbers directly; further sections (accuracy) can be added to
/// <see cref="SimulationReport.Sections"/> before writing.
/// </summary>
public static class SimulationRunner
{
    public static SimulationReport Run(SimulationRequest req)
    {
        var problems = new List<string>();
        if (req.PromptTokens < 1) problems.Add($"--prompt: found {req.PromptTokens}, expected a positive number of tokens");
        if (req.GeneratedTokens < 1) problems.Add($"--generate: found {req.GeneratedTokens}, expected a positive number of tokens");
        if (req.Batch < 1) problems.Add($"--batch: found {req.Batch}, expected a positive batch size");
        if (req.LoraRank < 0) problems.Add($"--lora-rank: found {req.LoraRank}, expected 0 (no LoRA) or a positive rank");
        if (req.PrefillChunkTokens < 1) problems.Add($"--prefill-chunk: found {req.PrefillChunkTokens}, expected a positive number of tokens");
        if (problems.Count > 0) throw new UserInputException("invalid simulate flags", problems);

        var hw = req.Hardware ?? HardwareConfigLoader.Load(req.HardwarePath, req.Overrides);
        var model = req.ModelSpec ?? ModelCatalog.Resolve(req.Model);
        var lora = req.LoraRank > 0 ? LoraSpec.FromFlags(req.LoraRank, req.LoraTargets) : null;
        var gpuSpec = GpuSpecLoader.Load(req.Gpu);
        var workload = SimulationBudget.Check(new WorkloadSpec(req.Batch, req.PromptTokens, req.GeneratedTokens), model);
        var graph = new OperatorGraph(model, lora, workload);
        var shape = ShapeBuilder.Build(graph);
        var mapperOptions = new MapperOptions();
        var mapping = Mapper.Map(hw, model, lora, workload, mapperOptions);
        foreach (var p in mapping.Problems) Serilog.Log.Warning("mapping: {Problem}", p);
        var cim = HardwareModelBuilder.Build(hw, shape, mapping, mapperOptions.AttentionLayersResident);

        var sw = Stopwatch.StartNew();
        var scheduler = new CycleScheduler(cim, graph, req.PrefillChunkTokens);
        var schedule = scheduler.Run();
        var gpu = GpuRooflineModel.Evaluate(gpuSpec, schedule.Program);
        Serilog.Log.Debug("simulated {Events} events in {Ms} ms", schedule.Events, sw.ElapsedMilliseconds);

        var inputs = new ReportInputs(req.Hardware is null ? req.HardwarePath : req.HardwarePath + " (preloaded)", hw.Name, model.Name,
            req.PromptTokens, req.GeneratedTokens, req.Batch, lora?.Rank ?? 0,
            lora is null ? [] : lora.Targets.Select(t => TransformerShape.ProjectionName(ShapeBuilder.ToProjection(t))).ToList(),
            gpuSpec.Name, req.Overrides, req.PrefillChunkTokens);
        var report = ReportBuilder.Build(inputs, cim, schedule, gpu);
        report.MappingProblems.AddRange(mapping.Problems);
        return report;
    }
}
