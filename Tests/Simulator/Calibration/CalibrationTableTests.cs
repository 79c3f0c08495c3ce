using CimSim.Devices.Config;
using CimSim.Devices.Periphery;
using CimSim.Simulator.Calibration;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Simulator.Calibration;

/// <summary>The rows of docs/validation.md's calibration table, each against its published figure or a closed form.</summary>
public class CalibrationTableTests
{
    private static string Config(string name) => Path.Combine(FixturePaths.RepoRoot, "hw-configs", name);

    [Test]
    public void RramMacro_HungLike_TopsPerWattWithinPublished22nmSpan()
    {
        // Hung et al.: 15.6 TOPS/W (Nat. Electron. 2021) and 21.6 TOPS/W (JSSC 2023) at 8b/8b, 22 nm (REFERENCES 3).
        var (tops, _) = CalibrationTable.RramMacro(HardwareConfigLoader.Load(Config("hung-rram-22nm.yaml")));
        Assert.That(tops, Is.InRange(15.6 * 0.7, 21.6 * 1.3));
        Assert.That(Math.Min(Math.Abs(tops / 15.6 - 1), Math.Abs(tops / 21.6 - 1)), Is.LessThanOrEqualTo(0.30));
    }

    [Test]
    public void RramMacro_HungLike_EnergyIsCellReadPlusPeripheryClosedForm()
    {
        // 128x128 array, offset encoding (127 weights + 1 reference column), 8 bit-serial steps, 16 ADCs of 8 columns.
        var spec = HardwareConfigLoader.Load(Config("hung-rram-22nm.yaml"));
        var d = spec.Rram.Device;
        double steps = 8, gMean = 0.5 * (d.GMinMicrosiemens + d.GMaxMicrosiemens) * 1e-6;
        double cellPj = 0.5 * d.ReadVoltageVolts * d.ReadVoltageVolts * gMean * d.ReadPulseSeconds * 1e12;
        double adcPj = 2.2e-3 * Math.Pow(2, 8) + spec.Rram.Adc.SampleHold.EnergyPicojoules + spec.Rram.ShiftAdd.EnergyPicojoules;
        double pj = steps * (128 * 128 * cellPj + 128 * spec.Rram.Dac.EnergyPicojoulesPerDrive + 128 * adcPj);
        var (tops, _) = CalibrationTable.RramMacro(spec);
        Assert.That(tops, Is.EqualTo(2.0 * 128 * 127 / pj).Within(1e-9).Percent);
    }

    [Test]
    public void SramMacro_PaperConfig_MatchesIsscc21Within30Percent()
    {
        var (tops, density) = CalibrationTable.SramMacro(HardwareConfigLoader.Load(Config("paper-halora.yaml")));
        Assert.That(tops, Is.EqualTo(89).Within(30).Percent);
        Assert.That(density, Is.EqualTo(16.3).Within(30).Percent);
    }

    [TestCase(5, 0.0704)]
    [TestCase(8, 0.5632)]
    [TestCase(10, 2.483)]
    public void SurveyAdc_DefaultFrontier_EnergyAndAreaFollowClosedForm(int bits, double expectedPj)
    {
        // max(2.2 fJ x 2^ENOB, 0.5 x 10^((6.02 ENOB + 1.76 - 175) / 10) J): Walden-limited up to ~9 bits, thermal above.
        var adc = new SurveyAdc(new HardwareSpec().Rram.Adc with { Bits = bits });
        Assert.That(adc.EnergyPicojoulesPerConversion, Is.EqualTo(expectedPj).Within(0.1).Percent);
        Assert.That(adc.AreaSquareMicrometres, Is.EqualTo(567.0 * Math.Pow(2, bits - 8)).Within(1e-9).Percent);
        Assert.That(adc.LatencySecondsPerConversion, Is.EqualTo(1 / 1.2e9).Within(1e-9).Percent);
        Assert.That(adc.RangeWarnings, Is.Empty);
    }

    [Test]
    public void NeuroSimSarFit_EightBits_WarnsItBeatsTheBestPublishedSar()
    {
        var spec = new HardwareSpec();
        spec = spec with { Rram = spec.Rram with { Adc = spec.Rram.Adc with { Impl = AdcModelKind.SarNeurosim } } };
        Assert.That(HardwareSpecValidator.Warnings(spec), Has.Some.Contains("best published SAR"));
        Assert.That(HardwareSpecValidator.Warnings(new HardwareSpec()), Has.None.Contains("rram.adc"));
    }

    [Test]
    public void PaperBlocks_Llama1B_AtLeastArrayReadPlusAdcClosedFormAndLoraShareBesidePaper()
    {
        // Why Table 6's 18.1 mJ is out of reach with published-class devices: 512 tokens x the decoder's W0 MACs x
        // (cell read 8 x 0.5 x V^2 G_mean t + ADC 8/64 x 2.2 fJ x 2^8 per MAC) alone exceeds it by more than 30 %.
        var spec = HardwareConfigLoader.Load(Config("paper-halora.yaml"));
        var model = ModelCatalog.Preset("llama-3.2-1b");
        long perToken = LinearModules.All.Sum(m => (long)model.Shape(m).In * model.Shape(m).Out) * model.NumLayers;
        var d = spec.Rram.Device;
        double gMean = 0.5 * (d.GMinMicrosiemens + d.GMaxMicrosiemens) * 1e-6;
        double perMacJ = 8 * 0.5 * d.ReadVoltageVolts * d.ReadVoltageVolts * gMean * d.ReadPulseSeconds + 8.0 / 64 * 2.2e-15 * 256;
        var lowerBound = 512.0 * perToken * perMacJ;
        var p = CalibrationTable.PaperBlocks(spec, "llama-3.2-1b");
        Assert.That(p.BlocksJ, Is.GreaterThanOrEqualTo(lowerBound));
        Assert.That(lowerBound, Is.GreaterThan(18.1e-3 * 1.3));
        Assert.That(p.LoraShare, Is.InRange(0.0054 / 2, 0.0054 * 2), "paper: 0.54 %");
        Assert.That(p.RramShare, Is.InRange(0.728, 1.0), "paper: 72.8 %; CimSim adds the cell current and a survey-class ADC");
    }

