using System.Numerics.Tensors;
using CimSim.Devices.Config;

namespace CimSim.Devices.Rram;

/// <summary>Symmetric weight quantisation (docs/devices.md, "Quantisation"): q = clamp(round(W / s), -Q, Q), Q = 2^(B_w-1) - 1.</summary>
public static class WeightQuantizer
{
    /// <summary>Scale per output row: max|W[o,:]| / Q per channel, or max|W| / Q for all rows (per tensor). A zero row gets scale 0 and q = 0.</summary>
    public static float[] Scales(ReadOnlySpan<float> w, int outF, int inF, RramFormat s)
    {
        var scales = new float[outF];
        float q = s.WeightQMax;
        if (s.Spec.Array.WeightQuantization == WeightQuantizationGranularity.PerTensor)
        {
            Array.Fill(scales, Math.Abs(TensorPrimitives.MaxMagnitude(w)) / q);
            return scales;
        }
        for (int o = 0; o < outF; o++) scales[o] = Math.Abs(TensorPrimitives.MaxMagnitude(w.Slice(o * inF, inF))) / q;
        return scales;
    }

    /// <summary>Integer level of one weight (round half to even).</summary>
    public static int Level(float w, float scale, int qMax) =>
        scale > 0 ? (int)Math.Clamp(MathF.Round(w / scale), -qMax, qMax) : 0;

    /// <summary>The ideally quantised weights s_o q[o,i] ([out, in]): what a noise-free chip would hold.</summary>
    public static float[] Dequantized(ReadOnlySpan<float> w, int outF, int inF, RramFormat s)
    {
        var scales = Scales(w, outF, inF, s);
        var result = new float[w.Length];
        for (int o = 0; o < outF; o++)
            for (int i = 0; i < inF; i++)
                result[o * inF + i] = scales[o] * Level(w[o * inF + i], scales[o], s.WeightQMax);
        return result;
    }
}

/// <summary>Symmetric dynamic input quantisation and its split into DAC steps (docs/devices.md, "DAC").</summary>
public static class InputQuantizer
{
    /// <summary>xq = clamp(round(x / a), Q_min, Q) with a = max|x| / Q per token (or per tensor); returns a per token.
    /// Signed inputs: Q_min = -Q; unsigned inputs (rram.dac.signed_inputs: false): Q_min = 0, negatives clip to 0.</summary>
    public static float[] Quantize(ReadOnlySpan<float> x, int tokens, int inF, RramFormat s, Span<float> xq)
    {
        var scales = new float[tokens];
        float qMax = s.InputQMax;
        if (s.Spec.Dac.InputQuantization == InputQuantizationGranularity.PerTensor)
            Array.Fill(scales, Math.Abs(TensorPrimitives.MaxMagnitude(x[..(tokens * inF)])) / qMax);
        else
            for (int t = 0; t < tokens; t++) scales[t] = Math.Abs(TensorPrimitives.MaxMagnitude(x.Slice(t * inF, inF))) / qMax;
        for (int t = 0; t < tokens; t++)
        {
            var src = x.Slice(t * inF, inF);
            var dst = xq.Slice(t * inF, inF);
            float a = scales[t];
            if (a == 0 || !float.IsFinite(a)) { dst.Clear(); scales[t] = 0; continue; }
            TensorPrimitives.Divide(src, a, dst);
            TensorPrimitives.Round(dst, dst);
            TensorPrimitives.Clamp(dst, s.InputQMin, qMax, dst);
        }
        return scales;
    }

    /// <summary>
    /// Splits a two's-complement integer into DAC steps: v = sum_k c_k 2^(d k), lower steps unsigned d-bit
    /// chunks, the top step signed (arithmetic shift). With d = 1 the top step is -b_MSB: bit-serial two's
    /// complement with the MSB subtracted in the shift-and-add.
    /// </summary>
    public static void SplitSteps(int v, RramFormat s, Span<int> chunks)
    {
        int d = s.DacBits, steps = s.DacSteps, mask = (1 << d) - 1;
        for (int k = 0; k < steps - 1; k++) chunks[k] = (v >> (d * k)) & mask;
        chunks[steps - 1] = s.SignedInputs ? v >> (d * (steps - 1)) : (v >> (d * (steps - 1))) & ((1 << s.StepBits(steps - 1)) - 1);
    }
}
