using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Devices.Rram;
using CimSim.Mapping;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Scheduling;
using CimSim.Tests.Simulator.Scheduling;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Mapping;

/// <summary>
/// `mapping.adc_bits` (per-module ADC resolution): the cost side prices the overridden matrices' conversions, conversion
/// time and ADC area at their bits from the same ADC model; the functional side quantises at them. Closed forms below.
/// </summary>
public class AdcBitsOverrideTests
{
    private const int Prompt = PlacementPricingTests.Prompt, Generate = PlacementPricingTests.Generate;
    private const long LayerTokens = PlacementPricingTests.LayerTokens;
    private const string DownProj = "model.layers.*.mlp.down_proj";

    private static SimulationReport Run(HardwareSpec spec, ModelSpec model) => PlacementPricingTests.Run(spec, model);

    private static HardwareSpec Spec(params string[] overrides) =>
        HardwareConfigLoader.ApplyOverrides(new HardwareSpec(), ["chip.max_area_mm2=0", "mapping.lm_head=digital", "mapping.attention=digital", .. overrides]);

    [Test]
    public void Run_DownProjAt4Bits_EnergyDropsByItsConversionsTimesTheWaldenDifference()
    {
        // Walden: E(b) = FoM x 2^(b - enob_loss) per conversion, conversion time 1 / f_s and area area_um2 whatever the bits,
        // so the only change is each down_proj conversion's energy.
        var model = SchedulingFixtures.TinyModel;
        var baseSpec = Spec("rram.adc.impl=walden");
        var lowSpec = Spec("rram.adc.impl=walden", $"mapping.adc_bits.{DownProj}=4");
        var before = Run(baseSpec, model).Cim;
        var after = Run(lowSpec, model).Cim;

        var rram = baseSpec.Rram;
        var (k, n) = model.Shape(LinearModule.DownProj);
        var steps = (rram.Dac.InputBits + rram.Dac.Bits - 1) / rram.Dac.Bits;
        var rowTiles = (k + rram.Array.Rows - 1) / rram.Array.Rows;
        var mapping = Mapper.Map(lowSpec, model, null, new WorkloadSpec(1, Prompt, Generate));
        var downProj = mapping.Placement(0, LinearModule.DownProj);
        // ADC channels of one row tile: the outputs' weight slices plus each column tile's reference columns.
        var channels = (double)n * rram.Array.WeightSlices + downProj.ColumnBlocks * rram.Array.ReferenceColumns;
        var conversions = LayerTokens * model.NumLayers * steps * channels * rowTiles;
        double E(int bits) => rram.Adc.Walden.FomFemtojoulesPerStep * Math.Pow(2, bits - rram.Adc.Walden.EnobLossBits) * 1e-15;

        Assert.Multiple(() =>
        {
            Assert.That(downProj.AdcBits, Is.EqualTo(4));
            Assert.That(mapping.Placement(0, LinearModule.UpProj).AdcBits, Is.Null);
            Assert.That(after.ActionCounts["adc.conversion_4b"], Is.EqualTo(conversions));
            Assert.That(before.ActionCounts["adc.conversion"] - after.ActionCounts["adc.conversion"], Is.EqualTo(conversions));
            Assert.That(before.ActionCounts.ContainsKey("adc.conversion_4b"), Is.False, "an unused override resolution is not listed");
            Assert.That(before.EnergyJ - after.EnergyJ, Is.EqualTo(conversions * (E(rram.Adc.Bits) - E(4))).Within(1e-9).Percent);
            Assert.That(after.LatencyS, Is.EqualTo(before.LatencyS));
            Assert.That(after.AreaMm2, Is.EqualTo(before.AreaMm2).Within(1e-12).Percent);
        });
    }

    [Test]
    public void Run_DownProjAt4Bits_SurveyAdcAreaShrinksByItsArraysTimesTheAreaLaw()
    {
        // Survey: one ADC's area is A_ref x 2^(ENOB - ENOB_ref), ENOB = bits - enob_loss.
        var model = SchedulingFixtures.TinyModel;
        var before = Run(Spec(), model).Cim;
        var lowSpec = Spec($"mapping.adc_bits.{DownProj}=4");
        var after = Run(lowSpec, model).Cim;
        var s = lowSpec.Rram;
        var mapping = Mapper.Map(lowSpec, model, null, new WorkloadSpec(1, Prompt, Generate));
        var arrays = Enumerable.Range(0, model.NumLayers).Sum(l => mapping.Placement(l, LinearModule.DownProj).Units);
        var adcsPerArray = (s.Array.Cols + s.Adc.ColsPerAdc - 1) / s.Adc.ColsPerAdc;
        double A(int bits) => s.Adc.Survey.ReferenceAreaSquareMicrometres * Math.Pow(2, bits - s.Adc.Survey.EnobLossBits - s.Adc.Survey.ReferenceBits);
        var expectedMm2 = arrays * s.Dac.ParallelSteps * adcsPerArray * (A(s.Adc.Bits) - A(4)) * 1e-6;
        Assert.That(before.AreaBreakdownMm2["adc"] - after.AreaBreakdownMm2["adc"], Is.EqualTo(expectedMm2).Within(1e-9).Percent);
    }

