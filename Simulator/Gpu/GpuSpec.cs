namespace CimSim.Simulator.Gpu;

/// <summary>How the host drives the GPU: one CPU launch per kernel (eager PyTorch) or replay of captured CUDA graphs.</summary>
public enum GpuExecutionMode
{
    Eager,
    Graphs,
}

/// <summary>Per-mode kernel accounting: how many kernels run per graph operator and the fixed cost of each.</summary>
public sealed record GpuModeSpec(double KernelOverheadUs, double KernelsPerOperator);

/// <summary>
/// A GPU preset (hw-configs/gpus/*.yaml): datasheet peaks, calibrated efficiencies, per-mode kernel overheads and a
/// power model of a measured idle part plus dynamic energy per byte moved and per FLOP. Equations and the
/// calibration of every preset: docs/gpu-baseline.md.
/// </summary>
public sealed record GpuSpec
{
    public required string Name { get; init; }
    public required string DisplayName { get; init; }
    /// <summary>Dense BF16/FP16 peak in TFLOP/s.</summary>
    public required double PeakTflops { get; init; }
    /// <summary>Dense INT8 peak in TOPS (one MAC = two ops); prices the compute-energy accounting.</summary>
    public required double PeakInt8Tops { get; init; }
    public required double MemoryBandwidthGBs { get; init; }
    public required double MemoryGb { get; init; }
    /// <summary>Board power limit: the power model never exceeds it.</summary>
    public required double TdpW { get; init; }
    /// <summary>Board power with a CUDA context up and no kernel running (clocks raised), watts.</summary>
    public required double IdleW { get; init; }
    /// <summary>Dynamic board energy per byte moved to or from HBM, above idle, picojoules.</summary>
    public required double EnergyPjPerByte { get; init; }
    /// <summary>Dynamic board energy per FLOP, above idle, picojoules.</summary>
    public required double EnergyPjPerFlop { get; init; }
    /// <summary>Achievable fraction of peak compute for large matrix products.</summary>
    public required double ComputeEfficiency { get; init; }
    /// <summary>Rows (tokens x batch) at which a matrix product reaches half of <see cref="ComputeEfficiency"/>.</summary>
    public required double ComputeHalfRows { get; init; }
    /// <summary>Achievable fraction of peak memory bandwidth.</summary>
    public required double BandwidthEfficiency { get; init; }
    /// <summary>Seconds to move <paramref name="bytes"/> to or from HBM at the achievable bandwidth.</summary>
    public double MemorySeconds(double bytes) => bytes / (MemoryBandwidthGBs * 1e9 * BandwidthEfficiency);

    /// <summary>Dynamic board energy (above idle) of moving <paramref name="bytes"/> and computing <paramref name="flops"/>, joules.</summary>
    public double DynamicEnergyJoules(double bytes, double flops) => (bytes * EnergyPjPerByte + flops * EnergyPjPerFlop) * 1e-12;

    /// <summary>The mode this preset runs in unless a caller picks another.</summary>
    public required GpuExecutionMode ExecutionMode { get; init; }
    public required GpuModeSpec Eager { get; init; }
    public required GpuModeSpec Graphs { get; init; }
    public required int WeightBytes { get; init; }
    public required int ActivationBytes { get; init; }
    /// <summary>Where the preset's numbers come from (quoted in reports).</summary>
    public required string Calibration { get; init; }

    public GpuModeSpec Mode(GpuExecutionMode mode) => mode == GpuExecutionMode.Eager ? Eager : Graphs;

    /// <summary>
    /// Energy per MAC of the compute-only accounting: TDP over the dense INT8 MAC rate (W8A8 as in the paper),
    /// i.e. the chip at full power doing nothing but MACs. Not what a GPU spends in batch-1 decode.
    /// </summary>
    public double ComputeEnergyPjPerMac => TdpW / (PeakInt8Tops * 1e12 / 2) * 1e12;

    public static string ModeName(GpuExecutionMode mode) => mode == GpuExecutionMode.Eager ? "eager" : "graphs";
}
