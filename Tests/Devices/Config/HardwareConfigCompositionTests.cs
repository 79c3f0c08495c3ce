using CimSim.Common.Errors;
using CimSim.Devices.Config;

namespace CimSim.Tests.Devices.Config;

public class HardwareConfigCompositionTests
{
    [Test]
    public void Load_Include_ResolvesRelativeToTheIncludingFile()
    {
        var dir = ConfigTestPaths.ScratchDir();
        Directory.CreateDirectory(Path.Combine(dir, "base"));
        File.WriteAllText(Path.Combine(dir, "base", "common.yaml"), "rram:\n  array:\n    rows: 32\n    cols: 32\n");
        File.WriteAllText(Path.Combine(dir, "top.yaml"), "include: base/common.yaml\nrram:\n  array:\n    cols: 16\n");
        var spec = HardwareConfigLoader.Load(Path.Combine(dir, "top.yaml"));
        Assert.That((spec.Rram.Array.Rows, spec.Rram.Array.Cols), Is.EqualTo((32, 16)));
    }

    [Test]
    public void Load_NestedIncludeOfSiblingFile_ResolvesFromTheNestedFilesDirectory()
    {
        var dir = ConfigTestPaths.ScratchDir();
        Directory.CreateDirectory(Path.Combine(dir, "a"));
        File.WriteAllText(Path.Combine(dir, "a", "inner.yaml"), "rram:\n  adc:\n    bits: 6\n");
        File.WriteAllText(Path.Combine(dir, "a", "mid.yaml"), "include: inner.yaml\n");
        File.WriteAllText(Path.Combine(dir, "top.yaml"), "include: a/mid.yaml\n");
        Assert.That(HardwareConfigLoader.Load(Path.Combine(dir, "top.yaml")).Rram.Adc.Bits, Is.EqualTo(6));
    }

