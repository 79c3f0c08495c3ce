using CimSim.Common.Cli;
using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Hardening;

/// <summary>Issue 14, defect 9: typed options failed with .NET type names and exit 1; typos, includes and echoes.</summary>
[NonParallelizable]
public class CliErrorTests
{
    [TestCase("--prompt", "1e9", "a whole number")]
    [TestCase("--batch", "many", "a whole number")]
    public void Simulate_NonIntegerFlag_Exit2InWordsWithoutTypeNames(string flag, string value, string expected)
    {
        var (code, _, err) = InProcessCli.Run("simulate", flag, value);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(err, Does.Contain($"{flag}: found '{value}'; expected {expected}"));
            Assert.That(err, Does.Not.Contain("System."));
        });
    }

    [Test]
    public void NoiseProfile_NegativeSeed_Exit2InWords()
    {
        var (code, _, err) = InProcessCli.Run("noise-profile", "--hw", "x.yaml", "--model", "m", "--out", "o.json", "--seed", "-1");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--seed").And.Not.Contain("System.UInt64"));
    }

    [TestCase("NaN")]
    [TestCase("Infinity")]
    public void Infer_NonFiniteSigma_Exit2(string value)
    {
        var (code, _, err) = InProcessCli.Run("infer", "--model", "m", "--ideal", "--tokens", "1", "--out", "o.json", "--sigma", value);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--sigma: found '" + value + "'; expected a finite number"));
    }

    [Test]
    public void Simulate_NegativePromptFlag_Exit2()
    {
        var (code, _, err) = InProcessCli.Run("simulate", "--prompt", "-5");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--prompt: found '-5'; expected a whole number >= 0"));
    }

    [Test]
    public void Describe_SystemCommandLineTypeMessage_RewrittenInWords()
    {
        var text = CliRunner.Describe("Cannot parse argument '1e9' for option '--prompt' as expected type 'System.Int32'.");
        Assert.That(text, Is.EqualTo($"--prompt: found '1e9'; expected a whole number from 0 to {int.MaxValue}"));
    }

    [Test]
    public void LoadText_MistypedPreset_SuggestsTheNearestPreset()
    {
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText("preset: isaac\n", "p.yaml"));
        Assert.That(ex!.Message, Does.Contain("did you mean 'isaac-32nm'?"));
    }

    [Test]
    public void Resolve_MistypedModelPreset_SuggestsTheNearestPreset()
    {
        var ex = Assert.Throws<UserInputException>(() => ModelCatalog.Resolve("llama-3.2-1"));
        Assert.That(ex!.Message, Does.Contain("did you mean 'llama-3.2-1b'?"));
    }

    [Test]
    public void LoadText_IncludeOfADirectory_SaysItIsADirectory()
    {
        var dir = FixturePaths.NewScratch();
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText("include: sub\n", "i.yaml", baseDirectory: dir));
            Assert.That(ex!.Message, Does.Contain("is a directory").And.Not.Contain("does not exist"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void LoadText_IncludeOfAPasswordFile_ShortExcerptsAndAtMostTwentyProblems()
    {
        var dir = FixturePaths.NewScratch();
        try
        {
            var secret = "s3cr3t-" + new string('p', 60);
            var lines = Enumerable.Range(0, 40).Select(i => $"user{i}:x:{i}:{i}:{secret}:/home/user{i}:/bin/sh");
            File.WriteAllLines(Path.Combine(dir, "passwd"), lines);
            var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText("include: passwd\n", "i.yaml", baseDirectory: dir));
            Assert.That(ex!.Message, Does.Not.Contain(secret), "a whole line of the included file is never echoed");
            File.WriteAllLines(Path.Combine(dir, "env"), Enumerable.Range(0, 40).Select(i => $"KEY_{i}: {secret}"));
            ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.LoadText("include: env\n", "i.yaml", baseDirectory: dir));
            Assert.Multiple(() =>
            {
                Assert.That(ex!.Problems, Has.Count.EqualTo(HardwareConfigLoader.MaxProblemsShown + 1));
                Assert.That(ex.Problems[^1], Does.Contain("and 20 more problems"));
                Assert.That(ex.Message, Does.Not.Contain(secret));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
