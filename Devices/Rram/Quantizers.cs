using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using CimSim.Common.Numerics;
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
        // Rows on all cores; each row's maximum is its own.
        ParallelRows.For(w[..(outF * inF)], inF, (o, row) => scales[o] = Math.Abs(TensorPrimitives.MaxMagnitude(row)) / q);
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
    public static unsafe float[] Quantize(ReadOnlySpan<float> x, int tokens, int inF, RramFormat s, Span<float> xq)
    {
        var scales = new float[tokens];
        float qMax = s.InputQMax, qMin = s.InputQMin;
        bool perTensor = s.Spec.Dac.InputQuantization == InputQuantizationGranularity.PerTensor;
        if (perTensor) Array.Fill(scales, Math.Abs(TensorPrimitives.MaxMagnitude(x[..(tokens * inF)])) / qMax);
        fixed (float* px = x, pq = xq)
        {
            nint src = (nint)px, dst = (nint)pq;
            ParallelRows.For(tokens, inF, t =>
            {
                var row = new ReadOnlySpan<float>((float*)src + (long)t * inF, inF);
                var outRow = new Span<float>((float*)dst + (long)t * inF, inF);
                if (!perTensor) scales[t] = Math.Abs(TensorPrimitives.MaxMagnitude(row)) / qMax;
                float a = scales[t];
                if (a == 0 || !float.IsFinite(a))
                {
                    outRow.Clear();
                    scales[t] = 0;
                }
                else QuantizeRow(row, outRow, a, qMin, qMax);
            });
        }
        return scales;
    }

    /// <summary>
    /// dst = clamp(round_half_even(src / a), qMin, qMax) in one pass: the same IEEE operations, in the same order, as
    /// TensorPrimitives' Divide, Round and Clamp one after another (src finite: |src| &lt;= a qMax).
    /// </summary>
    private static void QuantizeRow(ReadOnlySpan<float> src, Span<float> dst, float a, float qMin, float qMax)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            var lo = Vector256.Create(qMin);
            var hi = Vector256.Create(qMax);
            for (; i <= src.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.Min(Vector256.Max(Vector256.Round(Vector256.Create(src.Slice(i, Vector256<float>.Count)) / va), lo), hi)
                    .CopyTo(dst.Slice(i, Vector256<float>.Count));
        }
        for (; i < src.Length; i++) dst[i] = Math.Clamp(MathF.Round(src[i] / a), qMin, qMax);
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
