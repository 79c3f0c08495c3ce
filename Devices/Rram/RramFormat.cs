using CimSim.Common.Noise;
using CimSim.Devices.Config;

namespace CimSim.Devices.Rram;

/// <summary>
/// Quantities derived once from an <see cref="RramSpec"/> that the functional kernel and the cost models share:
/// slices per weight, DAC steps and their value ranges, the digit range of a slice, the ADC transfer per step,
/// conductances in siemens. docs/devices.md explains each.
/// </summary>
public sealed class RramFormat
{
    public RramSpec Spec { get; }

    public RramFormat(RramSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        var problems = Problems(spec);
        if (problems.Count > 0) throw new ArgumentException("RRAM spec cannot be simulated: " + string.Join("; ", problems), nameof(spec));
        WeightNoise = spec.Noise.WeightNoise.Model;
        GMinSiemens = spec.Device.GMinMicrosiemens * 1e-6;
        GMaxSiemens = spec.Device.GMaxMicrosiemens * 1e-6;
        Adc = new AdcTransfer[DacSteps];
        for (int k = 0; k < DacSteps; k++) Adc[k] = AdcTransferForStep(k, AdcRangeFraction);
    }

    public int ArrayRows => Spec.Array.Rows;
    public int ArrayColumns => Spec.Array.Cols;
    public int WeightBits => Spec.Array.WeightBits;
    public int BitsPerCell => Spec.Array.BitsPerCell;
    public bool Differential => Spec.Array.Encoding == WeightEncoding.Differential;
    public int InputBits => Spec.Dac.InputBits;
    public bool SignedInputs => Spec.Dac.SignedInputs;

    /// <summary>Bits applied per DAC step (the whole input when not bit-serial).</summary>
    public int DacBits => Spec.Dac.BitSerial ? Math.Min(Spec.Dac.Bits, InputBits) : InputBits;

    public int DacSteps => (InputBits + DacBits - 1) / DacBits;

    public double GMinSiemens { get; }
    public double GMaxSiemens { get; }

    /// <summary>Conductance of one digit step: (G_max - G_min) / (2^b - 1).</summary>
    public double ConductanceStepSiemens => (GMaxSiemens - GMinSiemens) / DigitMax;

    /// <summary>Largest integer weight magnitude: 2^(B_w-1) - 1 (symmetric).</summary>
    public int WeightQMax => (1 << (WeightBits - 1)) - 1;

    /// <summary>Largest integer input: 2^(B_a-1) - 1 (signed, symmetric) or 2^B_a - 1 (unsigned).</summary>
    public int InputQMax => SignedInputs ? (1 << (InputBits - 1)) - 1 : (1 << InputBits) - 1;

    public int InputQMin => SignedInputs ? -InputQMax : 0;

    public int SlicesPerWeight => Spec.Array.WeightSlices;
    public int DigitMax => (1 << BitsPerCell) - 1;
    public int CellsPerSlice => Differential ? 2 : 1;

    /// <summary>Offset stored with each weight in the offset encoding: 2^(B_w-1); 0 for the differential pair.</summary>
    public int WeightOffset => Differential ? 0 : 1 << (WeightBits - 1);

    /// <summary>Offset encoding with the reference column at the offset level, subtracted before the ADC.</summary>
    public bool AnalogOffsetSubtraction => !Differential && Spec.Array.OffsetSubtraction == OffsetSubtraction.Analog;

    /// <summary>What the digital back end subtracts per unit of sum_i x_q[i] after the ADC: 2^(B_w-1) for offset
    /// encoding with digital subtraction, 0 otherwise (differential pairs, or the offset removed in the array).</summary>
    public int DigitalOffset => Differential || AnalogOffsetSubtraction ? 0 : WeightOffset;

    /// <summary>Digit the reference column holds for slice s and subtracts in the array before the ADC: the slice's
    /// digit of the offset 2^(B_w-1) with analog subtraction, else 0 (a G_min reference, removing only G_min).</summary>
    public int ReferenceDigit(int slice) => AnalogOffsetSubtraction ? (WeightOffset >> (BitsPerCell * slice)) & DigitMax : 0;

