using CimSim.Devices.Config;

namespace CimSim.Tests.Devices.Config;

public class HardwareSpecWriterTests
{
    [TestCaseSource(typeof(ConfigTestPaths), nameof(ConfigTestPaths.ShippedConfigs))]
    public void ToYaml_ThenLoad_GivesAnEqualSpec(string file)
    {
        var spec = HardwareConfigLoader.Load(Path.Combine(ConfigTestPaths.HwConfigs, file));
        var again = HardwareConfigLoader.LoadText(HardwareSpecWriter.ToYaml(spec), "dump.yaml");
        Assert.That(again, Is.EqualTo(spec));
    }

    [Test]
    public void ToJson_ThenLoad_GivesAnEqualSpec()
    {
        var spec = HardwareConfigLoader.LoadText("name: \"odd: name # x\"\ndescription: \"two\\nlines\"\n", "j.yaml", ["rram.noise.weight_noise.sigma=0.005"]);
        var again = HardwareConfigLoader.LoadText(HardwareSpecWriter.ToJson(spec), "dump.json");
        Assert.That(again, Is.EqualTo(spec));
    }

    [Test]
    public void ToYaml_WritesEveryDeclaredKeyPath()
    {
        var yaml = HardwareSpecWriter.ToYaml(new HardwareSpec());
        var leafNames = ConfigSchema.AllKeys.Select(k => k.Key.Name + ":").Distinct();
        Assert.That(leafNames, Has.All.Matches<string>(n => yaml.Contains(n!, StringComparison.Ordinal)));
    }

    [Test]
    public void ToYaml_IsDeterministic()
    {
        var spec = HardwareConfigLoader.With(new HardwareSpec(), "clock.frequency_hz", "1.3e9");
        Assert.That(HardwareSpecWriter.ToYaml(spec), Is.EqualTo(HardwareSpecWriter.ToYaml(spec with { })));
    }
}
