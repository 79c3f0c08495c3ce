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
    /// <param name="sigma">Standard deviation relative to the scope's max|W|.</param>
    /// <param name="scope">What max|W| refers to.</param>
    /// <param name="tileSize">Tile edge when square (the paper's 64).</param>
    /// <param name="mean">Mean of the error, relative like sigma (0 for the paper's noise).</param>
    /// <param name="tileInputs">Tile rows of the crossbar (input features); defaults to tileSize.</param>
    /// <param name="tileOutputs">Tile columns of the crossbar (output features); defaults to tileSize.</param>
    public GaussianWeightNoise(double sigma, SigmaScope scope = SigmaScope.Tile, int tileSize = 64, double mean = 0, int? tileInputs = null, int? tileOutputs = null)
    {
        if (!(sigma >= 0 && double.IsFinite(sigma))) throw new UserInputException($"--sigma: found {sigma}, expected a non-negative number");
        if (tileSize < 1) throw new UserInputException($"--tile-size: found {tileSize}, expected a positive integer");
        Sigma = sigma;
        Scope = scope;
        Mean = mean;
        TileInputs = tileInputs ?? tileSize;
        TileOutputs = tileOutputs ?? tileSize;
        if (TileInputs < 1 || TileOutputs < 1) throw new UserInputException($"tile {TileInputs}x{TileOutputs}: expected positive sizes");
    }

    public double Sigma { get; }

    public double Mean { get; }

    public SigmaScope Scope { get; }

    /// <summary>Crossbar rows per tile (input features).</summary>
    public int TileInputs { get; }

    /// <summary>Crossbar columns per tile (output features).</summary>
    public int TileOutputs { get; }

    public static SigmaScope ParseScope(string text) => text.Trim().ToLowerInvariant() switch
    {
        "tile" => SigmaScope.Tile,
        "layer" => SigmaScope.Layer,
        "weight" => SigmaScope.Weight,
        _ => throw new UserInputException($"--sigma-scope: found '{text}', expected tile, layer or weight"),
    };

    public string Describe() => $"Gaussian, {(Mean != 0 ? $"mean {Mean}, " : "")}sigma {Sigma} x max|W| per {(Scope == SigmaScope.Tile ? $"{TileInputs}x{TileOutputs} tile" : Scope.ToString().ToLowerInvariant())}";

    public Tensor? Sample(string modulePath, Tensor weight, Generator generator)
    {
        if (Sigma == 0 && Mean == 0) return null;
        using var scope = NewDisposeScope();
        var z = randn(weight.shape, dtype: weight.dtype, generator: generator);
        var scale = Scale(weight.detach());
        return ((z * Sigma + Mean) * scale).MoveToOuterDisposeScope();
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
                    // W is [Out x In]: a crossbar tile spans TileOutputs rows and TileInputs columns of it.
                    long rows = w.shape[0], cols = w.shape[1], tr = TileOutputs, tc = TileInputs;
                    long pr = (rows + tr - 1) / tr * tr, pc = (cols + tc - 1) / tc * tc;
                    var padded = nn.functional.pad(w.abs(), new long[] { 0, pc - cols, 0, pr - rows });
                    var tileMax = padded.view(pr / tr, tr, pc / tc, tc).amax(new long[] { 1, 3 });
                    var full = tileMax.repeat_interleave(tr, dim: 0).repeat_interleave(tc, dim: 1);
                    return full[TensorIndex.Slice(0, rows), TensorIndex.Slice(0, cols)];
                }
        }
    }
}
