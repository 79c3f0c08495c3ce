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
        var adc = new NeuroSimSarAdc(new AdcSpec { Bits = 5, SarNeurosim = p }, rCol);
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
        double e = new WaldenAdc(new AdcSpec { Bits = bits, Walden = p }).EnergyPicojoulesPerConversion;
        Assert.That(e, Is.EqualTo(2.2e-3 * Math.Pow(2, bits - 0.5)).Within(1e-12));
        Assert.That(new WaldenAdc(new AdcSpec { Bits = bits + 1, Walden = p }).EnergyPicojoulesPerConversion / e, Is.EqualTo(2).Within(1e-12));
    }

    [Test]
    public void Table_InterpolatesLogLinearlyBetweenPoints()
    {
        var p = new TableAdcSpec();
        Assert.That(new TableAdc(new AdcSpec { Bits = 8, Table = p }).EnergyPicojoulesPerConversion, Is.EqualTo(1.67).Within(1e-12));
        Assert.That(new TableAdc(new AdcSpec { Bits = 7, Table = p }).EnergyPicojoulesPerConversion, Is.EqualTo(Math.Sqrt(1.20 * 1.67)).Within(1e-12));
    }

    [Test]
    public void RramArray_VectorMvmActions_OneConversionPerChannelPerStep()
    {
        var model = new RramArrayModel(new HardwareSpec().Rram);
        var counts = model.ActionsPerVectorMvm();
        // Offset encoding, 64 columns of which 1 is the reference: every column is an ADC channel.
        Assert.That(counts[(RramArrayModel.AdcComponent, RramArrayModel.Conversion)], Is.EqualTo(64L * model.DacSteps));
        Assert.That(counts[(RramArrayModel.ArrayComponent, RramArrayModel.CellRead)], Is.EqualTo(64L * 64 * model.DacSteps));
        var adc = model.Tables.Single(t => t.Component == RramArrayModel.AdcComponent);
        Assert.That(adc.Energy[RramArrayModel.Conversion], Is.EqualTo(model.Adc.EnergyPicojoulesPerConversion));
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
        Assert.That(many.ConversionPhaseSeconds, Is.GreaterThan(few.ConversionPhaseSeconds));
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

    [Test]
    public void RramArrayModel_InputParallelSensing_CopiesAreaAndLeakageKeepsPricesAndCounts()
    {
        // parallel_steps = 4: four copies of cells and sense chain; the same action counts and prices per vector.
        var spec = new HardwareSpec().Rram;
        var serial = new RramArrayModel(spec);
        var parallel = new RramArrayModel(spec with { Dac = spec.Dac with { ParallelSteps = 4 } });
        Assert.Multiple(() =>
        {
            Assert.That(parallel.AreaSquareMicrometres, Is.EqualTo(4 * serial.AreaSquareMicrometres).Within(1e-9).Percent);
            Assert.That(parallel.Tables.Sum(t => t.LeakageWattsPerInstance), Is.EqualTo(4 * serial.Tables.Sum(t => t.LeakageWattsPerInstance)).Within(1e-9).Percent);
            Assert.That(parallel.ActionsPerVectorMvm(), Is.EquivalentTo(serial.ActionsPerVectorMvm()));
            Assert.That(parallel.Tables.Select(t => t.Energy[t.Energy.Keys.First()]), Is.EqualTo(serial.Tables.Select(t => t.Energy[t.Energy.Keys.First()])));
            Assert.That((serial.SequentialDacSteps, parallel.SequentialDacSteps), Is.EqualTo((8, 2)));
        });
        var tooMany = new HardwareSpec() with { Rram = spec with { Dac = spec.Dac with { ParallelSteps = 9 } } };
        Assert.That(HardwareSpecValidator.Validate(tooMany).Select(p => p.ToString()), Has.Some.Contains("rram.dac.parallel_steps"));
    }

    [TestCase(1, 1.0)]
    [TestCase(2, 2.0)]
    [TestCase(4, 8.0)]
    public void DacRegistry_ResolutionScaled_DoublesEnergyAndAreaPerBitFixedDoesNot(int bits, double factor)
    {
        // Accelergy isaac.py IsaacDac: energy and area x 2^(bits - 1) from the 1-bit point; fixed: the same at any resolution.
        var spec = new HardwareSpec().Rram;
        var dac = spec.Dac with { Bits = bits, EnergyPicojoulesPerDrive = 0.4, AreaSquareMicrometres = 0.17 };
        var scaled = new RramArrayModel(spec with { Dac = dac with { Impl = DacModelKind.ResolutionScaled } });
        var fixedDac = new RramArrayModel(spec with { Dac = dac });
        Assert.Multiple(() =>
        {
            Assert.That(DacCostModel.Kinds, Is.EquivalentTo(new[] { DacModelKind.Fixed, DacModelKind.ResolutionScaled }));
            Assert.That(scaled.Tables.Single(t => t.Component == RramArrayModel.DacComponent).Energy[RramArrayModel.Drive], Is.EqualTo(0.4 * factor).Within(1e-12));
            Assert.That(scaled.DacAreaSquareMicrometres, Is.EqualTo(64 * 0.17 * factor).Within(1e-9));
            Assert.That(fixedDac.Tables.Single(t => t.Component == RramArrayModel.DacComponent).Energy[RramArrayModel.Drive], Is.EqualTo(0.4));
            Assert.That(fixedDac.DacAreaSquareMicrometres, Is.EqualTo(64 * 0.17).Within(1e-9));
        });
    }

    [Test]
    public void ArrayReadRegistry_CrossbarPower_IsPowerTimesStepPerCellWhateverTheConductance()
    {
        // PUMA / ISAAC: 0.3 mW per 128x128 crossbar over a 100 ns read = 30 pJ per step, 1.83 fJ per cell.
        var spec = new HardwareSpec().Rram;
        var xbar = spec with { Array = spec.Array with { Impl = ArrayReadModelKind.CrossbarPower } };
        var a = new RramArrayModel(xbar);
        var b = new RramArrayModel(xbar with { Device = xbar.Device with { GMaxMicrosiemens = 40 } });
        Assert.Multiple(() =>
        {
            Assert.That(ArrayReadModel.Kinds, Is.EquivalentTo(new[] { ArrayReadModelKind.CellCurrent, ArrayReadModelKind.CrossbarPower }));
            Assert.That(a.CellReadStepEnergyPicojoules, Is.EqualTo(3e-4 * 1e-7 / 16384 * 1e12).Within(1e-12));
            Assert.That(b.CellReadStepEnergyPicojoules, Is.EqualTo(a.CellReadStepEnergyPicojoules));
            // The default cell-current model: 1/2 x (0.5 V)^2 x G_mean x 10 ns.
            Assert.That(new RramArrayModel(spec).CellReadStepEnergyPicojoules, Is.EqualTo(0.5 * 0.25 * (10 + 0.5882352941176471) / 2 * 1e-6 * 10e-9 * 1e12).Within(1e-9).Percent);
        });
    }
}
