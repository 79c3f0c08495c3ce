using CimSim.Common.Units;

namespace CimSim.Tests.Common;

public class UnitFormatTests
{
    [TestCase(2.5, "2.5 J")]
    [TestCase(0.0123, "12.3 mJ")]
    [TestCase(1.5e-5, "15 uJ")]
    [TestCase(-0.002, "-2 mJ")]
    public void Joules_PicksThePrefixBelowTheValue(double joules, string expected) => Assert.That(UnitFormat.Joules(joules), Is.EqualTo(expected));

    [TestCase(1.0, "1 s")]
    [TestCase(0.0016254, "1.625 ms")]
    [TestCase(4.2e-7, "0.42 us")]
    public void Seconds_PicksThePrefixBelowTheValue(double seconds, string expected) => Assert.That(UnitFormat.Seconds(seconds), Is.EqualTo(expected));
}
