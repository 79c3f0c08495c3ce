using System.CommandLine;
using System.Text.Json;
using CimSim.Training.Cli;

namespace CimSim.Training.Tests.Cli;

/// <summary>One HaLoRA ablation arm through the command line, a few steps on the tiny Llama fixture.</summary>
public class TrainCommandTests
{
    private static string Fixture => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures", "llama_f32");

    [TestCase("off", "0.01", false, true)]
    [TestCase("on", "0", true, false)]
    public void HaLora_NoiseSwitchAndMu_SelectNoiseAndRegulariser(string noise, string mu, bool expectNoise, bool expectReg)
    {
        var dir = Directory.CreateTempSubdirectory("cimsim-train-cli").FullName;
        try
        {
            var data = Path.Combine(dir, "mc.jsonl");
            File.WriteAllLines(data, Enumerable.Range(0, 8).Select(i =>
                $$"""{"question":"{{i}}+1=","choices":["{{i + 1}}","{{i + 2}}","{{i + 3}}","{{i + 4}}"],"answer":0}"""));
            var outDir = Path.Combine(dir, "out");
            string[] args = ["--model", Fixture, "--data", data, "--out", outDir, "--method", "halora", "--noise", noise, "--mu", mu,
                "--sigma", "0.02", "--steps", "3", "--batch-size", "4", "--tokenizer", "byte", "--log-every", "100"];
            var rc = TrainCommand.Build().Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            Assert.That(rc, Is.EqualTo(0));
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "train_summary.json")));
            var options = summary.RootElement.GetProperty("options").GetString()!;
            Assert.That(options.Contains("Gaussian"), Is.EqualTo(expectNoise), options);
            Assert.That(summary.RootElement.GetProperty("final_l_reg").GetDouble() > 0, Is.EqualTo(expectReg));
            Assert.That(File.Exists(Path.Combine(outDir, "adapter_model.safetensors")), Is.True);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void HaLora_NoiseSwitchMisspelt_IsAUserError()
    {
        string[] args = ["--model", Fixture, "--data", "x.jsonl", "--out", "o", "--method", "halora", "--noise", "maybe"];
        var ex = Assert.Throws<CimSim.Common.Errors.UserInputException>(() =>
            TrainCommand.Build().Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
        Assert.That(string.Join(" ", ex!.Problems), Does.Contain("--noise: found 'maybe', expected on or off"));
    }
}