    /// <summary>Inclusive range of a slice's signed digit as the ADC sees it: -(2^b-1)..2^b-1 (differential),
    /// 0..2^b-1 (offset, digital subtraction), or -r..2^b-1-r over the slices' reference digits r (analog subtraction).</summary>
    public (int Min, int Max) DigitRange
    {
        get
        {
            if (Differential) return (-DigitMax, DigitMax);
            var refs = Enumerable.Range(0, SlicesPerWeight).Select(ReferenceDigit).ToList();
            return (-refs.Max(), DigitMax - refs.Min());
        }
    }

    public int StepBits(int k) => k < DacSteps - 1 ? DacBits : InputBits - DacBits * (DacSteps - 1);

    /// <summary>Inclusive value range at DAC step k: unsigned chunks, the top chunk signed when inputs are signed.</summary>
    public (int Min, int Max) StepRange(int k)
    {
        int bits = StepBits(k);
        if (k < DacSteps - 1 || !SignedInputs) return (0, (1 << bits) - 1);
        return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
    }

    public bool IdealAdc => Spec.Adc.Ideal;

    /// <summary>This format with its ADC at <paramref name="bits"/> (a mapping.adc_bits override); itself when the bits are already those.</summary>
    public RramFormat WithAdcBits(int bits) => bits == Spec.Adc.Bits ? this : new RramFormat(Spec with { Adc = Spec.Adc with { Bits = bits } });

    /// <summary>ADC full scale as a fraction of the largest possible partial sum (calibrated ranges start at 1 until calibrated).</summary>
    public double AdcRangeFraction => Spec.Adc.Range.FullScale == AdcFullScaleMode.Fraction ? Spec.Adc.Range.ClipFraction : 1.0;

    /// <summary>ADC transfer per DAC step (the same for every slice and array).</summary>
    public AdcTransfer[] Adc { get; }

    public AdcTransfer AdcTransferForStep(int k, double rangeFraction) =>
        IdealAdc ? AdcTransfer.Ideal : AdcTransfer.For(Spec.Adc.Bits, rangeFraction, ArrayRows, StepRange(k), DigitRange);

    // ---- non-idealities, resolved ----
    private RramNoiseSpec Noise => Spec.Noise;

    public bool ProgrammingNoiseOn => Noise.Programming.Impl switch
    {
        ProgrammingNoiseModel.None => false,
        ProgrammingNoiseModel.GaussianAbsolute => Noise.Programming.SigmaMicrosiemens > 0,
        ProgrammingNoiseModel.Polynomial => Noise.Programming.CoefficientsMicrosiemens.Any(c => c != 0),
        _ => Noise.Programming.Sigma > 0,
    };

    public bool StuckAtOn => Noise.StuckAt.RateGmin > 0 || Noise.StuckAt.RateGmax > 0;
    public bool DriftOn => Noise.Drift.Enabled && (Noise.Drift.Nu > 0 || Noise.Drift.NuSigma > 0) && Noise.Drift.TSeconds > Noise.Drift.T0Seconds;
    /// <summary>Global drift compensation applies: drift on and rram.noise.drift.compensation (docs/lifecycle.md, "Drift compensation").</summary>
    public bool DriftCompensationOn => DriftOn && Noise.Drift.Compensation;

    /// <summary>Time of the last reference read at or before the read time t_s: floor(t_s / period) x period, seconds (the
    /// reference read right after programming, at t0, when no periodic read has happened yet).</summary>
    public double DriftReferenceReadSeconds
    {
        get
        {
            var d = Noise.Drift;
            double k = Math.Floor(d.TSeconds / d.CompensationPeriodSeconds * (1 + 1e-12));
            return Math.Max(d.T0Seconds, Math.Min(d.TSeconds, k * d.CompensationPeriodSeconds));
        }
    }

    public bool IrDropOn => Noise.IrDrop.Enabled && Noise.IrDrop.WireResistanceOhmPerCell > 0;
    /// <summary>The paper's abstract weight noise as the shared noise record (rram.noise.weight_noise).</summary>
    public NoiseModel WeightNoise { get; private init; } = null!;

