using System.Buffers.Binary;
using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Simulator.Cli.Commands;

namespace CimSim.Tests.Hardening;

/// <summary>
/// Issue 14, defect 1: NaN/Inf weights or adapters were not rejected: `infer --ideal` wrote bare NaN (invalid JSON), the
/// device paths returned finite logits, noise-profile and accuracy crashed on the JSON write.
/// </summary>
[NonParallelizable]
public class NonFiniteWeightsTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>Copies a fixture folder and overwrites the first float of <paramref name="tensor"/> with <paramref name="value"/>.</summary>
    private string Poisoned(string fixture, string file, string tensor, float value)
    {
        var dst = Path.Combine(_dir, fixture);
        Directory.CreateDirectory(dst);
        foreach (var f in Directory.GetFiles(FixturePaths.Of(fixture))) File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
        var path = Path.Combine(dst, file);
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var entry = header.RootElement.EnumerateObject().First(p => p.Name.Contains(tensor, StringComparison.Ordinal));
        var begin = entry.Value.GetProperty("data_offsets")[0].GetInt32();
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + headerLength + begin), value);
        File.WriteAllBytes(path, bytes);
        return dst;
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    public void InferIdeal_NonFiniteWeight_Exit2NamingTensorAndNoOutput(float value)
    {
        var model = Poisoned("llama_f32", "model.safetensors", "q_proj", value);
        var output = Path.Combine(_dir, "logits.json");
        var (code, _, err) = InProcessCli.Run("infer", "--model", model, "--ideal", "--tokens", "1,2,3", "--out", output);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(err, Does.Contain("q_proj").And.Contain("expected finite weights"));
            Assert.That(File.Exists(output), Is.False);
        });
    }

    [Test]
    public void InferOnDevices_NaNAdapter_Exit2NamingTheAdapterTensor()
    {
        var adapter = Poisoned("llama_f32_lora", "adapter_model.safetensors", "lora_A", float.NaN);
        var (code, _, err) = InProcessCli.Run("infer", "--model", FixturePaths.Of("llama_f32"), "--adapter", adapter, "--hw", InProcessCli.HwConfig(),
            "--tokens", "1,2", "--out", Path.Combine(_dir, "l.json"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("adapter_model.safetensors").And.Contain("lora_A").And.Contain("NaN"));
    }

    [Test]
    public void NoiseProfile_NaNWeight_Exit2NotACrash()
    {
        var model = Poisoned("llama_f32", "model.safetensors", "down_proj", float.NaN);
        var (code, _, err) = InProcessCli.Run("noise-profile", "--hw", InProcessCli.HwConfig(), "--model", model, "--out", Path.Combine(_dir, "p.json"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("expected finite weights"));
    }

    [Test]
    public void LogitsJson_NaNLogit_FailsInsteadOfWritingBareNaN()
    {
        var ex = Assert.Throws<NonFiniteResultException>(() => InferCommand.LogitsJson([1f, float.NaN], 1, 2));
        Assert.That(ex!.Message, Does.Contain("logits[1]"));
    }

    [Test]
    public void Serialize_NaNField_NonFiniteResultExceptionNotArgumentException()
    {
        Assert.Throws<NonFiniteResultException>(() => NonFiniteResultException.Serialize(new { x = double.NaN }, JsonSerializerOptions.Default, "a report"));
    }
}
