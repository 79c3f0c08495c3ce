namespace CimSim.Simulator.Gpu;

/// <summary>A GPU preset (hw-configs/gpus/*.yaml): datasheet peaks, calibrated efficiencies, and the power model's two ends.</summary>
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
    public required double TdpW { get; init; }
    public required double IdleW { get; init; }
    /// <summary>Achievable fraction of peak compute.</summary>
    public required double ComputeEfficiency { get; init; }
    /// <summary>Achievable fraction of peak memory bandwidth.</summary>
    public required double BandwidthEfficiency { get; init; }
    /// <summary>Fixed cost per kernel (launch, tail, synchronisation) in microseconds.</summary>
    public required double KernelOverheadUs { get; init; }
    public required int WeightBytes { get; init; }
    public required int ActivationBytes { get; init; }

    /// <summary>
    /// Energy per MAC of the compute-only accounting: TDP over the dense INT8 MAC rate (W8A8 as in the paper),
    /// i.e. the chip at full power doing nothing but MACs. Not what a GPU spends in batch-1 decode.
    /// </summary>
    public double ComputeEnergyPjPerMac => TdpW / (PeakInt8Tops * 1e12 / 2) * 1e12;
}
