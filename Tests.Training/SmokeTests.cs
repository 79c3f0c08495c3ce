namespace CimSim.Training.Tests;

public class SmokeTests
{
    [Test]
    public void TrainingAssembly_Loads()
    {
        Assert.That(typeof(SmokeTests).Assembly.GetName().Name, Is.EqualTo("CimSim.Training.Tests"));
    }
}
