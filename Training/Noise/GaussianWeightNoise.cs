using CimSim.Common.Errors;
using CimSim.Common.Noise;
using static TorchSharp.torch;

namespace CimSim.Training.Noise;

/// <summary>
/// The HaLoRA paper's noise (Wu et al., arXiv 2502.19747; REFERENCES.md section 1): i.i.d. zero-mean Gaussian on
/// W0 with standard deviation sigma x max|W|. The paper does not say over what max|W| is taken; per 64 x 64 tile is
/// the default here (the RRAM tile the weights are programmed in), per layer and per weight are selectable.
/// </summary>
public sealed class GaussianWeightNoise : IWeightNoise
{
    /// <param name="model">The noise record (docs/noise-profile.schema.json's fit; rram.noise.weight_noise on the chip).</param>
    /// <param name="where">What to name in an error: a flag or a profile path.</param>
    public GaussianWeightNoise(NoiseModel model, string where = "noise model")
    {
        ArgumentNullException.ThrowIfNull(model);
        var problems = model.Problems(where);
        if (problems.Count > 0) throw new UserInputException($"{where}: invalid noise model", problems);
        Model = model;
    }

    /// <summary>The paper's noise from the command line: sigma relative to a square tile (the paper's 64), the layer or |w|.</summary>
    public static GaussianWeightNoise FromFlags(double sigma, string scope, int tileSize)
    {
        if (tileSize < 1) throw new UserInputException($"--tile-size: found {tileSize}, expected a positive integer");
        if (!(sigma >= 0 && double.IsFinite(sigma))) throw new UserInputException($"--sigma: found {sigma}, expected a non-negative number");
        return new GaussianWeightNoise(new NoiseModel { Sigma = sigma, Scale = NoiseScales.Parse(scope, "--sigma-scope"), TileInputs = tileSize, TileOutputs = tileSize }, "--sigma");
    }

    /// <summary>The one noise record this injects (its output term is the profile check's business, not the sampler's).</summary>
    public NoiseModel Model { get; }

    public string Describe() => Model.Describe();

    public Tensor? Sample(string modulePath, Tensor weight, Generator generator)
    {
        if (Model.Sigma == 0 && Model.Mean == 0) return null;
        using var scope = NewDisposeScope();
        var z = randn(weight.shape, dtype: weight.dtype, generator: generator);
        var scale = Scale(weight.detach());
        return ((z * Model.Sigma + Model.Mean) * scale).MoveToOuterDisposeScope();
    }

    /// <summary>The max|W| (or |w|) each element's sigma is relative to, broadcastable to the weight.</summary>
    public Tensor Scale(Tensor w)
    {
        switch (Model.Scale)
        {
            case NoiseScale.Layer:
                return w.abs().max();
            case NoiseScale.Weight:
                return w.abs();
            default:
                {
                    // W is [Out x In]: a crossbar tile spans TileOutputs rows and TileInputs columns of it.
                    long rows = w.shape[0], cols = w.shape[1], tr = Model.TileOutputs, tc = Model.TileInputs;
                    long pr = (rows + tr - 1) / tr * tr, pc = (cols + tc - 1) / tc * tc;
                    var padded = nn.functional.pad(w.abs(), new long[] { 0, pc - cols, 0, pr - rows });
                    var tileMax = padded.view(pr / tr, tr, pc / tc, tc).amax(new long[] { 1, 3 });
                    var full = tileMax.repeat_interleave(tr, dim: 0).repeat_interleave(tc, dim: 1);
                    return full[TensorIndex.Slice(0, rows), TensorIndex.Slice(0, cols)];
                }
        }
    }
}
