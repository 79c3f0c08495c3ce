using CimSim.Common.Errors;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Workloads.Models;

public class ModelSpecTests
{
    // Published parameter counts (REFERENCES.md section 2; Hugging Face model cards and
    // sum(p.numel() for p in model.parameters()) of the released checkpoints).
    [TestCase("llama-3.2-1b", 1_235_814_400L)]
    [TestCase("llama-3.2-3b", 3_212_749_824L)]
    [TestCase("llama-3.1-8b", 8_030_261_248L)]
    [TestCase("qwen2.5-0.5b", 494_032_768L)]
    [TestCase("qwen2.5-1.5b", 1_543_714_304L)]
    // The families of docs/workloads.md, as their model cards round them: Mistral 7.24B / 7.25B, Qwen3 0.6B
    // (0.44B non-embedding), Phi-3-mini 3.8B, Gemma 2 2.61B, Gemma 3 1B.
    [TestCase("mistral-7b-v0.1", 7_241_732_096L)]
    [TestCase("mistral-7b-v0.3", 7_248_023_552L)]
    [TestCase("qwen3-0.6b", 596_049_920L)]
    [TestCase("phi-3-mini-4k-instruct", 3_821_079_552L)]
    [TestCase("gemma-2-2b", 2_614_341_888L)]
    [TestCase("gemma-3-1b-pt", 999_885_952L)]
    public void ParameterCount_Preset_EqualsPublishedCount(string preset, long expected)
    {
        Assert.That(ModelCatalog.Preset(preset).ParameterCount, Is.EqualTo(expected));
    }

    [Test]
    public void Preset_Llama321B_HasPublishedShape()
    {
        var m = ModelCatalog.Preset("llama-3.2-1b");
        Assert.Multiple(() =>
        {
            Assert.That((m.HiddenSize, m.NumLayers, m.NumAttentionHeads, m.NumKeyValueHeads, m.HeadDim), Is.EqualTo((2048, 16, 32, 8, 64)));
            Assert.That(m.Rope.Type, Is.EqualTo("llama3"));
            Assert.That(m.Rope.Factor, Is.EqualTo(32.0));
            Assert.That(m.TieWordEmbeddings, Is.True);
            Assert.That(m.QkvBias, Is.False);
            Assert.That(m.Shape(LinearModule.KProj), Is.EqualTo((2048, 512)));
            Assert.That(m.TorchDtype, Is.EqualTo("bfloat16"));
        });
    }

    [Test]
    public void Preset_Qwen25_HasQkvBiasesButNoOutputBias()
    {
        var m = ModelCatalog.Preset("qwen2.5-0.5b");
        Assert.Multiple(() =>
        {
            Assert.That(m.HasBias(LinearModule.QProj) && m.HasBias(LinearModule.KProj) && m.HasBias(LinearModule.VProj), Is.True);
            Assert.That(m.HasBias(LinearModule.OProj), Is.False);
            Assert.That(m.RmsNormEps, Is.EqualTo(1e-6));
            Assert.That(m.Rope.Theta, Is.EqualTo(1e6));
            Assert.That(m.GqaGroupSize, Is.EqualTo(7));
        });
    }

    [Test]
    public void Parse_RopeParametersLayout_EqualsRopeScalingLayout()
    {
        var old = ModelCatalog.PresetConfigJson("llama-3.2-1b");
        var newer = """
        {
          "architectures": ["LlamaForCausalLM"], "attention_bias": false, "bos_token_id": 128000, "eos_token_id": 128001,
          "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 8192,
          "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama", "num_attention_heads": 32,
          "num_hidden_layers": 16, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
          "rope_parameters": { "rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "high_freq_factor": 4.0,
                               "low_freq_factor": 1.0, "original_max_position_embeddings": 8192 },
          "tie_word_embeddings": true, "dtype": "bfloat16", "transformers_version": "5.0.0", "vocab_size": 128256
        }
        """;
        var a = ModelConfigParser.Parse(old, "m", "old/config.json");
        var b = ModelConfigParser.Parse(newer, "m", "new/config.json");
        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void Parse_Qwen2RopeParametersLayout_EqualsRopeThetaLayout()
    {
        var old = ModelCatalog.PresetConfigJson("qwen2.5-0.5b");
        var newer = old.Replace("\"rope_theta\": 1000000.0,", "\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 1000000.0},")
                       .Replace("\"torch_dtype\"", "\"dtype\"");
        Assert.That(newer, Does.Contain("rope_parameters"));
        Assert.That(ModelConfigParser.Parse(newer, "q", "b"), Is.EqualTo(ModelConfigParser.Parse(old, "q", "a")));
    }

    [Test]
    public void Parse_BadValue_NamesFileAndKey()
    {
        var json = ModelCatalog.PresetConfigJson("llama-3.2-1b").Replace("\"hidden_size\": 2048", "\"hidden_size\": \"big\"");
        var ex = Assert.Throws<UserInputException>(() => ModelConfigParser.Parse(json, "m", "/models/x/config.json"));
        Assert.That(ex!.Message, Does.Contain("/models/x/config.json").And.Contain("hidden_size").And.Contain("\"big\""));
    }

    [Test]
    public void Parse_SeveralProblems_ReportsEveryOne()
    {
        var json = ModelCatalog.PresetConfigJson("llama-3.2-1b")
            .Replace("\"num_hidden_layers\": 16,", "")
            .Replace("\"num_key_value_heads\": 8", "\"num_key_value_heads\": 5")
            .Replace("\"factor\": 32.0,", "");
        var ex = Assert.Throws<UserInputException>(() => ModelConfigParser.Parse(json, "m", "c.json"));
        Assert.That(ex!.Problems, Has.Count.EqualTo(3));
        Assert.That(ex.Message, Does.Contain("num_hidden_layers").And.Contain("num_key_value_heads").And.Contain("rope_scaling.factor"));
    }

    [Test]
    public void Parse_UnsupportedModelType_NamesKey()
    {
        var json = ModelCatalog.PresetConfigJson("llama-3.2-1b").Replace("\"model_type\": \"llama\"", "\"model_type\": \"gpt2\"");
        var ex = Assert.Throws<UserInputException>(() => ModelConfigParser.Parse(json, "m", "c.json"));
        Assert.That(ex!.Message, Does.Contain("model_type").And.Contain("gpt2"));
    }

    [Test]
    public void Resolve_DirectoryWithConfig_ParsesIt()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cimsim-model-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), ModelCatalog.PresetConfigJson("qwen2.5-0.5b"));
            var m = ModelCatalog.Resolve(dir);
            Assert.That(m with { Name = "x" }, Is.EqualTo(ModelCatalog.Preset("qwen2.5-0.5b") with { Name = "x" }));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Resolve_UnknownName_ListsPresets()
    {
        var ex = Assert.Throws<UserInputException>(() => ModelCatalog.Resolve("no-such-model-xyz"));
        Assert.That(ex!.Message, Does.Contain("llama-3.2-1b"));
    }

    [Test]
    public void InverseFrequencies_Llama3_MatchesClosedFormAtBothEnds()
    {
        var rope = ModelCatalog.Preset("llama-3.2-1b").Rope;
        var inv = rope.InverseFrequencies(64);
        // Highest frequency (wavelength 2 pi < 8192/4) is unscaled; lowest (wavelength > 8192) is divided by 32.
        Assert.That(inv[0], Is.EqualTo(1.0));
        Assert.That(inv[31], Is.EqualTo(1.0 / Math.Pow(500000, 62.0 / 64) / 32).Within(1e-15));
    }
}
