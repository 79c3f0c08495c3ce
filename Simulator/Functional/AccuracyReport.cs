namespace CimSim.Simulator.Functional;

/// <summary>
/// Accuracy of a model on mapped RRAM hardware versus ideal devices, over noise levels and chip instances
/// (seeds). Serialised to report.json with snake_case keys (see docs/accuracy.md).
/// </summary>
public sealed record AccuracyReport
{
    public required string Model { get; init; }
    public string? Adapter { get; init; }
    public required string Hardware { get; init; }
    public required string DevicePath { get; init; }
    public required string Data { get; init; }
    public required string Tokenizer { get; init; }
    public int TextItems { get; init; }
    public int ChoiceItems { get; init; }

    /// <summary>Multiple-choice accuracy of uniform guessing (mean of 1 / choices), drawn as the chance line; null without questions.</summary>
    public double? ChanceAccuracy { get; init; }
    public int MaxTokens { get; init; }
    public required IReadOnlyList<ulong> Seeds { get; init; }

    /// <summary>Metrics of the ideal (exact) model on the same data.</summary>
    public required IdealMetrics Ideal { get; init; }

    /// <summary>One entry per noise level (rram.noise.weight_noise.sigma; the config's own when --sigma is absent).</summary>
    public required IReadOnlyList<NoiseLevelResult> Levels { get; init; }

    public IReadOnlyList<string> Notes { get; init; } = [];
}

public sealed record IdealMetrics(double? Perplexity, double? ChoiceAccuracy, double? ChoiceAccuracyNorm);

public sealed record NoiseLevelResult
{
    public required double Sigma { get; init; }
    public required IReadOnlyList<ChipMetrics> Chips { get; init; }

    /// <summary>Mean and standard deviation over chips (sample std, 0 for one chip).</summary>
    public required MetricSummary Perplexity { get; init; }
    public required MetricSummary ChoiceAccuracy { get; init; }
    public required MetricSummary ChoiceAccuracyNorm { get; init; }
    public required MetricSummary KlDivergence { get; init; }
    public required MetricSummary Top1Agreement { get; init; }

    /// <summary>Per module (HF name): output SNR and relative error of the W0 product alone, mean over chips.</summary>
    public required IReadOnlyList<LayerError> Modules { get; init; }

    /// <summary>Per decoder layer: relative error of the residual stream vs the ideal model (errors accumulate), mean over chips.</summary>
    public required IReadOnlyList<LayerError> DecoderLayers { get; init; }
}

public sealed record MetricSummary(double? Mean, double? Std)
{
    public static MetricSummary Of(IEnumerable<double?> values)
    {
        var v = values.Where(x => x.HasValue).Select(x => x!.Value).ToList();
        if (v.Count == 0) return new MetricSummary(null, null);
        double mean = v.Average();
        double std = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
        return new MetricSummary(mean, std);
    }
}

public sealed record ChipMetrics
{
    public required ulong Seed { get; init; }
    public double? Perplexity { get; init; }
    public double? ChoiceAccuracy { get; init; }
    public double? ChoiceAccuracyNorm { get; init; }

    /// <summary>Mean over positions of KL(p_ideal || p_chip) in nats.</summary>
    public double KlDivergence { get; init; }

    /// <summary>Fraction of positions whose argmax token equals the ideal model's.</summary>
    public double Top1Agreement { get; init; }

    public long StuckCells { get; init; }
    public long Cells { get; init; }
    public required IReadOnlyList<LayerError> Modules { get; init; }
    public required IReadOnlyList<LayerError> DecoderLayers { get; init; }
}

/// <summary>SNR = 10 log10(sum y_ideal^2 / sum (y - y_ideal)^2) in dB (null when the error is exactly 0); RelativeError = sqrt(sum err^2 / sum y_ideal^2).</summary>
public sealed record LayerError(string Name, double? SnrDb, double RelativeError);
