using CimSim.Common.Numerics;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;

namespace CimSim.Simulator.Functional;

/// <summary>
/// One frozen linear layer y[tokens, out] = x[tokens, in] W^T as some hardware computes it. The forward pass
/// only sees this seam; biases and LoRA are added by <see cref="Projection"/>.
/// </summary>
public interface ILinearExecutor
{
    int InFeatures { get; }

    int OutFeatures { get; }

    void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens);
}

/// <summary>Exact float32 arithmetic (BLAS GEMM/GEMV): the ideal-device reference, and digital units.</summary>
public sealed class IdealLinear(float[] weights, int outFeatures, int inFeatures) : ILinearExecutor
{
    public int InFeatures { get; } = inFeatures;

    public int OutFeatures { get; } = outFeatures;

    /// <summary>[out, in] row-major.</summary>
    public float[] Weights { get; } = weights.Length == (long)outFeatures * inFeatures ? weights
        : throw new ArgumentException($"weights hold {weights.Length} floats, expected {outFeatures} x {inFeatures}", nameof(weights));

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens) =>
        Blas.Gemm(false, true, tokens, OutFeatures, InFeatures, 1f, x, Weights, 0f, y);
}

/// <summary>A programmed RRAM layer (one chip instance) run through the bit-accurate or statistical device model.</summary>
public sealed class RramLinear(RramLinearLayer layer, RramPath path) : ILinearExecutor
{
    public RramLinearLayer Layer { get; } = layer;

    public RramPath Path { get; } = path;

    public int InFeatures => Layer.InFeatures;

    public int OutFeatures => Layer.OutFeatures;

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens) => Layer.Forward(x, y, tokens, Path);
}

/// <summary>
/// Places one W0 matrix on hardware: given the Hugging Face module name and its [out, in] weights, returns
/// the executor that computes with it. The weights array may be kept (ideal) or dropped after programming.
/// </summary>
public interface ILinearPlacer
{
    /// <summary>Short description for reports, e.g. "ideal" or "rram statistical (seed 3)".</summary>
    string Describe { get; }

    ILinearExecutor Place(string module, float[] weights, int outFeatures, int inFeatures);
}

/// <summary>Every linear exact (ideal devices).</summary>
public sealed class IdealPlacer : ILinearPlacer
{
    public static readonly IdealPlacer Instance = new();

    public string Describe => "ideal";

    public ILinearExecutor Place(string module, float[] weights, int outFeatures, int inFeatures) => new IdealLinear(weights, outFeatures, inFeatures);
}

/// <summary>
/// Every W0 linear programmed into RRAM crossbars as <paramref name="format"/> (derived from an RramSpec) describes them; the chip instance is
/// <paramref name="seed"/>, and each module draws from its own stream (seed, "rram/" + module name).
/// </summary>
public sealed class RramPlacer(RramFormat format, ulong seed, RramPath path) : ILinearPlacer
{
    public RramFormat Format { get; } = format;

    public ulong Seed { get; } = seed;

    public RramPath Path { get; } = path;

    public string Describe => $"rram {(Path == RramPath.BitAccurate ? "bit_accurate" : "statistical")} (seed {Seed})";

    public ILinearExecutor Place(string module, float[] weights, int outFeatures, int inFeatures)
        => new RramLinear(RramLinearLayer.Program(weights, outFeatures, inFeatures, Format, Seed, "rram/" + module), Path);
}
