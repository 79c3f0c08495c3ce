using System.Text.Json.Nodes;
using CimSim.Common.Errors;
using CimSim.Tests.Simulator.Scheduling;
using CimSim.Tests.Workloads.NoiseProfiles;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;
using CimSim.Workloads.NoiseProfiles;
using CimSim.Workloads.Weights;

namespace CimSim.Tests.Hardening;

/// <summary>Issue 14, defects 6 (noise-profile reader), 7 (PEFT target_modules ignored) and 9 (--lora-rank above the matrix).</summary>
public class AdapterAndProfileReaderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static string Profile(Action<JsonObject> edit)
    {
        var o = JsonNode.Parse(NoiseProfileJson.Serialize(NoiseProfileJsonTests.Sample()))!.AsObject();
        edit(o);
        return o.ToJsonString();
    }

    [Test]
    public void Parse_VersionAsString_UserErrorNotInvalidOperation()
    {
        var ex = Assert.Throws<UserInputException>(() => NoiseProfileJson.Parse(Profile(o => o["version"] = "1"), "p.json"));
        Assert.That(ex!.Message, Does.Contain("$.version is '\"1\"'").And.Contain("expected an integer"));
    }

    [TestCase("mean", 1e300)]
    [TestCase("sigma", 1e300)]
    [TestCase("mean", -11.0)]
    [TestCase("output_sigma_rel", 20.0)]
    public void Parse_FitValueOutOfRange_NamesTheJsonPath(string field, double value)
    {
        var ex = Assert.Throws<UserInputException>(() => NoiseProfileJson.Parse(Profile(o => o["recommended"]![field] = value), "p.json"));
        Assert.That(ex!.Message, Does.Contain($"$.recommended.{field} is"));
    }

    [Test]
    public void Parse_NegativeInfinityLiteral_NotValidJson()
    {
        var text = Profile(_ => { }).Replace("\"output_sigma_rel\":0", "\"output_sigma_rel\":-Infinity", StringComparison.Ordinal);
        Assert.Throws<UserInputException>(() => NoiseProfileJson.Parse(text, "p.json"));
    }

    [Test]
    public void Parse_DuplicateModule_NamesBothIndices()
    {
        var text = Profile(o =>
        {
            var modules = o["modules"]!.AsArray();
            modules.Add(modules[0]!.DeepClone());
        });
        var ex = Assert.Throws<UserInputException>(() => NoiseProfileJson.Parse(text, "p.json"));
        Assert.That(ex!.Message, Does.Contain("repeats $.modules[0]"));
    }

    /// <summary>The llama fixture's adapter with adapter_config.json target_modules replaced.</summary>
    private string AdapterWithTargets(JsonNode? targets)
    {
        var dst = Path.Combine(_dir, "adapter");
        Directory.CreateDirectory(dst);
        foreach (var f in Directory.GetFiles(FixturePaths.Of("llama_f32_lora"))) File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dst, PeftAdapter.ConfigFileName)))!.AsObject();
        cfg["target_modules"] = targets;
        File.WriteAllText(Path.Combine(dst, PeftAdapter.ConfigFileName), cfg.ToJsonString());
        return dst;
    }

    [Test]
    public void Load_TargetModulesNamingNothingPresent_ErrorNamesTheModules()
    {
        var ex = Assert.Throws<UserInputException>(() => PeftAdapter.Load(AdapterWithTargets(new JsonArray("foo_proj"))));
        Assert.That(ex!.Message, Does.Contain("target_modules [\"foo_proj\"] does not name it"));
    }

    [Test]
    public void Load_AllLinearString_LoadsEveryModule()
    {
        var real = PeftAdapter.Load(FixturePaths.Of("llama_f32_lora"));
        var all = PeftAdapter.Load(AdapterWithTargets(JsonValue.Create("all-linear")));
        Assert.That(all.Modules.Keys, Is.EqualTo(real.Modules.Keys));
    }

    [Test]
    public void Load_RegexMatchingOnlyQProj_RefusesTheOtherModules()
    {
        var real = PeftAdapter.Load(FixturePaths.Of("llama_f32_lora"));
        Assume.That(real.Modules.Keys.Any(k => !k.EndsWith("q_proj", StringComparison.Ordinal)), "the fixture adapts more than q_proj");
        var ex = Assert.Throws<UserInputException>(() => PeftAdapter.Load(AdapterWithTargets(JsonValue.Create(@".*\.q_proj"))));
        Assert.That(ex!.Message, Does.Contain("does not name it").And.Not.Contain("q_proj': has"));
    }

    [Test]
    public void Targets_PeftListSemantics_SuffixAfterADot()
    {
        var c = new LoraAdapterConfig { TargetModules = ["q_proj"] };
        Assert.Multiple(() =>
        {
            Assert.That(c.Targets("model.layers.0.self_attn.q_proj"), Is.True);
            Assert.That(c.Targets("model.layers.0.self_attn.xq_proj"), Is.False);
        });
    }

    [Test]
    public void OperatorGraph_LoraRankAboveTheMatrix_RefusedNamingTheProjection()
    {
        var tiny = SchedulingFixtures.TinyModel; // hidden 128, kv dim 64
        var ex = Assert.Throws<UserInputException>(() => new OperatorGraph(tiny, LoraSpec.FromFlags(200, "q,k,v"), new WorkloadSpec(1, 8, 2)));
        Assert.That(ex!.Message, Does.Contain("--lora-rank: found 200; expected at most 64").And.Contain("k_proj"));
    }
}
