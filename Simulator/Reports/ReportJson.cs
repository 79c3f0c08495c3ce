using System.Text.Json;
using System.Text.Json.Serialization;

using CimSim.Common.IO;

namespace CimSim.Simulator.Reports;

// The records of report.json: the file is serialised from them by System.Text.Json source generation
// (ReportJsonContext) and docs/report.schema.json is exported from the same records (ReportJson.Schema), so
// code and schema cannot drift apart. A nullable number is null where the value is not finite (never NaN/Infinity).

/// <summary>report.json, top level. Sections contributed by other parts (e.g. "accuracy") follow the fixed ones.</summary>
public sealed record ReportJson
{
    public required int SchemaVersion { get; init; }
    public required string Tool { get; init; }
    public required ReportInputsJson Inputs { get; init; }
    public required CimJson Cim { get; init; }
    public required IReadOnlyDictionary<string, BaselineJson> Baselines { get; init; }
    public required RatiosJson Ratios { get; init; }

    /// <summary>Sections keyed by <see cref="IReportSection.Key"/>, written after the fixed keys.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Sections { get; set; } // settable: source generation binds init-only members like constructor parameters

    /// <summary>JSON Schema (draft 2020-12) of report.json, exported from these records; published as docs/report.schema.json.</summary>
    public static string Schema() => JsonSchemaExport.Export(ReportJsonContext.Default.ReportJson,
        "CimSim simulate report (report.json)",
        "Written by `cimsim simulate`; generated from Simulator/Reports/ReportJson.cs. Numbers are finite (a non-finite result fails the run, issue 14). Extra top-level sections (e.g. accuracy) may follow.");
}

/// <summary>"inputs": what the user asked for.</summary>
public sealed record ReportInputsJson(
    string HwConfig, string HwName, string Model, int PromptTokens, int GenerateTokens, int Batch, int LoraRank,
    IReadOnlyList<string> LoraTargets, string Gpu, IReadOnlyList<string> Overrides, int PrefillChunkTokens);

/// <summary>"cim": the hybrid chip's times (s), energies (J), counts, area (mm^2) and resource statistics.</summary>
public sealed record CimJson(
    double? LatencyS, double? TtftS, double? TpotS, double? TokensPerS, double? EnergyJ, double? EnergyPerGeneratedTokenJ,
    IReadOnlyDictionary<string, double?> EnergyBreakdownJ, IReadOnlyDictionary<string, double?> EnergyByActionJ,
    IReadOnlyDictionary<string, double?> EnergyByPhaseJ, IReadOnlyDictionary<string, double?> EnergyByLayerJ,
    IReadOnlyDictionary<string, double?> EnergyByOperatorJ, IReadOnlyDictionary<string, double?> ActionCounts,
    [property: JsonPropertyName("area_mm2")] double? AreaMm2,
    [property: JsonPropertyName("area_breakdown_mm2")] IReadOnlyDictionary<string, double?> AreaBreakdownMm2,
    bool MappingFits, IReadOnlyList<string> MappingProblems, long Cycles, long PrefillCycles, double? ClockHz,
    long Events, long Tasks, IReadOnlyDictionary<string, ResourceJson> Resources);

/// <summary>One resource class's statistics; utilisation = busy / (span x servers), a fraction.</summary>
public sealed record ResourceJson(int Resources, int Servers, long BusyCycles, long StallCycles, long Requests, double? Utilisation);

/// <summary>One GPU baseline, keyed by the GPU's short name.</summary>
public sealed record BaselineJson(
    string Device, string Model, string ExecutionMode, string Calibration, double? LatencyS, double? TtftS, double? TpotS, double? TokensPerS, double? EnergyJ,
    string EnergyLabel, double? ComputeEnergyJ, string ComputeEnergyLabel, double? ComputeEnergyPjPerMac,
    double? AveragePowerW, double? Macs, long Kernels, IReadOnlyDictionary<string, double?> EnergyByGroupJ);

/// <summary>"ratios": CIM / GPU.</summary>
public sealed record RatiosJson(double? EnergyVsGpu, double? ComputeEnergyVsGpu, double? LatencyVsGpu, double? TpotVsGpu);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ReportJson))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
