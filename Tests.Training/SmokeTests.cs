using static TorchSharp.torch;

namespace CimSim.Training.Tests;

public class SmokeTests
{
    [Test]
    public void TorchOnes_AfterNativeFix_LoadsAndSums()
    {
        using var t = ones(2);
        Assert.That(t.sum().item<float>(), Is.EqualTo(2f));
    }
}
