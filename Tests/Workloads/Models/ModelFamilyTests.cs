using CimSim.Common.Errors;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Workloads.Models;

/// <summary>Mistral, Qwen3, Phi-3 and Gemma 2/3: presets, config features, fused LoRA targets and clear refusals.</summary>
public class ModelFamilyTests
{
    private static string Fixture(string name) => FixturePaths.Of(name);

    [Test]
    public void ParameterCount_Qwen3Preset_NonEmbeddingIsPublished044B()
    {
        // Qwen3-0.6B model card: 0.44B non-embedding parameters (tied lm_head); head_dim 128 != hidden / heads = 64.
        var m = ModelCatalog.Preset("qwen3-0.6b");
        Assert.Multiple(() =>
        {
            Assert.That(m.ParameterCount - m.EmbeddingParameters, Is.EqualTo(440_467_456L));
            Assert.That(m.HeadDim, Is.EqualTo(128));
            Assert.That(m.QkNorm, Is.True);
            Assert.That(m.QkvBias || m.OutputBias, Is.False);
        });
    }

    [Test]
    public void Preset_Gemma2_HasAlternatingWindowSoftcapsAndQueryScale()
    {
        var m = ModelCatalog.Preset("gemma-2-2b");
        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(0, m.NumLayers).Select(m.IsSlidingLayer), Is.EqualTo(Enumerable.Range(0, 26).Select(i => i % 2 == 0)));
            Assert.That(m.SlidingWindow, Is.EqualTo(4096));
            Assert.That(m.AttentionSoftcap, Is.EqualTo(50.0));
            Assert.That(m.FinalLogitSoftcap, Is.EqualTo(30.0));
            Assert.That(m.AttentionScale, Is.EqualTo(1 / 16.0));
            Assert.That(m.TieWordEmbeddings, Is.True, "Gemma2Config ties by default; the published config does not say");
            Assert.That(m.HiddenAct, Is.EqualTo("gelu_pytorch_tanh"));
            Assert.That(m.NormUnitOffset && m.SandwichNorms && m.ScaleEmbeddings, Is.True);
        });
    }

    [Test]
    public void Preset_Gemma3_SlidesOnFiveOfSixLayersWithLocalRope()
    {
        var m = ModelCatalog.Preset("gemma-3-1b-pt");
        var global = Enumerable.Range(0, m.NumLayers).Where(l => !m.IsSlidingLayer(l));
        Assert.Multiple(() =>
        {
            Assert.That(global, Is.EqualTo(new[] { 5, 11, 17, 23 }));
            Assert.That(m.RopeOf(0).Theta, Is.EqualTo(10_000.0));
            Assert.That(m.RopeOf(5).Theta, Is.EqualTo(1_000_000.0));
            Assert.That(m.AttentionSoftcap, Is.Null);
        });
    }

    [Test]
    public void ParseFile_Gemma3Fixture_ReadsTransformers5PerLayerTypeRope()
    {
        var m = ModelCatalog.Resolve(Fixture("gemma3_f32"));
        Assert.Multiple(() =>
        {
            Assert.That(m.SlidingLayers, Is.EqualTo(new[] { true, false }));
            Assert.That(m.RopeOf(0), Is.EqualTo(new RopeSpec { Theta = 1e4 }));
            Assert.That(m.RopeOf(1), Is.EqualTo(new RopeSpec { Theta = 1e6 }));
            Assert.That(m.QueryPreAttnScalar, Is.EqualTo(24.0));
        });
    }

    [Test]
    public void Preset_MistralV01_SlidesOnEveryLayerV03DoesNot()
    {
        var v1 = ModelCatalog.Preset("mistral-7b-v0.1");
        var v3 = ModelCatalog.Preset("mistral-7b-v0.3");
        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(0, 32).All(v1.IsSlidingLayer), Is.True);
            Assert.That(v1.AttendedLength(3, 5000), Is.EqualTo(4096));
            Assert.That(v1.AttendedLength(3, 100), Is.EqualTo(100));
            Assert.That(v3.AttendedLength(3, 5000), Is.EqualTo(5000));
        });
    }

    [Test]
    public void Resolve_LoraOnPhi3_PaperTargetsResolveToFusedMatrices()
    {
        // r = 4 on q,k,v,up,down: Phi-3 has qkv_proj [3072 -> 9216], gate_up_proj [3072 -> 16384], down_proj [8192 -> 3072];
        // per layer 4 x (12288 + 19456 + 11264) = 172,032, x 32 layers.
        var m = ModelCatalog.Preset("phi-3-mini-4k-instruct");
        var lora = LoraSpec.Paper;
        Assert.Multiple(() =>
        {
            Assert.That(lora.ResolvedTargets(m), Is.EqualTo(new[] { LinearModule.QkvProj, LinearModule.GateUpProj, LinearModule.DownProj }));
            Assert.That(lora.ParameterCount(m), Is.EqualTo(5_505_024L));
            Assert.That(m.Projections, Is.EqualTo(LinearModules.Fused));
        });
    }

    [Test]
    public void FromPeftConfig_Phi3Fixture_TargetsFusedModulesAndUnfusedModelSeesTheirParts()
    {
        var lora = LoraSpec.FromPeftConfig(Fixture("phi3_f32_lora"));
        var llama = ModelCatalog.Preset("llama-3.2-1b");
        Assert.Multiple(() =>
        {
            Assert.That(lora.Targets, Is.EqualTo(new[] { LinearModule.DownProj, LinearModule.QkvProj, LinearModule.GateUpProj }));
            Assert.That(lora.ResolvedTargets(llama), Is.EqualTo(LinearModules.All.Where(x => x != LinearModule.OProj)));
        });
    }

    [TestCase("\"model_type\": \"mixtral\"", "mixture-of-experts")]
    [TestCase("\"model_type\": \"gemma3\"", "gemma3_text")]
    [TestCase("\"model_type\": \"falcon\"", "qwen3")]
    [TestCase("\"num_local_experts\": 8, \"model_type\": \"mistral\"", "num_local_experts")]
    public void Parse_UnsupportedFamilyOrFeature_NamesWhatIsMissing(string replacement, string expected)
    {
        var json = ModelCatalog.PresetConfigJson("mistral-7b-v0.1").Replace("\"model_type\": \"mistral\"", replacement);
        var ex = Assert.Throws<UserInputException>(() => ModelConfigParser.Parse(json, "m", "c.json"));
        Assert.That(ex!.Message, Does.Contain("c.json").And.Contain(expected));
    }

    [Test]
    public void Parse_Phi3PartialRotary_IsRefused()
    {
        var json = ModelCatalog.PresetConfigJson("phi-3-mini-4k-instruct").Replace("\"rope_theta\": 10000.0,", "\"rope_theta\": 10000.0, \"partial_rotary_factor\": 0.5,");
        var ex = Assert.Throws<UserInputException>(() => ModelConfigParser.Parse(json, "m", "c.json"));
        Assert.That(ex!.Message, Does.Contain("partial_rotary_factor"));
    }

    [Test]
    public void Parse_LayerTypesOfWrongLength_NamesKey()
    {
        var json = ModelCatalog.PresetConfigJson("gemma-2-2b").Replace("\"sliding_window\": 4096,", "\"sliding_window\": 4096, \"layer_types\": [\"sliding_attention\"],");
        var ex = Assert.Throws<UserInputException>(() => ModelConfigParser.Parse(json, "m", "c.json"));
        Assert.That(ex!.Message, Does.Contain("layer_types").And.Contain("26 entries"));
    }
}
