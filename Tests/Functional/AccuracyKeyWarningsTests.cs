using CimSim.Devices.Config;
using CimSim.Simulator.Functional;

namespace CimSim.Tests.Functional;

public class AccuracyKeyWarningsTests
{
    private static HardwareSpec WithAdc(bool ideal, AdcFullScaleMode mode = AdcFullScaleMode.Max)
    {
        var hw = new HardwareSpec();
        return hw with { Rram = hw.Rram with { Adc = hw.Rram.Adc with { Ideal = ideal, Range = hw.Rram.Adc.Range with { FullScale = mode } } } };
    }

    [Test]
    public void For_AdcBitsWithIdealAdc_OneLineNamingKeyAndReason()
    {
        var lines = AccuracyKeyWarnings.For(WithAdc(ideal: true), ["rram.adc.bits", "rram.array.rows"]);
        Assert.That(lines, Has.Count.EqualTo(1));
        Assert.That(lines[0], Does.Contain("rram.adc.bits").And.Contains("rram.adc.ideal is true"));
    }

    [Test]
    public void For_AdcBitsSweptTogetherWithIdeal_NoWarning()
    {
        Assert.That(AccuracyKeyWarnings.For(WithAdc(ideal: true), ["rram.adc.bits", "rram.adc.ideal"]), Is.Empty);
        Assert.That(AccuracyKeyWarnings.For(WithAdc(ideal: false), ["rram.adc.bits"]), Is.Empty);
    }

    [Test]
    public void For_CalibrationKeysWithMaxRange_Warns()
    {
        var lines = AccuracyKeyWarnings.For(WithAdc(ideal: false), ["rram.adc.range.calibration_percentile", "rram.adc.range.clip_fraction"]);
        Assert.That(lines, Has.Count.EqualTo(2));
        Assert.That(lines, Has.Some.Contains("not calibrated").And.Some.Contains("not fraction"));
    }
}
