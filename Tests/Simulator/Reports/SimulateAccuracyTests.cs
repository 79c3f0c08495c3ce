using System.Text.Json;
using CimSim.Simulator.Cli;

namespace CimSim.Tests.Simulator.Reports;

/// <summary>`cimsim simulate --data`: cost and accuracy of one design in one report.</summary>
public class SimulateAccuracyTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Simulate_WithModelDirectoryAndData_AddsAccuracySectionToBothReports()
    {
        var root = FixturePaths.RepoRoot;
        var data = Path.Combine(_dir, "mc.jsonl");
        File.WriteAllLines(data, File.ReadLines(Path.Combine(root, "experiments", "halora", "data", "test_mc.jsonl")).Take(4));
        var output = Path.Combine(_dir, "out");
        var rc = CliApp.Run(["simulate", "--hw", Path.Combine(root, "hw-configs", "default.yaml"),
            "--model", Path.Combine(root, "experiments", "halora", "pretrained"), "--prompt", "8", "--generate", "4",
            "--data", data, "--seeds", "2", "--sigma", "0.01,0.02", "--out", output]);
        Assert.That(rc, Is.EqualTo(0));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        Assert.That(doc.RootElement.TryGetProperty("cim", out _), Is.True, "the cost section stays");
        Assert.That(doc.RootElement.TryGetProperty("accuracy", out var accuracy), Is.True);
        Assert.That(accuracy.GetRawText(), Does.Contain("0.02"), "both requested noise levels are reported");
        Assert.That(File.ReadAllText(Path.Combine(output, "report.md")), Does.Contain("ccuracy"));
    }

    [Test]
    public void Simulate_DataWithPresetModel_IsAUserErrorWithExitCode2()
    {
        var data = Path.Combine(_dir, "mc.jsonl");
        File.WriteAllText(data, "{\"text\": \"hello\"}\n");
        var rc = CliApp.Run(["simulate", "--hw", Path.Combine(FixturePaths.RepoRoot, "hw-configs", "default.yaml"),
            "--model", "llama-3.2-1b", "--prompt", "8", "--generate", "2", "--data", data, "--out", Path.Combine(_dir, "out")]);
        Assert.That(rc, Is.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(_dir, "out", "report.json")), Is.False, "no half-written output for a user mistake");
    }
}
