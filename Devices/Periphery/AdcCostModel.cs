using CimSim.Devices.Config;

namespace CimSim.Devices.Periphery;

/// <summary>
/// One ADC design point (docs/devices.md, "ADC cost models"): energy and time per conversion and area of one ADC,
/// from one model and its source, with the range the model was stated for.
/// </summary>
public interface IAdcCostModel
{
    /// <summary>Model name as in YAML (rram.adc.impl).</summary>
    string Name { get; }

    double EnergyPicojoulesPerConversion { get; }

    double LatencySecondsPerConversion { get; }

    /// <summary>Area of one ADC, square micrometres.</summary>
    double AreaSquareMicrometres { get; }

    /// <summary>Why this configuration lies outside the model's stated validity range (empty when inside).</summary>
    IReadOnlyList<string> RangeWarnings { get; }
}

/// <summary>Shared checks: the Walden FoM a design point implies, E / 2^bits, against the survey's best SAR.</summary>
internal static class AdcRange
{
    /// <summary>Best published SAR Walden FoM, fJ per conversion step (REFERENCES 4, 2013); a model below it is out of range.</summary>
    public const double BestSarFomFemtojoulesPerStep = 2.2;

    public static List<string> FomCheck(string name, double energyPj, int bits)
    {
        var fom = energyPj * 1e3 / Math.Pow(2, bits);
        return fom < BestSarFomFemtojoulesPerStep
            ? [$"rram.adc ({name}): {energyPj * 1e3:G3} fJ per {bits}-bit conversion implies a Walden FoM of {fom:G2} fJ/step, better than the best published SAR ({BestSarFomFemtojoulesPerStep} fJ/step, REFERENCES 4): outside the model's range"]
            : [];
    }
}

/// <summary>
/// NeuroSim V1.4 SAR fit (REFERENCES.md 3): P = (a log2 L + b) uW + c exp(-d log10 R_col) uW, one conversion lasts
/// (log2 L + 1) SAR bit cycles, E = P x t. L = 2^bits levels; R_col is the resistance the column presents
/// (rows x mean cell conductance, inverted: docs/devices.md). Area: rram.adc.area_um2 (the fit has none).
/// </summary>
public sealed class NeuroSimSarAdc(AdcSpec adc, double columnResistanceOhms) : IAdcCostModel
{
    private readonly SarNeurosimAdcSpec _p = adc.SarNeurosim;

    public string Name => "sar-neurosim";

    public double PowerMicrowatts => _p.AMicrowatts * adc.Bits + _p.BMicrowatts + _p.CMicrowatts * Math.Exp(-_p.D * Math.Log10(columnResistanceOhms));

    public double LatencySecondsPerConversion => (adc.Bits + 1) * _p.BitCycleSeconds;

    // uW x s = 1e-6 J/s x s; to pJ: x 1e12 -> x 1e6.
    public double EnergyPicojoulesPerConversion => PowerMicrowatts * LatencySecondsPerConversion * 1e6;

    public double AreaSquareMicrometres => adc.AreaSquareMicrometres;

    public IReadOnlyList<string> RangeWarnings => AdcRange.FomCheck(Name, EnergyPicojoulesPerConversion, adc.Bits);
}

/// <summary>Walden figure of merit (Walden, IEEE JSAC 1999; Murmann's ADC survey): E = FoM x 2^ENOB, ENOB = bits - loss.</summary>
public sealed class WaldenAdc(AdcSpec adc) : IAdcCostModel
{
    private readonly WaldenAdcSpec _p = adc.Walden;

    public string Name => "walden";

    public double Enob => adc.Bits - _p.EnobLossBits;

    public double EnergyPicojoulesPerConversion => _p.FomFemtojoulesPerStep * Math.Pow(2, Enob) * 1e-3;

    public double LatencySecondsPerConversion => 1.0 / _p.SampleRateHz;

    public double AreaSquareMicrometres => adc.AreaSquareMicrometres;

    public IReadOnlyList<string> RangeWarnings => _p.FomFemtojoulesPerStep < AdcRange.BestSarFomFemtojoulesPerStep
        ? AdcRange.FomCheck(Name, EnergyPicojoulesPerConversion, adc.Bits) : [];
}

/// <summary>Tabulated energy per conversion against resolution (ISAAC / Accelergy points); log-linear interpolation, extrapolated from the end segments.</summary>
public sealed class TableAdc(AdcSpec adc) : IAdcCostModel
{
    private readonly TableAdcSpec _p = adc.Table;

    public string Name => "table";

    public double EnergyPicojoulesPerConversion => Interpolate(_p.Bits.Select(b => (double)b).ToArray(), _p.EnergyPicojoules.ToArray(), adc.Bits);

    public double LatencySecondsPerConversion => _p.LatencySeconds;

