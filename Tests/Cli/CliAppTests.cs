using CimSim.Simulator.Cli;

namespace CimSim.Tests.Cli;

public class CliAppTests
{
    [Test]
    public void BuildRoot_RegistersCommandsWithUniqueNames()
    {
        var root = CliApp.BuildRoot();
        var names = root.Subcommands.Select(c => c.Name).ToList();
        Assert.That(names, Is.Unique);
    }
}
