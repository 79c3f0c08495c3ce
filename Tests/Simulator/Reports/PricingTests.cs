using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Scheduling;
using CimSim.Tests.Simulator.Scheduling;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Simulator.Reports;

/// <summary>Counts x device tables, priced once: every number checked against a closed form or a one-key change.</summary>
public class PricingTests
{
    private const int Prompt = 8, Generate = 4;

    // Tokens through every decoder layer: the prompt, then one per decode step (the first generated token comes from prefill).
    private const long LayerTokens = Prompt + Generate - 1;

    private static CimSummary Run(HardwareSpec spec, ModelSpec? model = null, int loraRank = 4) => SimulationRunner.Run(new SimulationRequest
    {
        Hardware = spec,
        ModelSpec = model ?? SchedulingFixtures.TinyModel,
        Model = "tiny",
        PromptTokens = Prompt,
        GeneratedTokens = Generate,
        LoraRank = loraRank,
    }).Cim;

    /// <summary>MACs one token makes through the seven W0 projections of one layer: sum of In x Out.</summary>
    private static long W0MacsPerToken(ModelSpec model) => LinearModules.All.Sum(m => (long)model.Shape(m).In * model.Shape(m).Out);

    private static HardwareSpec WithMapping(Func<MappingPolicySpec, MappingPolicySpec> f)
    {
        var spec = new HardwareSpec();
        return spec with { Mapping = f(spec.Mapping) };
    }

    public static IEnumerable<TestCaseData> OneKeyChanges()
    {
        var d = new HardwareSpec();
        yield return new TestCaseData(d with { Rram = d.Rram with { Dac = d.Rram.Dac with { EnergyPicojoulesPerDrive = 0.5 } } }, "dac").SetName("DacEnergy_ChangesOnlyDac");
        yield return new TestCaseData(d with { Rram = d.Rram with { Adc = d.Rram.Adc with { SampleHold = d.Rram.Adc.SampleHold with { EnergyPicojoules = 0.3 } } } }, "adc").SetName("SampleHoldEnergy_ChangesOnlyAdc");
        yield return new TestCaseData(d with { Rram = d.Rram with { ShiftAdd = d.Rram.ShiftAdd with { EnergyPicojoules = 0.2 } } }, "shift_add").SetName("ShiftAddEnergy_ChangesOnlyShiftAdd");
        yield return new TestCaseData(d with { Rram = d.Rram with { Device = d.Rram.Device with { ReadVoltageVolts = 0.2 } } }, "rram_array").SetName("ReadVoltage_ChangesOnlyArray");
        yield return new TestCaseData(d with { SramCim = d.SramCim with { EnergyPicojoulesPerMac = 0.3 } }, "sram_cim").SetName("SramMacEnergy_ChangesOnlySram");
        yield return new TestCaseData(d with { Digital = d.Digital with { ExpEnergyPicojoules = 9 } }, "digital_unit").SetName("ExpEnergy_ChangesOnlyDigital");
        yield return new TestCaseData(d with { Digital = d.Digital with { DivEnergyPicojoules = 9 } }, "digital_unit").SetName("DivEnergy_ChangesOnlyDigital");
        yield return new TestCaseData(d with { TileBuffer = d.TileBuffer with { ReadEnergyPicojoulesPerBit = 0.5 } }, "tile_buffer").SetName("TileBufferRead_ChangesOnlyTileBuffer");
        yield return new TestCaseData(d with { Buffer = d.Buffer with { WriteEnergyPicojoulesPerBit = 0.5 } }, "global_buffer").SetName("GlobalBufferWrite_ChangesOnlyGlobalBuffer");
        yield return new TestCaseData(d with { Interconnect = d.Interconnect with { RouterEnergyPicojoulesPerBit = 0.5 } }, "interconnect").SetName("RouterEnergy_ChangesOnlyInterconnect");
        yield return new TestCaseData(d with { Dram = d.Dram with { EnergyPicojoulesPerBit = 10 } }, "dram").SetName("DramEnergy_ChangesOnlyDram");
    }

    [TestCaseSource(nameof(OneKeyChanges))]
    public void Run_OneYamlEnergyChanged_ChangesExactlyThatComponent(HardwareSpec changed, string component)
    {
        // If any price were computed outside its device model (a second formula, a cached copy), changing the
        // YAML key would leave that component unchanged or move another one.
        var a = Run(new HardwareSpec());
        var b = Run(changed);
        foreach (var (k, v) in a.EnergyBreakdownJ)
        {
            if (k == component) Assert.That(b.EnergyBreakdownJ[k], Is.Not.EqualTo(v).Within(1e-6).Percent, k);
            else Assert.That(b.EnergyBreakdownJ[k], Is.EqualTo(v), k);
        }
    }

    [Test]
    public void Run_W0OnSram_SramEnergyIsMacroMacsTimesEnergyPerMac()
    {
        var spec = WithMapping(m => m with { W0 = ComputeTarget.Sram, LmHead = ComputeTarget.Digital, Attention = DynamicMatmulTarget.Digital });
        var model = SchedulingFixtures.OneLayerModel;
        var c = Run(spec, model, loraRank: 0);
        var perToken = W0MacsPerToken(model);
        Assert.That(c.EnergyBreakdownJ["sram_cim"], Is.EqualTo(LayerTokens * perToken * spec.SramCim.EnergyPicojoulesPerMac * 1e-12).Within(1e-9).Percent);
        foreach (var k in new[] { "rram_array", "dac", "adc", "shift_add" })
            Assert.That(c.EnergyBreakdownJ[k], Is.Zero, k + ": W0 runs on SRAM macros");
    }

