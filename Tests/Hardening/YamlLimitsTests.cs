using System.Diagnostics;
using System.Text;
using CimSim.Common.Errors;
using CimSim.Devices.Config;

namespace CimSim.Tests.Hardening;

/// <summary>Issue 14, defect 3: an alias bomb hung the loader, deep nesting overflowed the stack, /dev/zero exhausted memory.</summary>
public class YamlLimitsTests
{
    /// <summary>The 342-byte "billion laughs" document of the issue, at <paramref name="levels"/> levels of 9 references.</summary>
    private static string AliasBomb(int levels)
    {
        var sb = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i <= levels; i++)
            sb.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n");
        return sb.ToString();
    }

    [Test]
    public void LoadText_AliasBombTenLevels_RefusedQuicklyNamingTheLimit()
    {
        var sw = Stopwatch.StartNew();
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText(AliasBomb(10), "bomb.yaml"));
        Assert.That(ex!.Message, Does.Contain("alias"));
        // Not a timing test of speed: the old loader took 23 s at 9 levels and never ended at 10; a minute is a hang.
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public void LoadText_FiftyThousandNestedBrackets_DepthErrorNotStackOverflow()
    {
        var text = "name: " + new string('[', 50_000) + new string(']', 50_000) + "\n";
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText(text, "deep.yaml"));
        Assert.That(ex!.Message, Does.Contain("deep.yaml:1:").And.Contain("nesting deeper than 64"));
    }

    [Test]
    public void Load_DevZeroAsConfig_RefusedAsACharacterDevice()
    {
        Assume.That(File.Exists("/dev/zero"), "needs /dev/zero");
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.Load("/dev/zero"));
        Assert.That(ex!.Message, Does.Contain("/dev/zero: is a character device, not a regular file; expected a YAML file"));
    }

    [Test]
    public void Load_BinaryFileAsConfig_RefusedAtItsFirstNulByte()
    {
        var path = Path.Combine(FixturePaths.NewScratch(), "binary.yaml");
        File.WriteAllBytes(path, [(byte)'a', (byte)':', 0, 1, 2]);
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.Load(path));
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        Assert.That(ex!.Message, Does.Contain("NUL byte at offset 2"));
    }

    [Test]
    public void LoadText_IncludeOfDevZero_RefusedAsAProblemOfTheInclude()
    {
        Assume.That(File.Exists("/dev/zero"), "needs /dev/zero");
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText("include: /dev/zero\n", "inc.yaml"));
        Assert.That(ex!.Message, Does.Contain("/dev/zero").And.Contain("is a character device"));
    }

    [Test]
    public void ApplyOverrides_SelfReferentialAlias_UserErrorNotStackOverflow()
    {
        // Found by InputPropertyTests.ValidateOverride_RandomValuesForRealKeys_Exit0Or2: "-p key=&a [*a]" overflowed the stack.
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.ApplyOverrides(new HardwareSpec(), ["rram.adc.bits=&a [*a]"]));
        Assert.That(ex!.Message, Does.Contain("recursive alias"));
    }

    [Test]
    public void Check_AnchorsUsedAFewTimes_Accepted()
    {
        Assert.DoesNotThrow(() => YamlLimits.Check("base: &b {bits: 6}\nother: *b\nthird: *b\n"));
    }

    [Test]
    public void ReadFile_LargerThanTheLimit_RefusedWithTheSize()
    {
        var path = Path.Combine(FixturePaths.NewScratch(), "big.yaml");
        try
        {
            File.WriteAllBytes(path, Encoding.ASCII.GetBytes(new string('#', (int)YamlLimits.MaxBytes + 1)));
            var ex = Assert.Throws<UserInputException>(() => YamlLimits.ReadFile(path, "big.yaml"));
            Assert.That(ex!.Message, Does.Contain("larger than 64 MiB"));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    /// <summary>Inputs on which `fuzz/run.sh yaml` found YamlDotNet ArgumentExceptions escaping the loader (crashes).</summary>
    [TestCase("yaml-global-tag-not-uri.yaml")]
    [TestCase("yaml-unsupported-event.yaml")]
    public void LoadText_FuzzCrashInput_UserError(string file)
    {
        var text = File.ReadAllText(FixturePaths.Of(Path.Combine("fuzz-crashes", file)));
        Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText(text, file));
    }
}
