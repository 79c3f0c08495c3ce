namespace CimSim.Simulator.Lifecycle;

/// <summary>What one `cimsim lifecycle` run prices (docs/lifecycle.md): the inputs it assumed, each phase of life and the GPU beside it.</summary>
public sealed record LifecycleReport
{
    public const int SchemaVersion = 1;
    public int Schema { get; init; } = SchemaVersion;
    public required LifecycleInputs Inputs { get; init; }
    public required ProgrammingResult Programming { get; init; }
    public required AdapterResult Adapters { get; init; }
    public required ServingResult Serving { get; init; }
    public required MaintenanceResult Maintenance { get; init; }
    /// <summary>Energy by phase of life over the whole deployment, joules (chip side).</summary>
    public required IReadOnlyDictionary<string, double> EnergyByPhaseJ { get; init; }
    public required double TotalEnergyJ { get; init; }
    /// <summary>Chip energy over the life / tokens served, joules per token.</summary>
    public required double EnergyPerTokenJ { get; init; }
    public required double GpuTotalEnergyJ { get; init; }
    public required double GpuEnergyPerTokenJ { get; init; }
    /// <summary>Accuracy over deployment time (empty when no accuracy model was given).</summary>
    public required IReadOnlyList<AccuracyPoint> Accuracy { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
}

public sealed record LifecycleInputs(
    string Hardware, string Model, int LoraRank, IReadOnlyList<string> LoraTargets, int PromptTokens, int GeneratedTokens, string Gpu,
    double Months, double Days, int Adapters, int SwapEvery, double RequestsPerDay, double RefreshDays, double RetuneDays,
    double RetuneGpuHours, string? AccuracyModel, string? AccuracyData, int Seeds)
{
    /// <summary>The deployed LoRA the accuracy points run with (null: the base model).</summary>
    public string? AccuracyAdapter { get; init; }
    /// <summary>`AGE=PATH` of every LoRA re-tuned against the drifted chip.</summary>
    public IReadOnlyList<string> RetunedAdapters { get; init; } = [];
    public bool DriftCompensation { get; init; }
    public double DriftCompensationPeriodS { get; init; }
}

/// <summary>Programming W0 once by program-and-verify (or the one-shot write when it is off).</summary>
public sealed record ProgrammingResult
{
    public required bool ProgramVerify { get; init; }
    public required long Cells { get; init; }
    public required long Arrays { get; init; }
    public required double MeanIterationsPerCell { get; init; }
    public required double MeanIterationsPerRow { get; init; }
    public required double FailFraction { get; init; }
    public required double SinglePulseStdUs { get; init; }
    public required double ResidualStdUs { get; init; }
    public required double EnergyPerCellPj { get; init; }
    public required double EnergyJ { get; init; }
    public required double TimeS { get; init; }
    public required double EnduranceCycles { get; init; }
    /// <summary>Full re-programmings the mean cell survives: endurance / mean pulses per cell.</summary>
    public required double ReprogrammingsSurvived { get; init; }
    public required double ReprogrammingsSurvivedWorstCell { get; init; }
}

/// <summary>K adapters as tenants of the SRAM CIM macros.</summary>
public sealed record AdapterResult
{
    public required int Adapters { get; init; }
    public required long WeightsPerAdapter { get; init; }
    public required long BytesPerAdapter { get; init; }
    /// <summary>Adapters the mapped SRAM weight macros hold at once.</summary>
    public required int ResidentSlots { get; init; }
    public required double SwapEnergyJ { get; init; }
    public required double SramWriteEnergyJ { get; init; }
    public required double DramReadEnergyJ { get; init; }
    /// <summary>Serving stall of one swap: max(SRAM write time, DRAM transfer time), seconds.</summary>
    public required double SwapStallS { get; init; }
    public required long Swaps { get; init; }
    public required double SwapsEnergyJ { get; init; }
    public required double GpuSwapEnergyJ { get; init; }
    public required double GpuSwapS { get; init; }
}

/// <summary>Serving the request mix over the life.</summary>
public sealed record ServingResult
{
    public required double Requests { get; init; }
    public required double TokensServed { get; init; }
    public required double EnergyPerRequestJ { get; init; }
    public required double LatencyPerRequestS { get; init; }
    public required double EnergyJ { get; init; }
    /// <summary>Generated tokens per second while busy, swaps included.</summary>
    public required double ThroughputTokensPerS { get; init; }
    public required double ThroughputNoSwapTokensPerS { get; init; }
    /// <summary>Fraction of the deployment the chip is busy serving, swapping, refreshing.</summary>
    public required double Utilisation { get; init; }
    public required double GpuEnergyPerRequestJ { get; init; }
    public required double GpuLatencyPerRequestS { get; init; }
    public required double GpuEnergyJ { get; init; }
    public required double GpuThroughputTokensPerS { get; init; }
}

/// <summary>Periodic refresh (re-program W0) and LoRA re-tuning.</summary>
public sealed record MaintenanceResult
{
    public required int Refreshes { get; init; }
    public required double RefreshEnergyJ { get; init; }
    public required double RefreshDowntimeS { get; init; }
    /// <summary>Programmings of W0 over the life (first + refreshes) against the cell endurance.</summary>
    public required int Programmings { get; init; }
    public required bool WithinEndurance { get; init; }
    public required int Retunes { get; init; }
    /// <summary>Writing the K re-tuned adapters into SRAM per re-tune, summed, joules (chip side).</summary>
    public required double RetuneWriteEnergyJ { get; init; }
    /// <summary>Training energy on the GPU: GPU-hours (input) x GPU TDP, summed, joules (not chip energy).</summary>
    public required double RetuneTrainingEnergyJ { get; init; }
    /// <summary>Drift-compensation reference reads of every array over the life (one after each programming, one per period).</summary>
    public required double CompensationReads { get; init; }
    /// <summary>Those reads x arrays x one array's reference-read energy (RramArrayModel), joules.</summary>
    public required double CompensationEnergyJ { get; init; }
    /// <summary>Those reads x one reference read's time (all arrays at once), seconds.</summary>
    public required double CompensationDowntimeS { get; init; }
}

/// <summary>Accuracy of the deployed model at one time after the first programming, over chip seeds.</summary>
public sealed record AccuracyPoint
{
    public required string Series { get; init; }
    public required double TimeS { get; init; }
    public required string Label { get; init; }
    /// <summary>Time since W0 was last programmed (equals TimeS without refresh).</summary>
    public required double AgeS { get; init; }
    public double? Perplexity { get; init; }
    public double? PerplexityStd { get; init; }
    public double? ChoiceAccuracy { get; init; }
    public double? ChoiceAccuracyStd { get; init; }
    public required double KlDivergence { get; init; }
    public required double KlDivergenceStd { get; init; }
    public required double Top1Agreement { get; init; }
    public required double Top1AgreementStd { get; init; }
}
