namespace CimSim.Workloads.Models;

/// <summary>
/// Rotary position embedding settings, read from either config.json layout (`rope_theta` + `rope_scaling`, or
/// the newer `rope_parameters`). Supported types: "default", "linear" and "llama3" (Llama 3.1/3.2 scaling).
/// </summary>
public sealed record RopeSpec
{
    /// <summary>Base of the frequencies (`rope_theta`).</summary>
    public required double Theta { get; init; }

    /// <summary>"default", "linear" or "llama3".</summary>
    public string Type { get; init; } = "default";

    /// <summary>Scaling factor (`factor`); 1 for "default".</summary>
    public double Factor { get; init; } = 1.0;

    /// <summary>llama3 only: `low_freq_factor`.</summary>
    public double LowFreqFactor { get; init; } = 1.0;

    /// <summary>llama3 only: `high_freq_factor`.</summary>
    public double HighFreqFactor { get; init; } = 4.0;

    /// <summary>llama3 only: `original_max_position_embeddings` (the pre-training context, 8192 for Llama 3).</summary>
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    public static readonly IReadOnlyList<string> SupportedTypes = ["default", "linear", "llama3"];

    /// <summary>
    /// The headDim/2 inverse frequencies, as Hugging Face transformers computes them
    /// (modeling_rope_utils: _compute_default_rope_parameters, _compute_linear_scaling_rope_parameters,
    /// _compute_llama3_parameters). Attention scaling is 1 for all three types.
    /// </summary>
    public double[] InverseFrequencies(int headDim)
    {
        var half = headDim / 2;
        var inv = new double[half];
        for (var i = 0; i < half; i++) inv[i] = 1.0 / Math.Pow(Theta, 2.0 * i / headDim);
        switch (Type)
        {
            case "linear":
                for (var i = 0; i < half; i++) inv[i] /= Factor;
                break;
            case "llama3":
                double lowWavelen = OriginalMaxPositionEmbeddings / LowFreqFactor;
                double highWavelen = OriginalMaxPositionEmbeddings / HighFreqFactor;
                for (var i = 0; i < half; i++)
                {
                    var wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowWavelen)
                    {
                        inv[i] /= Factor;
                    }
                    else if (wavelen >= highWavelen)
                    {
                        var smooth = (OriginalMaxPositionEmbeddings / wavelen - LowFreqFactor) / (HighFreqFactor - LowFreqFactor);
                        inv[i] = (1 - smooth) * inv[i] / Factor + smooth * inv[i];
                    }
                }
                break;
        }
        return inv;
    }
}
