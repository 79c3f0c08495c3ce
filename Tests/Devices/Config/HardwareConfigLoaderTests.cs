using CimSim.Common.Errors;
using CimSim.Devices.Config;

namespace CimSim.Tests.Devices.Config;

public class HardwareConfigLoaderTests
{
    private static UserInputException LoadFails(string yaml, IReadOnlyList<string>? overrides = null, string? dir = null) =>
        Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText(yaml, "bad.yaml", overrides, dir))!;

    // The tool runs outside the source tree: each shipped config is built in, includes resolved among the built-ins.
    [TestCase("default")]
    [TestCase("isaac-like")]
    [TestCase("neurosim-like")]
    [TestCase("test-ideal")]
    public void Load_BuiltInName_EqualsTheShippedFile(string name)
    {
        var fromFile = HardwareConfigLoader.Load(Path.Combine(ConfigTestPaths.HwConfigs, name + ".yaml"));
        Assert.That(HardwareConfigLoader.Load(name), Is.EqualTo(fromFile));
        Assert.That(HardwareConfigLoader.MachineText(name), Is.EqualTo(File.ReadAllText(Path.Combine(ConfigTestPaths.HwConfigs, name + ".yaml"))));
    }

    [Test]
    public void Load_UnknownName_ListsBuiltInConfigs()
    {
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.Load("no-such-chip"));
        Assert.That(ex!.Message, Does.Contain("no-such-chip").And.Contain("default").And.Contain("isaac-like"));
    }

    /// <summary>
    /// Every scalar a shipped config writes itself (the last layer over include and preset) reaches the spec with
    /// that value: the file's text is scanned line by line here, independently of the loader, and each YAML path is
    /// followed through the records' [ConfigKey] names. Catches a key bound to the wrong field, a layer that wins
    /// over the file, a unit or number parsed wrongly.
    /// </summary>
    [TestCaseSource(typeof(ConfigTestPaths), nameof(ConfigTestPaths.ShippedConfigs))]
    public void Load_ShippedConfig_EveryScalarTheFileSetsReachesTheSpec(string file)
    {
        var path = Path.Combine(ConfigTestPaths.HwConfigs, file);
        var spec = HardwareConfigLoader.Load(path);
        var leaves = ShippedYamlScalars(File.ReadAllLines(path));
        var mismatches = new List<string>();
        int checkedCount = 0;
        foreach (var (yamlPath, text) in leaves)
        {
            object? node = spec;
            foreach (var key in yamlPath.Split('.'))
            {
                var prop = node?.GetType().GetProperties()
                    .FirstOrDefault(p => p.GetCustomAttributes(typeof(ConfigKeyAttribute), false).Cast<ConfigKeyAttribute>().Any(a => a.Name == key));
                node = prop?.GetValue(node);
                if (prop is null) { node = null; break; }
            }
            if (node is null) { mismatches.Add($"{yamlPath}: no spec field"); continue; }
            checkedCount++;
            if (!SameValue(node, text)) mismatches.Add($"{yamlPath}: file says {text}, spec has {node}");
        }
        TestContext.Out.WriteLine($"{file}: {checkedCount} scalars checked");
        Assert.That(mismatches, Is.Empty);
        Assert.That(checkedCount, Is.GreaterThanOrEqualTo(1));
        Assert.That(spec.Name, Is.EqualTo(leaves.Single(l => l.Path == "name").Value));
    }

    /// <summary>"a.b.c" -> scalar text of every `key: value` line (folded text, lists, include and preset skipped).</summary>
    private static List<(string Path, string Value)> ShippedYamlScalars(string[] lines)
    {
        var result = new List<(string, string)>();
        var stack = new List<(int Indent, string Key)>();
        int skipDeeperThan = -1;
        foreach (var raw in lines)
        {
            var line = raw.Split(" #")[0].TrimEnd();
            if (line.TrimStart().StartsWith('#') || line.Trim().Length == 0) continue;
            int indent = line.Length - line.TrimStart().Length;
            if (skipDeeperThan >= 0 && indent > skipDeeperThan) continue;
            skipDeeperThan = -1;
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[indent..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            while (stack.Count > 0 && stack[^1].Indent >= indent) stack.RemoveAt(stack.Count - 1);
            if (value.Length == 0) { stack.Add((indent, key)); continue; }
            if (value.StartsWith('>') || value.StartsWith('|')) { skipDeeperThan = indent; continue; }
            if (value.StartsWith('[') || key is "include" or "preset" || (stack.Count == 0 && key == "description")) continue;
            result.Add((string.Join(".", stack.Select(s => s.Key).Append(key)), value.Trim('"')));
        }
        return result;
    }

    private static bool SameValue(object actual, string text) => actual switch
    {
        bool b => b == bool.Parse(text),
        int or long or double or float => Math.Abs(Convert.ToDouble(actual, System.Globalization.CultureInfo.InvariantCulture)
            - double.Parse(text, System.Globalization.CultureInfo.InvariantCulture)) <= 1e-12 * Math.Abs(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture)),
        Enum e => Normalise(e.ToString()) == Normalise(text),
        string s => s == text,
        _ => actual.ToString() == text,
    };

    private static string Normalise(string s) => s.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    [Test]
    public void Load_DefaultYaml_EqualsBuiltInRecordDefaults()
    {
        var spec = HardwareConfigLoader.Load(Path.Combine(ConfigTestPaths.HwConfigs, "default.yaml"));
        Assert.That(spec with { Description = "" }, Is.EqualTo(new HardwareSpec()));
    }

    [Test]
    public void Load_TestIdeal_HasEveryNonIdealityOffAndIdealAdc()
    {
        var spec = HardwareConfigLoader.Load(Path.Combine(ConfigTestPaths.HwConfigs, "test-ideal.yaml"));
        Assert.Multiple(() =>
        {
            Assert.That(spec.Rram.Noise.AllOff, Is.True);
            Assert.That(spec.Rram.Adc.Ideal, Is.True);
            Assert.That(spec.Name, Is.EqualTo("test-ideal"));
            Assert.That(spec.Rram.Array.Rows, Is.EqualTo(new HardwareSpec().Rram.Array.Rows));
        });
    }

    [Test]
    public void Load_VariantConfigs_HaveTheirDefiningShapes()
    {
        var ns = HardwareConfigLoader.Load(Path.Combine(ConfigTestPaths.HwConfigs, "neurosim-like.yaml"));
        var isaac = HardwareConfigLoader.Load(Path.Combine(ConfigTestPaths.HwConfigs, "isaac-like.yaml"));
        Assert.Multiple(() =>
        {
            Assert.That((ns.Rram.Array.Rows, ns.Rram.Array.Cols, ns.Rram.Array.BitsPerCell), Is.EqualTo((128, 128, 1)));
            Assert.That((ns.Rram.Dac.Bits, ns.Rram.Dac.BitSerial, ns.Rram.Adc.Bits, ns.Rram.Adc.ColsPerAdc), Is.EqualTo((1, true, 5, 8)));
            Assert.That(ns.Rram.Device.ROnOhm, Is.EqualTo(1e5).Within(1e-6));
            Assert.That((isaac.Rram.Array.Rows, isaac.Rram.Array.BitsPerCell, isaac.Rram.Dac.Bits, isaac.Rram.Adc.Bits), Is.EqualTo((128, 2, 1, 8)));
            Assert.That(isaac.Rram.Adc.Impl, Is.EqualTo(AdcModelKind.Table));
        });
    }

    [Test]
    public void Load_BadConfigWithPlantedProblems_ListsEveryOneWithPathAndLine()
    {
        const string yaml = """
            name: bad
            rram:
              array:
                rows: -4
                colls: 64
                encoding: diferential
              adc:
                bits: 17
                cols_per_adc: 6
              noise:
                weight_noise:
                  sigma: lots
            clock:
              frequency_hz: [1, 2]
            mapping:
              lora: gpu
            """;
        var ex = LoadFails(yaml);
        var expected = new[]
        {
            "bad.yaml:4:11: rram.array.rows:",
            "bad.yaml:5:5: rram.array.colls: found unknown key 'colls'",
            "bad.yaml:6:15: rram.array.encoding: found 'diferential'",
            "bad.yaml:8:11: rram.adc.bits: found 17",
            "bad.yaml:9:19: rram.adc.cols_per_adc: found 6; expected a power of two",
            "bad.yaml:12:14: rram.noise.weight_noise.sigma: found 'lots'",
            "bad.yaml:14:17: clock.frequency_hz: found a list",
            "bad.yaml:16:9: mapping.lora: found 'gpu'",
        };
        Assert.That(ex.Problems, Has.Count.EqualTo(expected.Length), string.Join("\n", ex.Problems));
        foreach (var e in expected) Assert.That(ex.Problems, Has.Some.StartsWith(e), e);
    }

    [Test]
    public void Load_CrossFieldProblems_AreReportedAtTheKeysLine()
    {
        const string yaml = """
            rram:
              array:
                cols: 96
                bits_per_cell: 3
              adc:
                cols_per_adc: 64
              device:
                g_min_us: 20
                g_max_us: 10
              noise:
                stuck_at:
                  rate_gmin: 0.6
                  rate_gmax: 0.6
            """;
        var ex = LoadFails(yaml);
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problems, Has.Some.Contains("rram.array.weight_bits").And.Contains("bits_per_cell 3"));
            Assert.That(ex.Problems, Has.Some.StartsWith("bad.yaml:6:19: rram.adc.cols_per_adc").And.Contains("does not divide"));
            Assert.That(ex.Problems, Has.Some.StartsWith("bad.yaml:8:15: rram.device.g_min_us").And.Contains("G_min < G_max"));
            Assert.That(ex.Problems, Has.Some.StartsWith("bad.yaml:13:18: rram.noise.stuck_at.rate_gmax").And.Contains("at most 1"));
        });
    }

    [TestCase("colls", "cols")]
    [TestCase("bits_per_cel", "bits_per_cell")]
    [TestCase("replicaton", "replication")]
    public void Load_UnknownKey_SuggestsNearestValidKey(string typo, string suggestion)
    {
        var ex = LoadFails($"rram:\n  array:\n    {typo}: 1\n");
        Assert.That(ex.Problems, Has.One.Contains($"did you mean '{suggestion}'?").And.StartsWith("bad.yaml:3:5: rram.array." + typo));
    }

    [Test]
    public void Load_UnknownKeyFarFromAny_ListsValidKeysAndWhereItExists()
    {
        var ex = LoadFails("rram:\n  array:\n    sample_hold: 1\n");
        Assert.That(ex.Problems.Single(), Does.Contain("expected one of: rows, cols").And.Contains("rram.adc.sample_hold"));
    }

    [Test]
    public void Load_YamlSyntaxError_ReportsLineAndColumn()
    {
        var ex = LoadFails("name: x\nrram: b: c\n");
        Assert.That(ex.Problems.Single(), Does.StartWith("bad.yaml:2:").And.Contains("YAML syntax"));
    }

    [Test]
    public void Load_MalformedFlowCollection_IsAUserErrorNotACrash()
    {
        var ex = LoadFails("rram:\n  array: [1,\n  b: 2\n");
        Assert.That(ex.Problems.Single(), Does.StartWith("bad.yaml:").And.Contains("YAML syntax"));
    }

    [Test]
    public void Load_DuplicateKey_IsAProblem()
    {
        var ex = LoadFails("name: a\nname: b\n");
        Assert.That(ex.Problems.Single(), Does.StartWith("bad.yaml:2:1:").And.Contains("Duplicate key"));
    }

    [Test]
    public void Load_ResistanceForm_ConvertsToConductance()
    {
        var spec = HardwareConfigLoader.LoadText("rram:\n  device:\n    r_on_ohm: 2.0e4\n    r_off_ohm: 1.0e6\n", "r.yaml");
        Assert.Multiple(() =>
        {
            Assert.That(spec.Rram.Device.GMaxMicrosiemens, Is.EqualTo(50).Within(1e-12));
            Assert.That(spec.Rram.Device.GMinMicrosiemens, Is.EqualTo(1).Within(1e-12));
        });
    }

    [Test]
    public void Load_BothResistanceAndConductance_IsAProblem()
    {
        var ex = LoadFails("rram:\n  device:\n    r_on_ohm: 2.0e4\n    g_max_us: 50\n");
        Assert.That(ex.Problems.Single(), Does.StartWith("bad.yaml:3:5: rram.device.r_on_ohm").And.Contains("both"));
    }

    [Test]
    public void Load_ByteSizeSuffix_IsAccepted()
    {
        var spec = HardwareConfigLoader.LoadText("buffer:\n  capacity_bytes: 4MiB\n", "s.yaml");
        Assert.That(spec.Buffer.CapacityBytes, Is.EqualTo(4L << 20));
    }

    [Test]
    public void Load_MissingFile_IsAUserError()
    {
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.Load(Path.Combine(ConfigTestPaths.ScratchDir(), "none.yaml")))!;
        Assert.That(ex.Message, Does.Contain("not found"));
    }
}

public class HardwareSpecValidatorWarningTests
{
    [Test]
    public void Warnings_WeightNoiseAndDeviceNoiseBothOn_WarnsOfDoubleCounting()
    {
        var spec = HardwareConfigLoader.With(new HardwareSpec(), "rram.noise.stuck_at.rate_gmin", "0.01");
        Assert.That(HardwareSpecValidator.Warnings(spec), Has.One.Contains("counted twice"));
    }

    [Test]
    public void Warnings_ShippedDefault_HasNone()
    {
        Assert.That(HardwareSpecValidator.Warnings(new HardwareSpec()), Is.Empty);
    }
}
