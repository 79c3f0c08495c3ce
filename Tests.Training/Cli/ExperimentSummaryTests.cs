using CimSim.Training.Cli;

namespace CimSim.Training.Tests.Cli;

public class ExperimentSummaryTests
{
    [Test]
    public void Interval_ThreeValues_IsStudentTHalfWidth()
    {
        // mean 2, sample sd 1, t(0.975, 2 dof) = 4.302653 (statistical tables): half-width 4.302653 / sqrt(3).
        var (mean, half, n) = ExperimentSummary.Interval([1.0, 2.0, 3.0]);
        Assert.That(mean, Is.EqualTo(2.0));
        Assert.That(n, Is.EqualTo(3));
        Assert.That(half, Is.EqualTo(4.302653 / Math.Sqrt(3)).Within(1e-5));
    }

    [Test]
    public void Run_TwoArmsTwoSeeds_WritesMeansAndPairedDifferences()
    {
        var dir = Directory.CreateTempSubdirectory("cimsim-summary").FullName;
        try
        {
            void Report(string name, double ideal, double noisy)
            {
                Directory.CreateDirectory(Path.Combine(dir, name));
                File.WriteAllText(Path.Combine(dir, name, "report.json"),
                    $$"""{"ideal":{"choice_accuracy":{{ideal}}},"levels":[{"sigma":0.05,"choice_accuracy":{"mean":{{noisy}}},"chips":[0,1]}]}""");
            }
            Report("acc-lora-s1", 0.50, 0.40);
            Report("acc-lora-s2", 0.60, 0.50);
            Report("acc-both-s1", 0.50, 0.45);
            Report("acc-both-s2", 0.60, 0.55);
            Assert.That(ExperimentSummary.Run(dir), Is.EqualTo(0));
            var md = File.ReadAllText(Path.Combine(dir, "results.md"));
            // lora at 0.05: 40 and 50 -> mean 45, sd 7.071, t(0.975, 1) = 12.7062: half-width 63.5.
            Assert.That(md, Does.Contain("| lora | 2 | 55.0 ± 63.5 | 45.0 ± 63.5 |"));
            // both - lora, paired: +5 and +5 -> +5.0 ± 0.0.
            Assert.That(md, Does.Contain("| both | 2 | 0.0 ± 0.0 | +5.0 ± 0.0 |"));
            Assert.That(File.Exists(Path.Combine(dir, "accuracy-vs-sigma.png")), Is.True);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Run_RunDeployedInParts_MergesLevelsOfOneSeed()
    {
        var dir = Directory.CreateTempSubdirectory("cimsim-summary").FullName;
        try
        {
            void Report(string name, string json)
            {
                Directory.CreateDirectory(Path.Combine(dir, name));
                File.WriteAllText(Path.Combine(dir, name, "report.json"), json);
            }
            Report("acc-lora-s1@ideal", """{"ideal":{"choice_accuracy":0.9},"levels":[]}""");
            Report("acc-lora-s1@0.02", """{"levels":[{"sigma":0.02,"choice_accuracy":{"mean":0.6},"chips":[0,1]}]}""");
            Report("acc-lora-s1@0.04", """{"levels":[{"sigma":0.04,"choice_accuracy":{"mean":0.3},"chips":[0,1]}]}""");
            Assert.That(ExperimentSummary.Run(dir), Is.EqualTo(0));
            // One seed (not three), its three levels in one row: 90, 60, 30 %.
            Assert.That(File.ReadAllText(Path.Combine(dir, "results.md")), Does.Contain("| lora | 1 | 90.0 | 60.0 | 30.0 |"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
