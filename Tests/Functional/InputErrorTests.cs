using CimSim.Common.Errors;
using CimSim.Simulator.Cli;
using CimSim.Simulator.Functional;

namespace CimSim.Tests.Functional;

public class InputErrorTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string CopyFixture(string name)
    {
        var dst = Path.Combine(_dir, name);
        Directory.CreateDirectory(dst);
        foreach (var f in Directory.GetFiles(FixturePaths.Of(name))) File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
        return dst;
    }

    [Test]
    public void Load_TensorsDisagreeWithConfig_NamesTensorsAndBothShapes()
    {
        var dir = CopyFixture("llama_f32");
        var cfg = Path.Combine(dir, "config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"intermediate_size\": 128", "\"intermediate_size\": 96"));
        var ex = Assert.Throws<UserInputException>(() => FunctionalModel.Load(dir, IdealPlacer.Instance))!;
        Assert.That(ex.Problems, Has.Count.EqualTo(6), "gate/up/down of both layers, all at once");
        Assert.That(ex.Message, Does.Contain("model.layers.0.mlp.gate_proj.weight").And.Contain("[128, 64]").And.Contain("[96, 64]"));
        Assert.That(ex.Message, Does.Contain("model.layers.1.mlp.down_proj.weight").And.Contain("[64, 128]").And.Contain("[64, 96]"));
    }

    [Test]
    public void Load_AdapterForOtherModel_NamesAdapterTensorAndShapes()
    {
        // llama_bf16 has the same shapes, so take an adapter whose modules exceed the model: fake a 1-layer config.
        var dir = CopyFixture("llama_f32");
        var cfg = Path.Combine(dir, "config.json");
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"));
        var ex = Assert.Throws<UserInputException>(() => FunctionalModel.Load(dir, IdealPlacer.Instance, FixturePaths.Of("llama_f32_lora")))!;
        Assert.That(ex.Message, Does.Contain("model.layers.1.self_attn.q_proj").And.Contain("not a projection of this 1-layer model"));
    }

    [Test]
    public void InferCommand_IdealFixture_WritesOneLogitRowPerToken()
    {
        var output = Path.Combine(_dir, "logits.json");
        var rc = CliApp.Run(["infer", "--model", FixturePaths.Of("llama_f32"), "--ideal", "--tokens", "1,17,42", "--out", output]);
        Assert.That(rc, Is.EqualTo(0));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(output));
        var rows = doc.RootElement.GetProperty("logits");
        Assert.That(rows.GetArrayLength(), Is.EqualTo(3));
        Assert.That(rows[0].GetArrayLength(), Is.EqualTo(256));
        var reference = ReferenceLogitsTests.LoadReference("llama_f32");
        Assert.That(rows[2][7].GetSingle(), Is.EqualTo(reference.Logits[2][7]).Within(1e-3), "position 2 sees the same prefix as the reference");
    }

    [Test]
    public void InferCommand_NoHw_RunsTheBuiltInDefaultConfig()
    {
        // --hw is defaulted on every command (issue 11): no flag means the shipped default chip, byte for byte.
        var implicitOut = Path.Combine(_dir, "implicit.json");
        var explicitOut = Path.Combine(_dir, "explicit.json");
        Assert.That(CliApp.Run(["infer", "--model", FixturePaths.Of("llama_f32"), "--tokens", "1,17", "--out", implicitOut]), Is.EqualTo(0));
        Assert.That(CliApp.Run(["infer", "--model", FixturePaths.Of("llama_f32"), "--hw", "default", "--tokens", "1,17", "--out", explicitOut]), Is.EqualTo(0));
        Assert.That(File.ReadAllText(implicitOut), Is.EqualTo(File.ReadAllText(explicitOut)));
    }
}