    public bool WeightNoiseOn => WeightNoise.Sigma > 0 || WeightNoise.Mean != 0;

    /// <summary>How the weight noise's normal draws are made (rram.noise.weight_noise.generator).</summary>
    public NormalGenerator WeightNoiseGenerator => Spec.Noise.WeightNoise.Generator;

    public bool ReadNoiseOn => Noise.Read.Sigma > 0;
    public bool ReadNoiseRelativeToG => ReadNoiseOn && Noise.Read.RelativeTo == ReadNoiseScale.G;

    /// <summary>Program-and-verify applies: enabled with programming noise on (without noise every first pulse is accepted).</summary>
    public bool ProgramVerifyOn => Spec.ProgramVerify.Enabled && ProgrammingNoiseOn;

    /// <summary>Program-and-verify acceptance half-width, siemens.</summary>
    public double ProgramVerifyToleranceSiemens => Spec.ProgramVerify.ToleranceMicrosiemens * 1e-6;

    /// <summary>Any effect that changes a cell's conductance away from its target.</summary>
    public bool AnyCellNoise => ProgrammingNoiseOn || StuckAtOn || DriftOn || IrDropOn;

    /// <summary>Any effect that makes partial sums non-integer.</summary>
    public bool AnyAnalogNoise => AnyCellNoise || WeightNoiseOn || ReadNoiseOn;

    /// <summary>Programming-noise sigma in siemens at target conductance g.</summary>
    public double ProgrammingSigmaSiemens(double g)
    {
        var pn = Noise.Programming;
        switch (pn.Impl)
        {
            case ProgrammingNoiseModel.GaussianAbsolute: return pn.SigmaMicrosiemens * 1e-6;
            case ProgrammingNoiseModel.GaussianRelativeGmax: return pn.Sigma * GMaxSiemens;
            case ProgrammingNoiseModel.GaussianRelativeG: return pn.Sigma * g;
            case ProgrammingNoiseModel.Polynomial:
                {
                    // aihwkit ReRamWan2022 form: sigma(uS) = sum_k c_k x^k, x = G / G_max of the fit (both in uS).
                    double x = g * 1e6 / pn.FitGMaxMicrosiemens, acc = 0, xp = 1;
                    foreach (var c in pn.CoefficientsMicrosiemens) { acc += c * xp; xp *= x; }
                    return Math.Max(0, acc) * 1e-6;
                }
            default: return 0;
        }
    }

    /// <summary>Read-noise sigma of one cell in digit units for the G_max-relative model.</summary>
    public double ReadSigmaDigitsGmax => Noise.Read.RelativeTo == ReadNoiseScale.Gmax ? Noise.Read.Sigma * GMaxSiemens / ConductanceStepSiemens : 0;

    /// <summary>Problems that the YAML ranges cannot catch but would break the kernel; all at once.</summary>
    public static IReadOnlyList<string> Problems(RramSpec s)
    {
        var p = new List<string>();
        if (s.Array.WeightBits < 2) p.Add($"rram.array.weight_bits = {s.Array.WeightBits}, expected >= 2 for signed weights");
        if (s.Dac.InputBits < 2 && s.Dac.SignedInputs) p.Add($"rram.dac.input_bits = {s.Dac.InputBits}, expected >= 2 for signed inputs");
        if (!s.Dac.BitSerial && s.Dac.Bits != s.Dac.InputBits)
            p.Add($"rram.dac.bits = {s.Dac.Bits} with bit_serial: false, expected bits = input_bits ({s.Dac.InputBits})");
        if (!(s.Device.GMaxMicrosiemens > s.Device.GMinMicrosiemens))
            p.Add($"rram.device: g_min_us = {s.Device.GMinMicrosiemens}, g_max_us = {s.Device.GMaxMicrosiemens}, expected g_min_us < g_max_us");
        if (s.Noise.StuckAt.RateGmin + s.Noise.StuckAt.RateGmax > 1)
            p.Add($"rram.noise.stuck_at: rate_gmin + rate_gmax = {s.Noise.StuckAt.RateGmin + s.Noise.StuckAt.RateGmax}, expected <= 1");
        return p;
    }
}
