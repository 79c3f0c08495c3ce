using CimSim.Simulator.Cli;
using CimSim.Tests.Devices.Config;

namespace CimSim.Tests.Cli;

[NonParallelizable]
public class ValidateCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Hardening.InProcessCli.Run(args);

    [Test]
    public void Validate_GoodConfigWithOverride_PrintsOkAndSummary()
    {
        var (code, output, _) = Run("validate", "--hw", Path.Combine(ConfigTestPaths.HwConfigs, "default.yaml"), "-p", "rram.array.rows=128");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0));
            Assert.That(output, Does.StartWith("ok"));
            Assert.That(output, Does.Contain("128 x 64"));
        });
    }

    [Test]
    public void Validate_BadConfig_ExitsWithCode2AndListsEveryProblemWithoutStackTrace()
    {
        var dir = ConfigTestPaths.ScratchDir();
        var file = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(file, "rram:\n  adc:\n    bitz: 4\n    cols_per_adc: 3\n");
        var (code, output, err) = Run("validate", "--hw", file, "-p", "clock.frequency_hz=-1");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(output, Does.Not.StartWith("ok"));
            Assert.That(err, Does.Contain("bad.yaml:3:5: rram.adc.bitz").And.Contains("bad.yaml:4:19: rram.adc.cols_per_adc").And.Contains("clock.frequency_hz=-1"));
            Assert.That(err, Does.Not.Contain("   at "));
        });
    }

    [Test]
    public void Validate_DumpJson_PrintsTheEffectiveConfig()
    {
        var (code, output, _) = Run("validate", "--hw", Path.Combine(ConfigTestPaths.HwConfigs, "test-ideal.yaml"), "--dump", "json");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0));
            Assert.That(output, Does.Contain("\"name\": \"test-ideal\""));
            Assert.That(System.Text.Json.JsonDocument.Parse(output).RootElement.ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Object), "JSON only on stdout");
        });
    }
}
