using CimSim.Devices.Config;

namespace CimSim.Simulator.Functional;

/// <summary>
/// Config keys that an accuracy measurement cannot see under the rest of the config, e.g. `rram.adc.bits` while
/// `rram.adc.ideal` is true (the ADC converts exactly and is only priced). A sweep or accuracy run that varies
/// such a key measures the same accuracy at every value; <see cref="For"/> says so, one line per key.
/// </summary>
public static class AccuracyKeyWarnings
{
    private const string Adc = "rram.adc.";

    /// <summary>
    /// One warning line per key of <paramref name="varied"/> that cannot change accuracy on <paramref name="hw"/>
    /// (the config every point starts from); keys also varied together with their switch
    /// (e.g. rram.adc.ideal in the same grid) are not reported.
    /// </summary>
    public static IReadOnlyList<string> For(HardwareSpec hw, IReadOnlyCollection<string> varied)
    {
        var lines = new List<string>();
        var range = hw.Rram.Adc.Range;
        bool idealVaries = varied.Contains(Adc + "ideal"), modeVaries = varied.Contains(Adc + "range.full_scale");
        foreach (var key in varied.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            bool functionalAdcKey = key == Adc + "bits" || key.StartsWith(Adc + "range.", StringComparison.Ordinal);
            if (functionalAdcKey && hw.Rram.Adc.Ideal && !idealVaries)
            {
                lines.Add($"warning: {key} cannot change accuracy: rram.adc.ideal is true (conversions are exact, only priced); add -p rram.adc.ideal=false");
                continue;
            }
            if (modeVaries || hw.Rram.Adc.Ideal) continue;
            if (key == Adc + "range.clip_fraction" && range.FullScale != AdcFullScaleMode.Fraction)
                lines.Add($"warning: {key} cannot change accuracy: rram.adc.range.full_scale is {Name(range.FullScale)}, not fraction");
            else if (key is Adc + "range.calibration_percentile" or Adc + "range.calibration" && range.FullScale != AdcFullScaleMode.Calibrated)
                lines.Add($"warning: {key} cannot change accuracy: rram.adc.range.full_scale is {Name(range.FullScale)}, not calibrated");
            else if (key == Adc + "range.calibration_percentile" && range.Calibration == AdcCalibrationMethod.Mse && !varied.Contains(Adc + "range.calibration"))
                lines.Add($"warning: {key} cannot change accuracy: rram.adc.range.calibration is mse (it searches its own percentiles)");
        }
        return lines;
    }

    private static string Name(AdcFullScaleMode m) => m.ToString().ToLowerInvariant();
}