    [Test]
    public void ConversionCycles_SarNeurosimAt4Bits_IsFiveBitCycles()
    {
        // NeuroSim SAR: one conversion lasts bits + 1 bit cycles.
        var spec = Spec("rram.adc.impl=sar-neurosim", $"mapping.adc_bits.{DownProj}=4");
        var graph = SchedulingFixtures.Tiny(loraRank: 0);
        var hw = SchedulingFixtures.DefaultHardware(graph, spec);
        var expected = (long)Math.Ceiling(5 * spec.Rram.Adc.SarNeurosim.BitCycleSeconds * hw.Clock.FrequencyHz - 1e-9);
        var program = new LayerProgram(graph, hw);
        var down = program.Tasks.Single(t => t.Layer == 0 && t.Kind == TaskKind.RramMatVec && t.Operator == "mlp.down_proj");
        var up = program.Tasks.Single(t => t.Layer == 0 && t.Kind == TaskKind.RramMatVec && t.Operator == "mlp.up_proj");
        var cost = new CimCostModel(hw, program.Shape);
        Assert.Multiple(() =>
        {
            Assert.That(hw.ConversionCycles(4), Is.EqualTo(Math.Max(1, expected)));
            Assert.That(down.AdcBits, Is.EqualTo(4));
            Assert.That(up.AdcBits, Is.Null);
            Assert.That(cost.Duration(down, 1, 0, 1), Is.EqualTo(cost.RramMatVecCycles(down.In, 1, 4)));
            Assert.That(cost.ArrayVectorCyclesAt(4), Is.LessThan(cost.ArrayVectorCycles), "fewer bits, shorter conversions");
        });
    }

    [TestCase("mapping.adc_bits.model.layers.*.mlp.down_proj=0", "mapping.adc_bits.model.layers.*.mlp.down_proj")]
    [TestCase("mapping.adc_bits.model.layers.*.mlp.down_proj=17", "mapping.adc_bits.model.layers.*.mlp.down_proj")]
    [TestCase("mapping.adc_bits.model.layers.*.mlp.down_proj=six", "mapping.adc_bits.model.layers.*.mlp.down_proj")]
    [TestCase("mapping.adc_bits.model.layer.*.down=4", "mapping.adc_bits.model.layer.*.down")]
    public void Load_BadAdcBitsEntry_NamesTheKey(string overrideText, string key)
    {
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.ApplyOverrides(new HardwareSpec(), [overrideText]));
        Assert.That(ex!.ToString(), Does.Contain(key));
    }

    [Test]
    public void Map_AdcBitsOnSramModule_WarnsThatItSetsNothing()
    {
        var spec = Spec("mapping.placement.model.layers.*.mlp.down_proj=sram", $"mapping.adc_bits.{DownProj}=4");
        var mapping = Mapper.Map(spec, SchedulingFixtures.TinyModel, null, new WorkloadSpec(1, Prompt, Generate));
        Assert.Multiple(() =>
        {
            Assert.That(mapping.Placement(0, LinearModule.DownProj).AdcBits, Is.Null);
            Assert.That(mapping.Warnings, Has.Some.Contains("mapping.adc_bits").And.Contains(DownProj));
        });
    }

    [Test]
    public void MappingJson_DownProjAt4Bits_ListsTheBitsOnExactlyThoseMatrices()
    {
        var mapping = Mapper.Map(Spec($"mapping.adc_bits.{DownProj}=4"), SchedulingFixtures.TinyModel, null, new WorkloadSpec(1, Prompt, Generate));
        using var doc = System.Text.Json.JsonDocument.Parse(MappingJson.ToJson(mapping));
        var withBits = doc.RootElement.GetProperty("placements").EnumerateArray()
            .Where(p => p.TryGetProperty("adc_bits", out _)).Select(p => (p.GetProperty("layer").GetInt32(), p.GetProperty("module").GetString(), p.GetProperty("adc_bits").GetInt32())).ToList();
        Assert.That(withBits, Is.EqualTo(Enumerable.Range(0, SchedulingFixtures.TinyModel.NumLayers).Select(l => (l, "down_proj", 4)).ToList()));
    }

    [Test]
    public void Infer_LastDownProjAt4Bits_OnlyItsErrorChanges()
    {
        // The last layer's down_proj is the last W0 before the (digital) lm_head, so no other module's input changes:
        // every other module's error stays bit-identical, and the 4-bit module's error grows.
        var spec = ModelCatalog.Resolve(FixturePaths.Of("llama_f32"));
        var last = $"model.layers.{spec.NumLayers - 1}.mlp.down_proj";
        var baseHw = Spec("rram.adc.ideal=false", "rram.noise.weight_noise.sigma=0");
        var lowHw = Spec("rram.adc.ideal=false", "rram.noise.weight_noise.sigma=0", $"mapping.adc_bits.{last}=4");
        Dictionary<string, double> Errors(HardwareSpec hw)
        {
            var ideal = FunctionalModel.Load(FixturePaths.Of("llama_f32"), IdealPlacer.Instance);
            var chip = FunctionalModel.Load(FixturePaths.Of("llama_f32"), FunctionalHardware.Placer(hw, 3, RramPath.BitAccurate, FunctionalPlan.Map(hw, spec)));
            var observer = new ModuleErrorObserver(ideal);
            new InferenceSession(chip) { Observer = observer }.Forward([1, 5, 9, 2]);
            return observer.Modules.Results().ToDictionary(r => r.Name, r => r.RelativeError);
        }
        var before = Errors(baseHw);
        var after = Errors(lowHw);
        Assert.Multiple(() =>
        {
            Assert.That(after[last], Is.GreaterThan(2 * before[last]), "4-bit conversions on that module");
            foreach (var name in before.Keys.Where(k => k != last))
                Assert.That(after[name], Is.EqualTo(before[name]), name);
        });
    }
}
