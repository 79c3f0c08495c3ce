using System.Numerics.Tensors;
using CimSim.Common.Numerics;
using CimSim.Devices.Config;

namespace CimSim.Devices.Sram;

/// <summary>
/// Functional kernel of the SRAM digital CIM path: weights quantised symmetric per output channel to
/// weight_bits, inputs per token to input_bits, then an exact integer product (digital CIM has no analog
/// error). The product runs as float GEMMs over input chunks short enough that every partial sum stays below
/// 2^24 (exact in float), accumulated in double, so the result equals integer arithmetic for any size.
/// </summary>
public sealed class SramCimLinearLayer
{
    private readonly float[] _q;       // [out, in] integer levels
    private readonly float[] _scales;  // per output row
    private readonly int _inputQMax;

    public int OutFeatures { get; }
    public int InFeatures { get; }
    public SramCimSpec Spec { get; }

    private SramCimLinearLayer(SramCimSpec spec, int outF, int inF, float[] q, float[] scales)
    {
        Spec = spec;
        OutFeatures = outF;
        InFeatures = inF;
        _q = q;
        _scales = scales;
        _inputQMax = (1 << (spec.InputBits - 1)) - 1;
    }

    /// <summary>Loads (quantises) weights [outFeatures, inFeatures] row-major into macros.</summary>
    public static SramCimLinearLayer Load(ReadOnlySpan<float> weights, int outFeatures, int inFeatures, SramCimSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (weights.Length != (long)outFeatures * inFeatures) throw new ArgumentException($"weights hold {weights.Length} floats, expected {outFeatures} x {inFeatures}", nameof(weights));
        if (spec.WeightBits < 2 || spec.InputBits < 2) throw new ArgumentException("SRAM CIM needs at least 2-bit signed weights and inputs", nameof(spec));
        int qMax = (1 << (spec.WeightBits - 1)) - 1;
        var q = new float[weights.Length];
        var scales = new float[outFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            var row = weights.Slice(o * inFeatures, inFeatures);
            float s = Math.Abs(TensorPrimitives.MaxMagnitude(row)) / qMax;
            scales[o] = s;
            if (s == 0) continue;
            var dst = q.AsSpan(o * inFeatures, inFeatures);
            TensorPrimitives.Divide(row, s, dst);
            TensorPrimitives.Round(dst, dst);
            TensorPrimitives.Clamp(dst, -qMax, qMax, dst);
        }
        return new SramCimLinearLayer(spec, outFeatures, inFeatures, q, scales);
    }

    /// <summary>The dequantised weights the macros hold, [out, in].</summary>
    public float[] EffectiveWeights()
    {
        var w = new float[_q.Length];
        for (int o = 0; o < OutFeatures; o++)
            TensorPrimitives.Multiply(_q.AsSpan(o * InFeatures, InFeatures), _scales[o], w.AsSpan(o * InFeatures, InFeatures));
        return w;
    }

    /// <summary>y[tokens, out] = dequantised exact integer product of quantised x[tokens, in] and the held weights.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        if (x.Length < (long)tokens * InFeatures) throw new ArgumentException($"x holds {x.Length} floats, needs {tokens} x {InFeatures}", nameof(x));
        if (y.Length < (long)tokens * OutFeatures) throw new ArgumentException($"y holds {y.Length} floats, needs {tokens} x {OutFeatures}", nameof(y));
        if (tokens == 0) return;
        int inF = InFeatures, outF = OutFeatures;
        var xq = new float[tokens * inF];
        var a = new float[tokens];
        for (int t = 0; t < tokens; t++)
        {
            var src = x.Slice(t * inF, inF);
            float s = Math.Abs(TensorPrimitives.MaxMagnitude(src)) / _inputQMax;
            a[t] = s;
            if (s == 0 || !float.IsFinite(s)) { a[t] = 0; continue; }
            var dst = xq.AsSpan(t * inF, inF);
            TensorPrimitives.Divide(src, s, dst);
            TensorPrimitives.Round(dst, dst);
            TensorPrimitives.Clamp(dst, -_inputQMax, _inputQMax, dst);
        }
        // Chunk length keeping |partial sum| <= chunk x Qw x Qx < 2^24.
        long perProduct = (long)((1 << (Spec.WeightBits - 1)) - 1) * _inputQMax;
        int chunk = (int)Math.Max(1, Math.Min(inF, (1L << 24) / Math.Max(1, perProduct)));
        var acc = new double[tokens * outF];
        var part = new float[tokens * outF];
        var xc = new float[tokens * chunk];
        var wc = new float[outF * chunk];
        for (int i0 = 0; i0 < inF; i0 += chunk)
        {
            int len = Math.Min(chunk, inF - i0);
            ReadOnlySpan<float> xs, ws;
            if (len == inF) { xs = xq; ws = _q; }
            else
            {
                for (int t = 0; t < tokens; t++) xq.AsSpan(t * inF + i0, len).CopyTo(xc.AsSpan(t * len, len));
                for (int o = 0; o < outF; o++) _q.AsSpan(o * inF + i0, len).CopyTo(wc.AsSpan(o * len, len));
                xs = xc; ws = wc;
            }
            Blas.Gemm(false, true, tokens, outF, len, 1f, xs, ws, 0f, part);
            for (int j = 0; j < part.Length; j++) acc[j] += part[j];
        }
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < outF; o++)
                y[t * outF + o] = (float)(acc[t * outF + o] * _scales[o] * a[t]);
    }
}