    [Test]
    public void Load_IncludeCycle_IsDetectedAndNamesTheChain()
    {
        var dir = ConfigTestPaths.ScratchDir();
        File.WriteAllText(Path.Combine(dir, "x.yaml"), "include: y.yaml\n");
        File.WriteAllText(Path.Combine(dir, "y.yaml"), "include: x.yaml\n");
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.Load(Path.Combine(dir, "x.yaml")))!;
        Assert.That(ex.Problems.Single(), Does.Contain("include cycle").And.Contains("x.yaml -> ").And.Contains("y.yaml:1:10"));
    }

    [Test]
    public void Load_SelfInclude_IsACycle()
    {
        var dir = ConfigTestPaths.ScratchDir();
        File.WriteAllText(Path.Combine(dir, "s.yaml"), "include: s.yaml\n");
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.Load(Path.Combine(dir, "s.yaml")))!;
        Assert.That(ex.Problems.Single(), Does.Contain("include cycle"));
    }

    [Test]
    public void Load_MissingInclude_NamesTheDirectiveLine()
    {
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText("name: a\ninclude: nope.yaml\n", "m.yaml", null, ConfigTestPaths.ScratchDir()))!;
        Assert.That(ex.Problems.Single(), Does.StartWith("m.yaml:2:10: include:").And.Contains("does not exist"));
    }

    [Test]
    public void Load_PresetThenOwnKeys_OwnKeysOverrideThePreset()
    {
        var spec = HardwareConfigLoader.LoadText("preset: neurosim-22nm\nrram:\n  device:\n    read_voltage_v: 0.3\n", "p.yaml");
        Assert.Multiple(() =>
        {
            Assert.That(spec.Rram.Device.ReadVoltageVolts, Is.EqualTo(0.3));
            Assert.That(spec.Rram.Device.GMaxMicrosiemens, Is.EqualTo(10).Within(1e-9), "from the preset");
        });
    }

    [Test]
    public void Load_DirectivesLayerInWrittenOrder_LaterLayerWins()
    {
        var dir = ConfigTestPaths.ScratchDir();
        File.WriteAllText(Path.Combine(dir, "base.yaml"), "rram:\n  device:\n    read_pulse_s: 5.0e-9\n");
        var includeThenPreset = HardwareConfigLoader.LoadText("include: base.yaml\npreset: neurosim-22nm\n", "a.yaml", null, dir);
        var presetThenInclude = HardwareConfigLoader.LoadText("preset: neurosim-22nm\ninclude: base.yaml\n", "b.yaml", null, dir);
        Assert.Multiple(() =>
        {
            Assert.That(includeThenPreset.Rram.Device.ReadPulseSeconds, Is.EqualTo(1e-8));
            Assert.That(presetThenInclude.Rram.Device.ReadPulseSeconds, Is.EqualTo(5e-9));
        });
    }

    [Test]
    public void Load_LocalPresetDirectory_TakesPrecedenceOverBuiltIn()
    {
        var dir = ConfigTestPaths.ScratchDir();
        Directory.CreateDirectory(Path.Combine(dir, "presets"));
        File.WriteAllText(Path.Combine(dir, "presets", "ideal.yaml"), "rram:\n  adc:\n    bits: 3\n");
        File.WriteAllText(Path.Combine(dir, "c.yaml"), "preset: ideal\n");
        Assert.That(HardwareConfigLoader.Load(Path.Combine(dir, "c.yaml")).Rram.Adc.Bits, Is.EqualTo(3));
    }

    [Test]
    public void Load_UnknownPreset_SuggestsNearestName()
    {
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText("preset: isac-32nm\n", "u.yaml"))!;
        Assert.That(ex.Problems.Single(), Does.StartWith("u.yaml:1:9: preset:").And.Contains("did you mean 'isaac-32nm'?"));
    }

    [Test]
    public void PresetNames_IncludeEveryPresetFileShipped()
    {
        var files = Directory.GetFiles(Path.Combine(ConfigTestPaths.HwConfigs, "presets"), "*.yaml").Select(Path.GetFileNameWithoutExtension);
        Assert.That(HardwareConfigLoader.PresetNames, Is.EquivalentTo(files));
    }

    [Test]
    public void Load_Override_BeatsFileAndPreset()
    {
        var spec = HardwareConfigLoader.LoadText("preset: neurosim-22nm\nrram:\n  adc:\n    bits: 6\n", "o.yaml",
            ["rram.adc.bits=4", "rram.device.read_voltage_v=0.2", "rram.noise.weight_noise.sigma=0.02"]);
        Assert.Multiple(() =>
        {
            Assert.That(spec.Rram.Adc.Bits, Is.EqualTo(4));
            Assert.That(spec.Rram.Device.ReadVoltageVolts, Is.EqualTo(0.2));
            Assert.That(spec.Rram.Noise.WeightNoise.Sigma, Is.EqualTo(0.02));
        });
    }

    [Test]
    public void Load_OverrideListAndResistance_AreParsedAsYaml()
    {
        var spec = HardwareConfigLoader.LoadText("", "e.yaml", ["rram.adc.table.bits=[2, 4]", "rram.adc.table.energy_pj=[0.5, 1]", "rram.device.r_on_ohm=5e4"]);
        Assert.Multiple(() =>
        {
            Assert.That(spec.Rram.Adc.Table.Bits, Is.EqualTo(EquatableArray.Of(2, 4)));
            Assert.That(spec.Rram.Device.GMaxMicrosiemens, Is.EqualTo(20).Within(1e-12));
        });
    }

    [Test]
    public void Load_BadOverrides_EachNamesTheOverride()
    {
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText("", "e.yaml", ["rram.adc.bitz=3", "rram.adc.bits=99", "novalue", "preset=ideal"]))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problems, Has.Count.EqualTo(4), string.Join("\n", ex.Problems));
            Assert.That(ex.Problems, Has.Some.StartsWith("override -p 'rram.adc.bitz=3': rram.adc.bitz").And.Contains("did you mean 'bits'?"));
            Assert.That(ex.Problems, Has.Some.StartsWith("override -p 'rram.adc.bits=99': rram.adc.bits: found 99"));
            Assert.That(ex.Problems, Has.Some.StartsWith("override -p 'novalue'"));
            Assert.That(ex.Problems, Has.Some.StartsWith("override -p 'preset=ideal'"));
        });
    }

    [Test]
    public void ApplyOverrides_OnLoadedSpec_ChangesOnlyTheNamedKeyAndValidates()
    {
        var spec = new HardwareSpec();
        var changed = HardwareConfigLoader.With(spec, "rram.array.rows", "128");
        Assert.Multiple(() =>
        {
            Assert.That(changed, Is.EqualTo(spec with { Rram = spec.Rram with { Array = spec.Rram.Array with { Rows = 128 } } }));
            Assert.Throws<UserInputException>(() => HardwareConfigLoader.With(spec, "rram.adc.cols_per_adc", "128"));
        });
    }
}
