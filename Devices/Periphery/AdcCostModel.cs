using CimSim.Devices.Config;

namespace CimSim.Devices.Periphery;

/// <summary>Energy and time of one ADC conversion (docs/devices.md, "ADC cost models").</summary>
public interface IAdcCostModel
{
    /// <summary>Model name as in YAML (rram.adc.impl).</summary>
    string Name { get; }

    double EnergyPicojoulesPerConversion { get; }

    double LatencySecondsPerConversion { get; }
}

/// <summary>
/// NeuroSim V1.4 SAR fit (REFERENCES.md 3): P = (a log2 L + b) uW + c exp(-d log10 R_col) uW, one conversion lasts
/// (log2 L + 1) SAR bit cycles, E = P x t. L = 2^bits levels; R_col is the resistance the column presents
/// (here rows x mean cell conductance, inverted: docs/devices.md).
/// </summary>
public sealed class NeuroSimSarAdc(SarNeurosimAdcSpec p, int bits, double columnResistanceOhms) : IAdcCostModel
{
    public string Name => "sar-neurosim";

    public double PowerMicrowatts => p.AMicrowatts * bits + p.BMicrowatts + p.CMicrowatts * Math.Exp(-p.D * Math.Log10(columnResistanceOhms));

    public double LatencySecondsPerConversion => (bits + 1) * p.BitCycleSeconds;

    // uW x s = 1e-6 J/s x s; to pJ: x 1e12 -> x 1e6.
    public double EnergyPicojoulesPerConversion => PowerMicrowatts * LatencySecondsPerConversion * 1e6;
}

/// <summary>Walden figure of merit (Walden, IEEE JSAC 1999; Murmann's ADC survey): E = FoM x 2^ENOB, ENOB = bits - loss.</summary>
public sealed class WaldenAdc(WaldenAdcSpec p, int bits) : IAdcCostModel
{
    public string Name => "walden";

    public double Enob => bits - p.EnobLossBits;

    public double EnergyPicojoulesPerConversion => p.FomFemtojoulesPerStep * Math.Pow(2, Enob) * 1e-3;

    public double LatencySecondsPerConversion => 1.0 / p.SampleRateHz;
}

/// <summary>Tabulated energy per conversion against resolution (ISAAC / Accelergy points); log-linear interpolation, extrapolated from the end segments.</summary>
public sealed class TableAdc(TableAdcSpec p, int bits) : IAdcCostModel
{
    public string Name => "table";

    public double EnergyPicojoulesPerConversion => Interpolate(p.Bits.Select(b => (double)b).ToArray(), p.EnergyPicojoules.ToArray(), bits);

    public double LatencySecondsPerConversion => p.LatencySeconds;

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

/// <summary>Builds the ADC cost model named by rram.adc.impl. Adding a model is one class plus one line here.</summary>
public static class AdcCostModel
{
    public static IAdcCostModel Create(AdcSpec adc, double columnResistanceOhms)
    {
        ArgumentNullException.ThrowIfNull(adc);
        return adc.Impl switch
        {
            AdcModelKind.SarNeurosim => new NeuroSimSarAdc(adc.SarNeurosim, adc.Bits, columnResistanceOhms),
            AdcModelKind.Walden => new WaldenAdc(adc.Walden, adc.Bits),
            AdcModelKind.Table => new TableAdc(adc.Table, adc.Bits),
            _ => throw new ArgumentOutOfRangeException(nameof(adc), adc.Impl, "unknown ADC model"),
        };
    }
}
