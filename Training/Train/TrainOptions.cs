using CimSim.Training.Noise;
using CimSim.Workloads.Models;

namespace CimSim.Training.Train;

/// <summary>What is trained.</summary>
public enum TrainMethod
{
    /// <summary>Every base weight (pretraining a small model from scratch or continuing it); no adapter.</summary>
    Full,

    /// <summary>Vanilla LoRA (Hu et al. 2021): W0 frozen and clean, only A and B trained.</summary>
    Lora,

    /// <summary>HaLoRA (Wu et al., arXiv 2502.19747): LoRA trained on a noisy W0 (resampled every K steps) plus mu L_reg.</summary>
    HaLora,
}

public sealed record TrainOptions
{
    public TrainMethod Method { get; init; } = TrainMethod.Lora;

    public LoraSpec? Lora { get; init; }

    public int Steps { get; init; } = 100;

    public int BatchSize { get; init; } = 8;

    public int MaxLength { get; init; } = 256;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 3e-4;

    public int WarmupSteps { get; init; } = 10;

    public DecayKind Decay { get; init; } = DecayKind.Cosine;

    /// <summary>The rate decays to this fraction of the peak.</summary>
    public double MinLrRatio { get; init; } = 0.0;

    public double WeightDecay { get; init; } = 0.0;

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    /// <summary>Global gradient-norm clip; 0 disables it.</summary>
    public double ClipNorm { get; init; } = 1.0;

    public ulong Seed { get; init; } = 1;

    /// <summary>Write a checkpoint every N updates (0: only at the end).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Log progress every N updates.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>HaLoRA: weight of L_reg (paper 0.1).</summary>
    public double Mu { get; init; } = 0.1;

    public RegNorm RegNorm { get; init; } = RegNorm.Spectral;

    /// <summary>HaLoRA: draw new weight noise every K updates (paper 400).</summary>
    public int NoiseResampleEvery { get; init; } = 400;

    /// <summary>HaLoRA: the noise model (paper preset or a CimSim noise profile).</summary>
    public IWeightNoise? Noise { get; init; }

    /// <summary>A short text that must match between a checkpoint and the run resuming it.</summary>
    public string Fingerprint() =>
        $"{Method}|{Lora?.Rank}|{Lora?.Alpha}|{Lora?.Dropout}|{(Lora is null ? "" : string.Join(",", Lora.Targets))}|{BatchSize}|{MaxLength}|{LearningRate}|{WarmupSteps}|{Decay}|{MinLrRatio}|{WeightDecay}|{Beta1}|{Beta2}|{ClipNorm}|{Seed}|{Mu}|{RegNorm}|{NoiseResampleEvery}|{Noise?.Describe()}";
}