    [Test]
    public void IsaacRows_IsaacLike_HeldRowsWithinTheirToleranceAndEveryComponentPresent()
    {
        var rows = CalibrationTable.IsaacRows(HardwareConfigLoader.Load(Config("isaac-like.yaml"))).ToList();
        Assert.That(rows.Where(r => !double.IsNaN(r.Tolerance)).Select(r => (r.Quantity, r.Ratio)), Has.All.Matches<(string Q, double Ratio)>(r => Math.Abs(r.Ratio - 1) <= 0.30));
        Assert.That(rows.Select(r => r.Quantity.Split(' ')[0]).Distinct(), Is.SupersetOf(new[] { "ADC", "DAC", "S+H", "crossbar", "shift-and-add", "time" }));
    }

    [Test]
    public void IsaacIma_IsaacLike_StepEnergiesFollowIsaacCountsClosedForm()
    {
        // One 1-bit step of an IMA: 8 crossbars x 128 rows driven, 8 x 128 channels (127 weight columns + 1 reference)
        // sampled, converted and shift-added, 8 x 128 x 128 cells read at 1/2 x V^2 G_mean t (docs/devices.md).
        var spec = HardwareConfigLoader.Load(Config("isaac-like.yaml"));
        var (pj, um2, stepS) = CalibrationTable.IsaacIma(spec);
        var d = spec.Rram.Device;
        double gMean = 0.5 * (d.GMinMicrosiemens + d.GMaxMicrosiemens) * 1e-6;
        Assert.Multiple(() =>
        {
            Assert.That(pj["adc"], Is.EqualTo(1024 * 1.67).Within(1e-6).Percent, "ISAAC table 8-bit: 1.67 pJ");
            Assert.That(pj["dac"], Is.EqualTo(1024 * 0.41667).Within(1e-6).Percent);
            Assert.That(pj["sample_hold"], Is.EqualTo(1024 * 0.001).Within(1e-6).Percent);
            Assert.That(pj["shift_add"], Is.EqualTo(1024 * 0.021).Within(1e-6).Percent);
            Assert.That(pj["rram_array"], Is.EqualTo(8 * 128 * 128 * 0.5 * 0.25 * gMean * 100e-9 * 1e12).Within(1e-6).Percent);
            // ISAAC 2.4 mW x 100 ns = 240 pJ: the V^2 G t price is more than 10x it with NeuroSim's conductances (reported row).
            Assert.That(pj["rram_array"], Is.GreaterThan(10 * 240.0));
            Assert.That(um2["adc"], Is.EqualTo(9600).Within(1e-6).Percent);
            Assert.That(um2["rram_array"], Is.EqualTo(200).Within(1e-6).Percent);
            // CimSim's step: DAC settling + 100 ns read + S&H, then 128 conversions at 1.2 GS/s (no overlap), >= 2x ISAAC's 100 ns.
            Assert.That(stepS, Is.GreaterThanOrEqualTo(100e-9 + 128 / 1.2e9));
        });
    }

    [Test]
    public void RramMacro_HungLike_MvmLatencyWithin30PercentOfJssc2023AndClosedForm()
    {
        // Input-parallel sensing of the 8 bit-planes: one DAC settle + 10 ns read + S&H, then 8 conversions per ADC at
        // 1.2 GS/s (128 columns / 16 ADCs), then one shift-add; each term rounded up to whole cycles of the chip clock.
        var spec = HardwareConfigLoader.Load(Config("hung-rram-22nm.yaml"));
        var (_, mvmS) = CalibrationTable.RramMacro(spec);
        var r = spec.Rram;
        double f = spec.Clock.FrequencyHz;
        double Cycles(double s) => Math.Ceiling(s * f - 1e-9);
        var expected = (Math.Max(1, Cycles(r.Dac.LatencySeconds + r.Device.ReadPulseSeconds + r.Adc.SampleHold.LatencySeconds))
            + 8 * Math.Max(1, Cycles(1 / 1.2e9)) + Cycles(r.ShiftAdd.LatencySeconds)) / f;
        Assert.That(mvmS, Is.EqualTo(expected).Within(1e-6).Percent);
        Assert.That(mvmS, Is.EqualTo(14.4e-9).Within(30).Percent, "Hung et al. JSSC 2023: 14.4 ns at 8b/8b");
        var serial = spec with { Rram = r with { Dac = r.Dac with { ParallelSteps = 1 } } };
        Assert.That(CalibrationTable.RramMacro(serial).MvmSeconds, Is.GreaterThan(5 * mvmS), "bit-serial sensing: 8 steps");
        Assert.That(CalibrationTable.RramMacro(serial).TopsPerWatt, Is.EqualTo(CalibrationTable.RramMacro(spec).TopsPerWatt).Within(1e-9).Percent);
    }
}
