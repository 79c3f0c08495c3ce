using System.Text.Json;
using CimSim.Simulator.Cli;

namespace CimSim.Tests.Functional;

/// <summary>`cimsim accuracy --data FILE --format ...`: external evaluation formats through the whole command.</summary>
public class AccuracyCommandFormatTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private int Accuracy(string data, string format, string output) => CliApp.Run(["accuracy",
        "--hw", Path.Combine(FixturePaths.RepoRoot, "hw-configs", "default.yaml"),
        "--model", Path.Combine(FixturePaths.RepoRoot, "experiments", "halora", "pretrained"),
        "--data", data, "--format", format, "--seeds", "1", "--out", output]);

    [TestCase("auto")]
    [TestCase("llm-adapters")]
    public void Run_LlmAdaptersTestSet_ScoresEveryQuestion(string format)
    {
        var output = Path.Combine(_dir, "out");
        Assert.That(Accuracy(FixturePaths.Of("datasets/llm-adapters/ARC-Easy.json"), format, output), Is.EqualTo(0));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        Assert.That(doc.RootElement.GetProperty("choice_items").GetInt32(), Is.EqualTo(2));
        Assert.That(doc.RootElement.GetProperty("text_items").GetInt32(), Is.EqualTo(0));
    }

    [Test]
    public void Run_FormatDisagreesWithFile_ExitsTwoWithoutOutput()
    {
        var output = Path.Combine(_dir, "out");
        Assert.That(Accuracy(FixturePaths.Of("datasets/llm-adapters/ARC-Easy.json"), "lm-eval", output), Is.EqualTo(2));
        Assert.That(Directory.Exists(output), Is.False);
    }
}
