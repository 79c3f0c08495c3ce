using CimSim.Common.Errors;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Workloads.Models;

public class WorkloadSpecTests
{
    [Test]
    public void DecodeSteps_GenerateG_IsGMinusOne()
    {
        var w = new WorkloadSpec(1, 512, 512);
        Assert.That((w.DecodeSteps, w.MaxKvLength, w.KvLengthAtDecodeStep(1)), Is.EqualTo((511, 1023, 513)));
    }

    [Test]
    public void Validated_BadFields_ListsEach()
    {
        var ex = Assert.Throws<UserInputException>(() => new WorkloadSpec(0, 0, -1).Validated());
        Assert.That(ex!.Problems, Has.Count.EqualTo(3));
    }
}
