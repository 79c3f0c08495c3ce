using CimSim.Common.Errors;
using CimSim.Workloads.Weights;

namespace CimSim.Tests.Workloads.Weights;

public class PeftAdapterTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Load_PeftFixture_ReadsModulesRankAndScale()
    {
        var ad = PeftAdapter.Load(FixturePaths.Of("llama_f32_lora"));
        Assert.That(ad.Config.Rank, Is.EqualTo(4));
        Assert.That(ad.Modules, Has.Count.EqualTo(10)); // 5 targets x 2 layers
        var q = ad.Modules["model.layers.1.self_attn.q_proj"];
        Assert.That((q.Rank, q.InFeatures, q.OutFeatures), Is.EqualTo((4, 64, 64)));
        Assert.That(q.Scale, Is.EqualTo(8.0 / 4));
        var down = ad.Modules["model.layers.0.mlp.down_proj"];
        Assert.That((down.InFeatures, down.OutFeatures), Is.EqualTo((128, 64)));
        Assert.That(down.B.Any(v => v != 0), Is.True);
        Assert.That(ad.Modules.Keys, Has.None.Contain("o_proj"));
    }

    [Test]
    public void SaveThenLoad_Adapter_RoundTripsConfigAndWeights()
    {
        var ad = PeftAdapter.Load(FixturePaths.Of("qwen2_f32_lora"));
        ad.Save(_dir);
        Assert.That(File.Exists(Path.Combine(_dir, "adapter_config.json")), Is.True);
        using (var f = SafetensorsFile.Open(Path.Combine(_dir, "adapter_model.safetensors")))
            Assert.That(f.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), Is.True);
        var back = PeftAdapter.Load(_dir);
        Assert.That(back.Config.Rank, Is.EqualTo(ad.Config.Rank));
        Assert.That(back.Config.Alpha, Is.EqualTo(ad.Config.Alpha));
        Assert.That(back.Config.TargetModules, Is.EquivalentTo(ad.Config.TargetModules));
        Assert.That(back.Modules.Keys, Is.EqualTo(ad.Modules.Keys));
        foreach (var (k, m) in ad.Modules)
        {
            Assert.That(back.Modules[k].A, Is.EqualTo(m.A), k);
            Assert.That(back.Modules[k].B, Is.EqualTo(m.B), k);
            Assert.That(back.Modules[k].Scale, Is.EqualTo(m.Scale), k);
        }
    }

    [Test]
    public void Save_InMemoryAdapter_WritesPeftNamesAndRsloraScale()
    {
        var cfg = new LoraAdapterConfig { Rank = 2, Alpha = 4, UseRslora = true, BaseModelNameOrPath = "tiny" };
        var m = new LoraModuleWeights("model.layers.0.mlp.up_proj", 2, 3, 5, new float[6], Enumerable.Range(0, 10).Select(i => (float)i).ToArray(), 0);
        new PeftAdapter(cfg, [m]).Save(_dir);
        var back = PeftAdapter.Load(_dir);
        Assert.That(back.Config.TargetModules, Is.EqualTo(new[] { "up_proj" }));
        Assert.That(back.Modules["model.layers.0.mlp.up_proj"].Scale, Is.EqualTo(4 / Math.Sqrt(2)).Within(1e-12));
        Assert.That(back.Modules["model.layers.0.mlp.up_proj"].B[9], Is.EqualTo(9f));
    }

    [Test]
    public void Load_MissingLoraB_NamesModule()
    {
        File.WriteAllText(Path.Combine(_dir, "adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":4,\"target_modules\":[\"q_proj\"]}");
        new SafetensorsWriter().Add(PeftAdapter.TensorName("model.layers.0.self_attn.q_proj", 'A'), new float[8], [2, 4])
            .Save(Path.Combine(_dir, "adapter_model.safetensors"));
        var ex = Assert.Throws<UserInputException>(() => PeftAdapter.Load(_dir))!;
        Assert.That(ex.Message, Does.Contain("model.layers.0.self_attn.q_proj").And.Contain("no lora_B"));
    }

    [Test]
    public void Load_RankDisagreesWithConfig_NamesTensorAndShape()
    {
        File.WriteAllText(Path.Combine(_dir, "adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":8,\"lora_alpha\":16,\"use_dora\":true}");
        new SafetensorsWriter()
            .Add(PeftAdapter.TensorName("model.layers.0.self_attn.q_proj", 'A'), new float[8], [2, 4])
            .Add(PeftAdapter.TensorName("model.layers.0.self_attn.q_proj", 'B'), new float[6], [3, 2])
            .Save(Path.Combine(_dir, "adapter_model.safetensors"));
        var ex = Assert.Throws<UserInputException>(() => PeftAdapter.Load(_dir))!;
        Assert.That(ex.Message, Does.Contain("use_dora"));
        File.WriteAllText(Path.Combine(_dir, "adapter_config.json"), "{\"peft_type\":\"LORA\",\"r\":8,\"lora_alpha\":16}");
        ex = Assert.Throws<UserInputException>(() => PeftAdapter.Load(_dir))!;
        Assert.That(ex.Message, Does.Contain("lora_A.weight").And.Contain("[2, 4]").And.Contain("r = 8"));
    }
}
