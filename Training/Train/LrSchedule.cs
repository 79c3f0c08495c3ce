namespace CimSim.Training.Train;

public enum DecayKind
{
    Cosine,
    Linear,
    Constant,
}

/// <summary>Linear warm-up from 0 to the peak rate over <c>warmup</c> steps, then cosine or linear decay to <c>minRatio</c> x peak at <c>total</c> steps.</summary>
public sealed record LrSchedule(double Peak, int Warmup, int Total, DecayKind Decay, double MinRatio = 0.0)
{
    /// <summary>Learning rate of update number <paramref name="step"/> (0-based).</summary>
    public double At(int step)
    {
        if (Warmup > 0 && step < Warmup) return Peak * (step + 1) / Warmup;
        if (Decay == DecayKind.Constant || Total <= Warmup) return Peak;
        var progress = Math.Clamp((double)(step - Warmup) / Math.Max(1, Total - Warmup), 0, 1);
        var factor = Decay == DecayKind.Cosine ? 0.5 * (1 + Math.Cos(Math.PI * progress)) : 1 - progress;
        return Peak * (MinRatio + (1 - MinRatio) * factor);
    }

    public static DecayKind ParseDecay(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cosine" => DecayKind.Cosine,
        "linear" => DecayKind.Linear,
        "constant" => DecayKind.Constant,
        _ => throw new CimSim.Common.Errors.UserInputException($"--schedule: found '{text}', expected cosine, linear or constant"),
    };
}