    [Test]
    public void Run_LmHeadOnSram_AddsOneHeadVectorPerJobToSram()
    {
        var spec = WithMapping(m => m with { W0 = ComputeTarget.Sram, LmHead = ComputeTarget.Sram, Attention = DynamicMatmulTarget.Digital });
        var model = SchedulingFixtures.OneLayerModel;
        var c = Run(spec, model, loraRank: 0);
        var perToken = W0MacsPerToken(model);
        // One prefill job (8 tokens < 64-token chunk) and G - 1 decode steps each need logits of their last token.
        var macs = LayerTokens * perToken + (long)Generate * model.HiddenSize * model.VocabSize;
        Assert.That(c.EnergyBreakdownJ["sram_cim"], Is.EqualTo(macs * spec.SramCim.EnergyPicojoulesPerMac * 1e-12).Within(1e-9).Percent);
    }

    [Test]
    public void Run_W0OnDigital_PricesMacsOnVectorUnitAndStreamsWeights()
    {
        var spec = WithMapping(m => m with { W0 = ComputeTarget.Digital, LmHead = ComputeTarget.Digital, Embedding = StorageTarget.Buffer });
        var model = SchedulingFixtures.OneLayerModel;
        var c = Run(spec, model, loraRank: 0);
        var perToken = W0MacsPerToken(model);
        long head = (long)model.HiddenSize * model.VocabSize;
        // Every job streams every digital matrix once: 1 prefill job + G - 1 decode jobs.
        var bits = (double)Generate * (perToken + head) * spec.Rram.Array.WeightBits;
        Assert.That(c.EnergyBreakdownJ["dram"], Is.EqualTo(bits * spec.Dram.EnergyPicojoulesPerBit * 1e-12).Within(1e-9).Percent);
        Assert.That(c.ActionCounts["digital_unit.mul"], Is.GreaterThanOrEqualTo((double)LayerTokens * perToken + Generate * head));
        Assert.That(c.EnergyBreakdownJ["rram_array"], Is.Zero);
    }

    [Test]
    public void Run_ExpAndDivEnergies_PriceSoftmaxSiluAndNormsByClosedFormCounts()
    {
        var model = SchedulingFixtures.TinyModel;
        var d = new HardwareSpec();
        var baseRun = Run(d);
        var exp = Run(d with { Digital = d.Digital with { ExpEnergyPicojoules = d.Digital.ExpEnergyPicojoules + 1 } });
        var div = Run(d with { Digital = d.Digital with { DivEnergyPicojoules = d.Digital.DivEnergyPicojoules + 1 } });
        // Scores attended: prefill token i sees i positions (sum 1..P), decode step s sees P + s.
        long kvSum = Prompt * (Prompt + 1) / 2;
        for (var s = 1; s < Generate; s++) kvSum += Prompt + s;
        // One exp and one divide per softmax score (every head) and per SiLU element.
        var exps = (double)model.NumLayers * (model.NumAttentionHeads * kvSum + model.IntermediateSize * LayerTokens);
        // Plus one reciprocal per RMSNorm row: two norms per layer per token, and the final norm once per job.
        var divs = exps + 2.0 * model.NumLayers * LayerTokens + Generate;
        Assert.That((exp.EnergyBreakdownJ["digital_unit"] - baseRun.EnergyBreakdownJ["digital_unit"]) * 1e12, Is.EqualTo(exps).Within(1e-6).Percent);
        Assert.That((div.EnergyBreakdownJ["digital_unit"] - baseRun.EnergyBreakdownJ["digital_unit"]) * 1e12, Is.EqualTo(divs).Within(1e-6).Percent);
    }

    [Test]
    public void Run_SlowerExpAndDivLatency_LengthensRunAndKeepsDynamicEnergy()
    {
        // The digital latency keys time the vector unit's primitives (VectorUnitModel), so they change the report.
        var d = new HardwareSpec();
        var fast = Run(d);
        var slow = Run(d with { Digital = d.Digital with { ExpLatencyCycles = 400, DivLatencyCycles = 800 } });
        Assert.That(slow.Cycles, Is.GreaterThan(fast.Cycles));
        foreach (var (k, v) in fast.EnergyBreakdownJ) Assert.That(slow.EnergyBreakdownJ[k], Is.EqualTo(v), k);
    }

    [Test]
    public void PricesPicojoules_EveryCountedAction_HasADeviceTableEntry()
    {
        var devices = new DeviceTables(new HardwareSpec());
        var prices = ReportBuilder.PricesPicojoules(devices);
        Assert.That(prices, Has.Length.EqualTo(CountedActions.Count));
        for (var i = 0; i < prices.Length; i++)
        {
            var a = CountedActions.All[i];
            Assert.That(prices[i], Is.EqualTo(devices[a.Component].Energy[a.Action]), a.ToString());
        }
    }

    [Test]
    public void EnergyPicojoules_UnknownAction_ErrorNamesComponentAndAction()
    {
        var devices = new DeviceTables(new HardwareSpec());
        var e = Assert.Throws<KeyNotFoundException>(() => devices.EnergyPicojoules("adc", "flash_conversion"));
        Assert.That(e!.Message, Does.Contain("'adc'").And.Contain("'flash_conversion'"));
        e = Assert.Throws<KeyNotFoundException>(() => devices.EnergyPicojoules("optical_link", "bit"));
        Assert.That(e!.Message, Does.Contain("'optical_link'").And.Contain("'bit'"));
    }
}
