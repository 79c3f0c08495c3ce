using System.CommandLine;

namespace CimSim.Simulator.Cli;

/// <summary>
/// One `cimsim` sub-command. Implementations are discovered by reflection (one file per command, no central
/// switch), ordered by <see cref="Order"/> in `--help`.
/// </summary>
public interface ICliCommand
{
    /// <summary>Position in the help listing.</summary>
    int Order { get; }

    /// <summary>Builds the System.CommandLine command with its options, defaults, description and example.</summary>
    Command Build();
}