    public double AreaSquareMicrometres => adc.AreaSquareMicrometres;

    public IReadOnlyList<string> RangeWarnings => _p.Bits.Count > 0 && (adc.Bits < _p.Bits[0] || adc.Bits > _p.Bits[^1])
        ? [$"rram.adc (table): {adc.Bits}-bit ADC lies outside the table's {_p.Bits[0]}..{_p.Bits[^1]} bits; its energy is extrapolated"]
        : [];

    /// <summary>ln E linear in bits between neighbouring points (energy roughly doubles per bit at high resolution).</summary>
    public static double Interpolate(double[] xs, double[] es, double x)
    {
        if (xs.Length == 0 || xs.Length != es.Length) throw new ArgumentException("ADC table needs as many energies as resolutions, at least one");
        if (xs.Length == 1) return es[0];
        int j = 0;
        while (j < xs.Length - 2 && x > xs[j + 1]) j++;
        double t = (x - xs[j]) / (xs[j + 1] - xs[j]);
        return Math.Exp(Math.Log(es[j]) + t * (Math.Log(es[j + 1]) - Math.Log(es[j])));
    }
}

/// <summary>
/// ADC models by their YAML name (rram.adc.impl), each owning its parameter record (Ramulator 2's registry
/// pattern). Adding a model is one class plus one <see cref="Register"/> line here; no switch elsewhere.
/// </summary>
public static class AdcCostModel
{
    /// <summary>Builds one model from the ADC section and the column resistance its array presents, ohms.</summary>
    public delegate IAdcCostModel Factory(AdcSpec adc, double columnResistanceOhms);

    private static readonly Dictionary<AdcModelKind, Factory> Registry = new()
    {
        [AdcModelKind.SarNeurosim] = (a, r) => new NeuroSimSarAdc(a, r),
        [AdcModelKind.Walden] = (a, _) => new WaldenAdc(a),
        [AdcModelKind.Table] = (a, _) => new TableAdc(a),
        [AdcModelKind.Survey] = (a, _) => new SurveyAdc(a),
    };

    /// <summary>The registered kinds.</summary>
    public static IReadOnlyCollection<AdcModelKind> Kinds => Registry.Keys;

    public static IAdcCostModel Create(AdcSpec adc, double columnResistanceOhms)
    {
        ArgumentNullException.ThrowIfNull(adc);
        return Registry.TryGetValue(adc.Impl, out var make) ? make(adc, columnResistanceOhms)
            : throw new ArgumentOutOfRangeException(nameof(adc), adc.Impl, $"no ADC model registered for impl '{adc.Impl}'; registered: {string.Join(", ", Registry.Keys)}");
    }
}

/// <summary>
/// One survey design point (Murmann, "ADC Performance Survey", REFERENCES 7; docs/devices.md): energy per conversion
/// E = max(FoM_W x 2^ENOB, E_thermal) x max(1, f_s / f_corner), with E_thermal = 0.5 x 10^((SNDR - FoM_S) / 10) J from
/// Schreier's FoM_S = SNDR + 10 log10(f_s / 2 / P); time per conversion 1 / f_s; area A_ref x 2^(ENOB - ENOB_ref)
/// (a SAR's capacitive DAC doubles per bit). Valid for ENOB 4..14, the span the survey's frontier covers densely.
/// </summary>
public sealed class SurveyAdc(AdcSpec adc) : IAdcCostModel
{
    private readonly SurveyAdcSpec _p = adc.Survey;

    public const double MinEnob = 4, MaxEnob = 14;

    public string Name => "survey";

    public double Enob => adc.Bits - _p.EnobLossBits;

    public double SndrDecibels => 6.02 * Enob + 1.76;

    public double WaldenPicojoules => _p.FomWaldenFemtojoulesPerStep * Math.Pow(2, Enob) * 1e-3;

    public double ThermalPicojoules => 0.5 * Math.Pow(10, (SndrDecibels - _p.FomSchreierDecibels) / 10) * 1e12;

    public double SpeedPenalty => Math.Max(1, _p.SampleRateHz / _p.CornerRateHz);

    public double EnergyPicojoulesPerConversion => Math.Max(WaldenPicojoules, ThermalPicojoules) * SpeedPenalty;

    public double LatencySecondsPerConversion => 1.0 / _p.SampleRateHz;

    public double AreaSquareMicrometres => _p.ReferenceAreaSquareMicrometres * Math.Pow(2, Enob - _p.ReferenceBits);

    public IReadOnlyList<string> RangeWarnings => Enob < MinEnob || Enob > MaxEnob
        ? [$"rram.adc (survey): ENOB {Enob:G3} lies outside the survey frontier's {MinEnob}..{MaxEnob} bits; its energy and area are extrapolated"]
        : [];
}
