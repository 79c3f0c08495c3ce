using CimSim.Devices.Config;
using CimSim.Simulator.Cli;
using CimSim.Simulator.Gpu;

namespace CimSim.Tests.Cli;

public class InitCommandTests
{
    [Test]
    public void Run_InitIsaacLikeWithGpu_WritesEditableCopiesThatLoadLikeTheBuiltIns()
    {
        var dir = Path.Combine(FixturePaths.NewScratch(), "my-chip");
        try
        {
            Assert.That(CliApp.Run(["init", dir, "--hw", "isaac-like", "--gpu", "h200"]), Is.Zero);
            // isaac-like includes default.yaml: the copy must carry it too, so that the written file loads on its own.
            Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "default.yaml", "isaac-like.yaml" }));
            Assert.That(HardwareConfigLoader.Load(Path.Combine(dir, "isaac-like.yaml")), Is.EqualTo(HardwareConfigLoader.Load("isaac-like")));
            Assert.That(GpuSpecLoader.Load(Path.Combine(dir, "gpus", "h200.yaml")), Is.EqualTo(GpuSpecLoader.Load("h200")));
            Assert.That(File.ReadAllText(Path.Combine(dir, "default.yaml")), Does.Contain("# REFERENCES"), "comments kept");
            Assert.That(CliApp.Run(["init", dir]), Is.EqualTo(2), "refuses to overwrite without --force");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
        }
    }
}
