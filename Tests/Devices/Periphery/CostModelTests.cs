using CimSim.Devices.Config;
using CimSim.Devices.Digital;
using CimSim.Devices.Periphery;
using CimSim.Devices.Rram;

namespace CimSim.Tests.Devices.Periphery;

public class CostModelTests
{
    [Test]
    public void NeuroSimSar_FiveBits_FollowsFitAndGivesAbout42Femtojoules()
    {
        var p = new SarNeurosimAdcSpec();
        const double rCol = 1e4;
        var adc = new NeuroSimSarAdc(p, 5, rCol);
        double powerUw = 0.538 * 5 + 4.3753 + 0.072341 * Math.Exp(-2.303 * Math.Log10(rCol));
        double expectedPj = powerUw * 1e-6 * (5 + 1) * 1e-9 * 1e12;
        Assert.That(adc.EnergyPicojoulesPerConversion, Is.EqualTo(expectedPj).Within(1e-12));
        Assert.That(adc.EnergyPicojoulesPerConversion, Is.EqualTo(0.042).Within(0.001), "REFERENCES.md 3: ~42 fJ for a 5-bit core");
        Assert.That(adc.LatencySecondsPerConversion, Is.EqualTo(6e-9).Within(1e-18));
    }

    [TestCase(4)]
    [TestCase(8)]
    public void Walden_EnergyDoublesPerBit(int bits)
    {
        var p = new WaldenAdcSpec { FomFemtojoulesPerStep = 2.2, EnobLossBits = 0.5 };
        double e = new WaldenAdc(p, bits).EnergyPicojoulesPerConversion;
        Assert.That(e, Is.EqualTo(2.2e-3 * Math.Pow(2, bits - 0.5)).Within(1e-12));
        Assert.That(new WaldenAdc(p, bits + 1).EnergyPicojoulesPerConversion / e, Is.EqualTo(2).Within(1e-12));
    }

    [Test]
    public void Table_InterpolatesLogLinearlyBetweenPoints()
    {
        var p = new TableAdcSpec();
        Assert.That(new TableAdc(p, 8).EnergyPicojoulesPerConversion, Is.EqualTo(1.67).Within(1e-12));
        Assert.That(new TableAdc(p, 7).EnergyPicojoulesPerConversion, Is.EqualTo(Math.Sqrt(1.20 * 1.67)).Within(1e-12));
    }

    [Test]
    public void RramArray_VectorMvmEnergy_IsActionCountsTimesTable()
    {
        var model = new RramArrayModel(new HardwareSpec().Rram);
        var counts = model.ActionsPerVectorMvm();
        double manual = counts.Sum(kv => kv.Value * model.Energy[kv.Key]);
        Assert.That(model.EnergyPerVectorMvmPicojoules, Is.EqualTo(manual).Within(1e-9));
        Assert.That(counts[RramArrayModel.AdcConversion], Is.EqualTo((long)model.AdcChannels * model.DacSteps));
        Assert.That(model.Energy[RramArrayModel.AdcConversion], Is.EqualTo(model.Adc.EnergyPicojoulesPerConversion));
    }

    [Test]
    public void RramArray_CellReadEnergy_IsVSquaredGTime()
    {
        var spec = new HardwareSpec().Rram;
        var model = new RramArrayModel(spec);
        double g = 5e-6;
        double expected = spec.Device.ReadVoltageVolts * spec.Device.ReadVoltageVolts * g * spec.Device.ReadPulseSeconds * 1e12;
        Assert.That(model.CellReadEnergyPicojoules(g), Is.EqualTo(expected).Within(1e-15));
    }

    [Test]
    public void RramArray_MoreColumnsPerAdc_LongerStepFewerAdcs()
    {
        var spec = new HardwareSpec().Rram;
        var few = new RramArrayModel(spec with { Adc = spec.Adc with { ColsPerAdc = 2 } });
        var many = new RramArrayModel(spec with { Adc = spec.Adc with { ColsPerAdc = 16 } });
        Assert.That(many.AdcsPerArray, Is.LessThan(few.AdcsPerArray));
        Assert.That(many.VectorMvmSeconds, Is.GreaterThan(few.VectorMvmSeconds));
        Assert.That(many.AdcAreaSquareMicrometres, Is.LessThan(few.AdcAreaSquareMicrometres));
    }

    [Test]
    public void VectorUnit_SoftmaxEnergy_IsPrimitiveCountsTimesEnergies()
    {
        var spec = new DigitalSpec();
        var vu = new VectorUnitModel(spec);
        const long rows = 4, n = 512;
        double expected = rows * n * (3 * spec.AddEnergyPicojoules + spec.ExpEnergyPicojoules + spec.DivEnergyPicojoules);
        Assert.That(vu.EnergyPicojoules(VectorOp.Softmax, rows, n), Is.EqualTo(expected).Within(1e-9));
        Assert.That(vu.Latency(VectorOp.Softmax, rows, n).Value, Is.GreaterThanOrEqualTo(rows * n * 5 / spec.Lanes));
    }
}
