using CimSim.Common.Errors;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Workloads.Models;

public class LoraSpecTests
{
    [Test]
    public void ParameterCount_PaperLoraOnLlama321B_Is1900544()
    {
        var lora = LoraSpec.FromFlags(4, "q,k,v,up,down");
        Assert.That(lora.ParameterCount(ModelCatalog.Preset("llama-3.2-1b")), Is.EqualTo(1_900_544L));
    }

    [Test]
    public void FromFlags_ShortAndLongNames_GiveSameSpec()
    {
        var a = LoraSpec.FromFlags(8, "q,k,v,o,gate,up,down", 16);
        var b = LoraSpec.FromFlags(8, "down_proj,up_proj,gate_proj,o_proj,v_proj,k_proj,q_proj,q", 16);
        Assert.That(b, Is.EqualTo(a));
        Assert.That(a.Targets, Has.Count.EqualTo(7));
    }

    [Test]
    public void FromFlags_DefaultAlpha_IsTwiceRank()
    {
        var lora = LoraSpec.FromFlags(4, "q");
        Assert.That(lora.Scaling, Is.EqualTo(2.0));
    }

    [Test]
    public void FromFlags_BadTarget_ThrowsNamingFlag()
    {
        var ex = Assert.Throws<UserInputException>(() => LoraSpec.FromFlags(0, "q,attn"));
        Assert.That(ex!.Problems, Has.Count.EqualTo(2));
        Assert.That(ex.Message, Does.Contain("--lora-targets").And.Contain("attn").And.Contain("--lora-rank"));
    }

    [Test]
    public void ParsePeftConfig_TypicalAdapter_ReadsFields()
    {
        const string json = """
        {"alpha_pattern": {}, "base_model_name_or_path": "meta-llama/Llama-3.2-1B", "bias": "none", "fan_in_fan_out": false,
         "inference_mode": true, "init_lora_weights": true, "layers_to_transform": null, "lora_alpha": 16, "lora_dropout": 0.05,
         "peft_type": "LORA", "r": 4, "rank_pattern": {}, "target_modules": ["up_proj", "q_proj", "down_proj", "v_proj", "k_proj"],
         "task_type": "CAUSAL_LM", "use_dora": false, "use_rslora": false}
        """;
        var lora = LoraSpec.ParsePeftConfig(json, "adapter_config.json");
        Assert.That(lora, Is.EqualTo(LoraSpec.FromFlags(4, "q,k,v,up,down", 16, 0.05)));
    }

    [Test]
    public void ParsePeftConfig_RegexTargets_MatchFullModuleNames()
    {
        const string json = """{"r": 2, "lora_alpha": 4, "target_modules": ".*\\.(q_proj|v_proj)", "layers_to_transform": [0, 2]}""";
        var lora = LoraSpec.ParsePeftConfig(json, "a.json");
        Assert.That(lora.Targets, Is.EqualTo(new[] { LinearModule.QProj, LinearModule.VProj }));
        Assert.That(lora.AppliesTo(1, LinearModule.QProj), Is.False);
        Assert.That(lora.ParameterCount(ModelCatalog.Preset("qwen2.5-0.5b")), Is.EqualTo(2L * 2 * ((896 + 896) + (896 + 128))));
    }

    [Test]
    public void ParsePeftConfig_MissingRank_NamesFileAndKey()
    {
        var ex = Assert.Throws<UserInputException>(() => LoraSpec.ParsePeftConfig("""{"lora_alpha": 8, "target_modules": ["q_proj"]}""", "/ad/adapter_config.json"));
        Assert.That(ex!.Message, Does.Contain("/ad/adapter_config.json").And.Contain("'r'"));
    }
}
