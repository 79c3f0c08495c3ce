namespace CimSim.Training.Tests;

/// <summary>One torch thread: the tests use tiny tensors, and OpenMP spinning on a shared two-core machine costs far more than it gains.</summary>
[SetUpFixture]
public class TestSetup
{
    [OneTimeSetUp]
    public void OneThread() => TorchSharp.torch.set_num_threads(1);
}
