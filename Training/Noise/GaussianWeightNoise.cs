using CimSim.Common.Errors;
using static TorchSharp.torch;

namespace CimSim.Training.Noise;

/// <summary>What max|W| the relative sigma of <see cref="GaussianWeightNoise"/> refers to.</summary>
public enum SigmaScope
{
    /// <summary>max|W| of each square tile (the paper's 64 x 64 RRAM tiles); the default.</summary>
    Tile,

    /// <summary>max|W| of the whole projection.</summary>
    Layer,

    /// <summary>|w| of each weight itself (multiplicative noise).</summary>
    Weight,
}

/// <summary>
/// The HaLoRA paper's noise (Wu et al., arXiv 2502.19747; REFERENCES.md section 1): i.i.d. zero-mean Gaussian on
/// W0 with standard deviation sigma x max|W|. The paper does not say over what max|W| is taken; per 64 x 64 tile is
/// the default here (the RRAM tile the weights are programmed in), per layer and per weight are selectable.
/// </summary>
public sealed class GaussianWeightNoise : IWeightNoise
{
    public GaussianWeightNoise(double sigma, SigmaScope scope = SigmaScope.Tile, int tileSize = 64)
    {
        if (!(sigma >= 0 && double.IsFinite(sigma))) throw new UserInputException($"--sigma: found {sigma}, expected a non-negative number");
        if (tileSize < 1) throw new UserInputException($"--tile-size: found {tileSize}, expected a positive integer");
        Sigma = sigma;
        Scope = scope;
        TileSize = tileSize;
    }

    public double Sigma { get; }

    public SigmaScope Scope { get; }

    public int TileSize { get; }

    public static SigmaScope ParseScope(string text) => text.Trim().ToLowerInvariant() switch
    {
        "tile" => SigmaScope.Tile,
        "layer" => SigmaScope.Layer,
        "weight" => SigmaScope.Weight,
        _ => throw new UserInputException($"--sigma-scope: found '{text}', expected tile, layer or weight"),
    };

    public string Describe() => $"Gaussian, sigma {Sigma} x max|W| per {(Scope == SigmaScope.Tile ? $"{TileSize}x{TileSize} tile" : Scope.ToString().ToLowerInvariant())}";

    public Tensor? Sample(string modulePath, Tensor weight, Generator generator)
    {
        if (Sigma == 0) return null;
        using var scope = NewDisposeScope();
        var z = randn(weight.shape, dtype: weight.dtype, generator: generator);
        var scale = Scale(weight.detach());
        return (z * scale * Sigma).MoveToOuterDisposeScope();
    }

    /// <summary>The max|W| (or |w|) each element's sigma is relative to, broadcastable to the weight.</summary>
    public Tensor Scale(Tensor w)
    {
        switch (Scope)
        {
            case SigmaScope.Layer:
                return w.abs().max();
            case SigmaScope.Weight:
                return w.abs();
            default:
                {
                    long rows = w.shape[0], cols = w.shape[1], t = TileSize;
                    long pr = (rows + t - 1) / t * t, pc = (cols + t - 1) / t * t;
                    var padded = nn.functional.pad(w.abs(), new long[] { 0, pc - cols, 0, pr - rows });
                    var tileMax = padded.view(pr / t, t, pc / t, t).amax(new long[] { 1, 3 });
                    var full = tileMax.repeat_interleave(t, dim: 0).repeat_interleave(t, dim: 1);
                    return full[TensorIndex.Slice(0, rows), TensorIndex.Slice(0, cols)];
                }
        }
    }
}
