using System.Numerics;
using System.Runtime.CompilerServices;

namespace CimSim.Devices.Rram;

/// <summary>
/// Transfer function of a column ADC in partial-sum units (one unit = one DAC level times one conductance
/// step): a uniform quantiser p_hat = Offset + Delta * clamp(round((p - Offset) / Delta), CodeMin, CodeMax).
/// With Offset = 0 it is mid-tread, so a zero partial sum reads exactly zero; a calibrated range [lo, hi]
/// (CrossSim's adc_range) sets Offset = lo and codes 0..2^B-1. Delta = 0 marks an ideal ADC (identity).
/// docs/devices.md, "Column ADC".
/// </summary>
public readonly record struct AdcTransfer(float Delta, float CodeMin, float CodeMax, float Offset = 0)
{
    public static AdcTransfer Ideal => new(0, float.NegativeInfinity, float.PositiveInfinity);

    public bool IsIdeal => Delta == 0;

    /// <summary>True when the step is one unit: integer partial sums inside the range convert exactly.</summary>
    public bool IsLossless => Delta is 0 or 1;

    /// <summary>
    /// The ADC of an array with <paramref name="rows"/> rows for partial sums sum_r c_r e_r with c in
    /// [cMin, cMax] and e in [eMin, eMax]. The full scale is rangeFraction x the largest possible |p|;
    /// a bipolar range (p of both signs) spends one bit on the sign (codes -(2^(B-1)-1)..2^(B-1)-1), a
    /// unipolar one uses 2^B - 1 steps. When the step would be finer than one unit the ADC is lossless
    /// (Delta = 1): partial sums of integers are integers.
    /// </summary>
    public static AdcTransfer For(int adcBits, double rangeFraction, int rows, (int Min, int Max) c, (int Min, int Max) e)
    {
        if (adcBits <= 0 || adcBits >= 31) return Ideal;
        long[] corners = [(long)c.Min * e.Min, (long)c.Min * e.Max, (long)c.Max * e.Min, (long)c.Max * e.Max];
        double pMin = (double)rows * corners.Min(), pMax = (double)rows * corners.Max();
        bool bipolar = pMin < 0 && pMax > 0;
        double full = rangeFraction * Math.Max(-pMin, pMax);
        if (full <= 0) return new AdcTransfer(1, 0, 0);
        double steps = bipolar ? Math.Max(1, (1L << (adcBits - 1)) - 1) : (1L << adcBits) - 1;
        double delta = full / steps;
        if (delta <= 1)
        {
            // Lossless: one code per integer partial sum, clipped at the (possibly reduced) full scale.
            float lo = pMin < 0 ? -(float)Math.Floor(rangeFraction * -pMin) : 0f;
            float hi = pMax > 0 ? (float)Math.Floor(rangeFraction * pMax) : 0f;
            return new AdcTransfer(1, lo, hi);
        }
        float codeMin = pMin < 0 ? -(float)steps : 0f;
        float codeMax = pMax > 0 ? (float)steps : 0f;
        return new AdcTransfer((float)delta, codeMin, codeMax);
    }

    /// <summary>
    /// A B-bit ADC whose 2^B levels span the calibrated range [lo, hi] (CrossSim's per-layer adc_range; NeuroSim's
    /// and aihwkit's out_bound play the same role): Delta = (hi - lo) / (2^B - 1), p_hat = lo + Delta code. A range
    /// that holds 2^B or fewer integers converts integer partial sums exactly (Delta = 1, clipped to [lo, hi]).
    /// </summary>
    public static AdcTransfer ForRange(int adcBits, double lo, double hi)
    {
        if (adcBits <= 0 || adcBits >= 31) return Ideal;
        if (!(hi >= lo)) throw new ArgumentException($"ADC range [{lo}, {hi}] is empty");
        double levels = (1L << adcBits) - 1;
        double delta = (hi - lo) / levels;
        if (delta <= 1)
        {
            float l = (float)Math.Floor(lo), h = (float)Math.Ceiling(hi);
            return new AdcTransfer(1, l, h);
        }
        return new AdcTransfer((float)delta, 0, (float)levels, (float)lo);
    }

    /// <summary>Variance of the rounding error for a signal that is not on the grid: Delta^2 / 12 (uniform error).</summary>
    public double QuantizationNoiseVariance => IsIdeal ? 0 : (double)Delta * Delta / 12.0;

    /// <summary>acc[i] += weight * ADC(p[i]); returns how many samples clipped. Compiled fully optimised from its first call (a hot kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int ConvertAccumulate(ReadOnlySpan<float> p, Span<float> acc, float weight)
    {
        if (p.Length > acc.Length) throw new ArgumentException("accumulator shorter than input", nameof(acc));
        if (IsIdeal)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p, weight, acc[..p.Length], acc[..p.Length]);
            return 0;
        }
        float inv = 1f / Delta, w = weight * Delta, off = Offset;
        int i = 0, clipped = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<float>.Count)
        {
            var vOff = new Vector<float>(off);
            var vBase = new Vector<float>(weight * off);
            var vInv = new Vector<float>(inv);
            var vW = new Vector<float>(w);
            var vLo = new Vector<float>(CodeMin);
            var vHi = new Vector<float>(CodeMax);
            int n = Vector<float>.Count;
            for (; i <= p.Length - n; i += n)
            {
                var code = Vector.Round((new Vector<float>(p.Slice(i, n)) - vOff) * vInv);
                var clampedLow = Vector.LessThan(code, vLo);
                var clampedHigh = Vector.GreaterThan(code, vHi);
                if (!Vector.EqualsAll(clampedLow | clampedHigh, Vector<int>.Zero))
                    clipped += CountLanes(clampedLow | clampedHigh);
                code = Vector.Min(Vector.Max(code, vLo), vHi);
                var a = new Vector<float>(acc.Slice(i, n));
                (a + code * vW + vBase).CopyTo(acc.Slice(i, n));
            }
        }
        for (; i < p.Length; i++)
        {
            float code = MathF.Round((p[i] - off) * inv);
            if (code < CodeMin) { code = CodeMin; clipped++; }
            else if (code > CodeMax) { code = CodeMax; clipped++; }
            acc[i] += code * w + weight * off;
        }
        return clipped;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountLanes(Vector<int> mask)
    {
        int c = 0;
        for (int j = 0; j < Vector<int>.Count; j++) if (mask[j] != 0) c++;
        return c;
    }

    /// <summary>Scalar conversion (tests, cost models).</summary>
    public float Convert(float p)
    {
        if (IsIdeal) return p;
        float code = Math.Clamp(MathF.Round((p - Offset) / Delta), CodeMin, CodeMax);
        return Offset + code * Delta;
    }
}
