using CimSim.Common.Errors;
using CimSim.Workloads.Weights;

namespace CimSim.Tests.Hardening;

/// <summary>Inputs on which `fuzz/run.sh` found crashes, kept as regression tests (YAML ones: YamlLimitsTests).</summary>
public class FuzzCrashTests
{
    [Test]
    public void SafetensorsOpen_HeaderWithInvalidUtf8_UserErrorNotInvalidOperation()
    {
        // fuzz/run.sh safetensors: invalid UTF-8 inside a header string threw InvalidOperationException from GetString.
        var path = FixturePaths.Of(Path.Combine("fuzz-crashes", "safetensors-invalid-utf8-header.safetensors"));
        var ex = Assert.Throws<UserInputException>(() =>
        {
            using var f = SafetensorsFile.Open(path);
            foreach (var name in f.Tensors.Keys) f.ReadFloat32(name);
        });
        Assert.That(ex!.Message, Does.Contain("not valid UTF-8"));
    }

    [Test]
    public void PeftAdapterLoad_ConfigWithDuplicateKeys_UserErrorNotArgumentException()
    {
        // fuzz/run.sh peft-config: a repeated key made JsonObject throw ArgumentException on first access.
        var dir = FixturePaths.NewScratch();
        try
        {
            File.Copy(FixturePaths.Of(Path.Combine("fuzz-crashes", "peft-config-duplicate-keys.json")), Path.Combine(dir, PeftAdapter.ConfigFileName));
            File.Copy(FixturePaths.Of(Path.Combine("llama_f32_lora", PeftAdapter.WeightsFileName)), Path.Combine(dir, PeftAdapter.WeightsFileName));
            Assert.Throws<UserInputException>(() => PeftAdapter.Load(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
