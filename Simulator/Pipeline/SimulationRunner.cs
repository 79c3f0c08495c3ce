using System.Diagnostics;
using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Mapping;
using CimSim.Simulator.Gpu;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Scheduling;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Simulator.Pipeline;

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

/// <summary>The stages of one run, for callers that need more than the report (calibration, tests).</summary>
public sealed record SimulationRun(
    HardwareSpec Hardware, OperatorGraph Graph, MappingResult Mapping, DeviceTables Devices, CimHardwareModel Cim,
    ScheduleResult Schedule, SimulationReport Report);

/// <summary>
/// The reusable entry point of `cimsim simulate`: load and validate -> map -> schedule (action counts) -> price
/// (device tables) -> GPU baseline -> report. Callers (the CLI, sweeps) write the report with
/// <see cref="ReportWriter"/> or read its numbers directly; further sections (accuracy) can be added to
/// <see cref="SimulationReport.Sections"/> before writing.
/// </summary>
public static class SimulationRunner
{
    public static SimulationReport Run(SimulationRequest req) => RunStages(req).Report;

    public static SimulationRun RunStages(SimulationRequest req)
    {
        Validate(req);
        var hw = req.Hardware ?? HardwareConfigLoader.Load(req.HardwarePath, req.Overrides);
        var model = req.ModelSpec ?? ModelCatalog.Resolve(req.Model);
        var lora = req.LoraRank > 0 ? LoraSpec.FromFlags(req.LoraRank, req.LoraTargets) : null;
        var gpuSpec = GpuSpecLoader.Load(req.Gpu);
        var workload = SimulationBudget.Check(new WorkloadSpec(req.Batch, req.PromptTokens, req.GeneratedTokens), model);
        var graph = new OperatorGraph(model, lora, workload);

        var mapperOptions = new MapperOptions();
        var mapping = Mapper.Map(hw, model, lora, workload, mapperOptions);
        foreach (var p in mapping.Problems) Serilog.Log.Warning("mapping: {Problem}", p);
        foreach (var w in mapping.Warnings) Serilog.Log.Warning("mapping: {Warning}", w);
        var devices = new DeviceTables(hw);
        var cim = HardwareModelBuilder.Build(hw, devices, mapping, mapperOptions.AttentionLayersResident);

        var sw = Stopwatch.StartNew();
        var schedule = new CycleScheduler(cim, graph, req.PrefillChunkTokens).Run();
        var gpu = GpuRooflineModel.Evaluate(gpuSpec, graph);
        Serilog.Log.Debug("simulated {Events} events in {Ms} ms", schedule.Events, sw.ElapsedMilliseconds);

        var inputs = new ReportInputs(req.Hardware is null ? req.HardwarePath : req.HardwarePath + " (preloaded)", hw.Name, model.Name,
            req.PromptTokens, req.GeneratedTokens, req.Batch, lora?.Rank ?? 0,
            lora is null ? [] : lora.ResolvedTargets(model).Select(t => TransformerShape.ProjectionName(ShapeBuilder.ToProjection(t))).ToList(),
            gpuSpec.Name, req.Overrides, req.PrefillChunkTokens);
        var report = ReportBuilder.Build(inputs, devices, cim, schedule, gpu);
        report.MappingProblems.AddRange(mapping.Problems);
        return new SimulationRun(hw, graph, mapping, devices, cim, schedule, report);
    }

    private static void Validate(SimulationRequest req)
    {
        var problems = new List<string>();
        if (req.PromptTokens < 1) problems.Add($"--prompt: found {req.PromptTokens}, expected a positive number of tokens");
        if (req.GeneratedTokens < 1) problems.Add($"--generate: found {req.GeneratedTokens}, expected a positive number of tokens");
        if (req.Batch < 1) problems.Add($"--batch: found {req.Batch}, expected a positive batch size");
        if (req.LoraRank < 0) problems.Add($"--lora-rank: found {req.LoraRank}, expected 0 (no LoRA) or a positive rank");
        if (req.PrefillChunkTokens < 1) problems.Add($"--prefill-chunk: found {req.PrefillChunkTokens}, expected a positive number of tokens");
        if (problems.Count > 0) throw new UserInputException("invalid simulate flags", problems);
    }
}
