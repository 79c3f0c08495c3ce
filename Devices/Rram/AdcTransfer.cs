using System.Numerics;
using System.Runtime.CompilerServices;

namespace CimSim.Devices.Rram;

/// <summary>
/// Transfer function of a column ADC in partial-sum units (one unit = one DAC level times one conductance
/// step): a mid-tread uniform quantiser p_hat = Delta * clamp(round(p / Delta), CodeMin, CodeMax), so a zero
/// partial sum reads exactly zero. Delta = 0 marks an ideal ADC (identity). docs/devices.md, "Column ADC".
/// </summary>
public readonly record struct AdcTransfer(float Delta, float CodeMin, float CodeMax)
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

    /// <summary>Variance of the rounding error for a signal that is not on the grid: Delta^2 / 12 (uniform error).</summary>
    public double QuantizationNoiseVariance => IsIdeal ? 0 : (double)Delta * Delta / 12.0;

    /// <summary>acc[i] += weight * ADC(p[i]); returns how many samples clipped.</summary>
    public int ConvertAccumulate(ReadOnlySpan<float> p, Span<float> acc, float weight)
    {
        if (p.Length > acc.Length) throw new ArgumentException("accumulator shorter than input", nameof(acc));
        if (IsIdeal)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p, weight, acc[..p.Length], acc[..p.Length]);
            return 0;
        }
        float inv = 1f / Delta, w = weight * Delta;
        int i = 0, clipped = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<float>.Count)
        {
            var vInv = new Vector<float>(inv);
            var vW = new Vector<float>(w);
            var vLo = new Vector<float>(CodeMin);
            var vHi = new Vector<float>(CodeMax);
            int n = Vector<float>.Count;
            for (; i <= p.Length - n; i += n)
            {
                var code = Vector.Round(new Vector<float>(p.Slice(i, n)) * vInv);
                var clampedLow = Vector.LessThan(code, vLo);
                var clampedHigh = Vector.GreaterThan(code, vHi);
                if (!Vector.EqualsAll(clampedLow | clampedHigh, Vector<int>.Zero))
                    clipped += CountLanes(clampedLow | clampedHigh);
                code = Vector.Min(Vector.Max(code, vLo), vHi);
                var a = new Vector<float>(acc.Slice(i, n));
                (a + code * vW).CopyTo(acc.Slice(i, n));
            }
        }
        for (; i < p.Length; i++)
        {
            float code = MathF.Round(p[i] * inv);
            if (code < CodeMin) { code = CodeMin; clipped++; }
            else if (code > CodeMax) { code = CodeMax; clipped++; }
            acc[i] += code * w;
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
        float code = Math.Clamp(MathF.Round(p / Delta), CodeMin, CodeMax);
        return code * Delta;
    }
}
