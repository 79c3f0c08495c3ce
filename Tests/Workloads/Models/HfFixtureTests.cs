using CimSim.Workloads.Models;

namespace CimSim.Tests.Workloads.Models;

/// <summary>
/// Checks against tiny models and adapters written by Hugging Face transformers 5.17 and PEFT 0.21
/// (Tests/Fixtures, made by scripts/fixtures/make_fixtures.py; parameter counts from the manifest's log).
/// </summary>
public class HfFixtureTests
{
    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", name);

    [TestCase("llama_f32", 90_432L)]
    [TestCase("qwen2_f32", 107_072L)]
    [TestCase("llama_bf16", 106_816L)]
    [TestCase("qwen2_f16", 90_688L)]
    // make_family_fixtures.py (manifest-families.json)
    [TestCase("mistral_f32", 106_816L)]
    [TestCase("qwen3_f32", 115_136L)]
    [TestCase("phi3_f32", 106_816L)]
    [TestCase("gemma2_f32", 115_264L)]
    [TestCase("gemma3_f32", 115_392L)]
    public void ParameterCount_HfFixture_EqualsTorchNumel(string fixture, long expected)
    {
        var m = ModelCatalog.Resolve(Fixture(fixture));
        Assert.That(m.ParameterCount, Is.EqualTo(expected));
    }

    [Test]
    public void ParseFile_NewLayoutQwen2Fixture_ReadsRopeParametersAndDtype()
    {
        var m = ModelCatalog.Resolve(Fixture("qwen2_f32"));
        Assert.Multiple(() =>
        {
            Assert.That(m.Rope, Is.EqualTo(new RopeSpec { Theta = 1e6 }));
            Assert.That(m.TorchDtype, Is.EqualTo("float32"));
            Assert.That(m.QkvBias, Is.True);
            Assert.That(m.Name, Is.EqualTo("qwen2_f32"));
        });
    }

    [Test]
    public void FromPeftConfig_PeftFixture_ReadsRankAlphaAndTargets()
    {
        var lora = LoraSpec.FromPeftConfig(Fixture("llama_f32_lora"));
        Assert.That(lora, Is.EqualTo(LoraSpec.FromFlags(4, "q,k,v,up,down", 8, 0.0)));
    }
}
