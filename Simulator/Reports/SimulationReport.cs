using System.Text;
using System.Text.Json;
using CimSim.Simulator.Gpu;
using CimSim.Simulator.Scheduling;

namespace CimSim.Simulator.Reports;

/// <summary>
/// An extra section of report.json / report.md contributed by another part of CimSim (e.g. the accuracy runner
/// for `--data`): written after the fixed sections, in the order added.
/// </summary>
public interface IReportSection
{
    /// <summary>Top-level key in report.json (e.g. "accuracy").</summary>
    string Key { get; }

    void WriteJson(Utf8JsonWriter writer);

    void WriteMarkdown(StringBuilder markdown);
}

/// <summary>What the user asked for, echoed in the report.</summary>
public sealed record ReportInputs(
    string HardwareSource, string HardwareName, string Model, int PromptTokens, int GeneratedTokens, int Batch,
    int LoraRank, IReadOnlyList<string> LoraTargets, string Gpu, IReadOnlyList<string> Overrides, int PrefillChunkTokens);

/// <summary>The CIM side of the report: times, energies (priced action counts), area and resource statistics.</summary>
public sealed record CimSummary
{
    public required double ClockHz { get; init; }
    public required long Cycles { get; init; }
    public required long PrefillCycles { get; init; }
    public required double LatencyS { get; init; }
    public required double TtftS { get; init; }
    public required double TpotS { get; init; }
    public required double TokensPerS { get; init; }
    public required long Events { get; init; }
    public required long Tasks { get; init; }
    public required double EnergyJ { get; init; }
    /// <summary>By component (the device models' names, e.g. "adc", "sram_cim") plus "leakage", joules.</summary>
    public required IReadOnlyDictionary<string, double> EnergyBreakdownJ { get; init; }
    /// <summary>By "component.action", joules.</summary>
    public required IReadOnlyDictionary<string, double> EnergyByActionJ { get; init; }
    /// <summary>By "component.action", counts.</summary>
    public required IReadOnlyDictionary<string, double> ActionCounts { get; init; }
    public required IReadOnlyDictionary<string, double> EnergyByPhaseJ { get; init; }
    /// <summary>Key "embedding_lm_head" for the layer-less operators, then "layer_00".."layer_NN".</summary>
    public required IReadOnlyDictionary<string, double> EnergyByLayerJ { get; init; }
    /// <summary>By operator name summed over layers, joules.</summary>
    public required IReadOnlyDictionary<string, double> EnergyByOperatorJ { get; init; }
    public required double AreaMm2 { get; init; }
    public required IReadOnlyDictionary<string, double> AreaBreakdownMm2 { get; init; }
    public required IReadOnlyList<ResourceClassStats> Resources { get; init; }
    /// <summary>Per decoder layer (layers.csv), the unattributed row last.</summary>
    public IReadOnlyList<CostRow> Layers { get; init; } = [];
    /// <summary>Per operator summed over layers (operators.csv), the unattributed row last.</summary>
    public IReadOnlyList<CostRow> Operators { get; init; } = [];
}

/// <summary>One simulate run's results: inputs, CIM summary, GPU baseline, ratios, and contributed sections.</summary>
public sealed class SimulationReport
{
    public const int SchemaVersion = 1;

    public required ReportInputs Inputs { get; init; }
    public required CimSummary Cim { get; init; }
    public required GpuBaselineResult Gpu { get; init; }

    /// <summary>Why the model does not fit the configured chip budgets (empty when it fits); the run still completes.</summary>
    public List<string> MappingProblems { get; } = [];

    /// <summary>Further sections (accuracy, ...) written after the fixed ones.</summary>
    public List<IReportSection> Sections { get; } = [];

    /// <summary>CIM energy / GPU board energy (roofline x power model).</summary>
    public double EnergyVsGpu => Cim.EnergyJ / Gpu.EnergyJ;

    /// <summary>CIM energy / GPU compute-only energy (the paper's accounting).</summary>
    public double ComputeEnergyVsGpu => Cim.EnergyJ / Gpu.ComputeEnergyJ;

    public double LatencyVsGpu => Cim.LatencyS / Gpu.LatencyS;

    public double TpotVsGpu => Gpu.TpotS > 0 ? Cim.TpotS / Gpu.TpotS : 0;
}
