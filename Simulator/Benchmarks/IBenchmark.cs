namespace CimSim.Simulator.Benchmarks;

/// <summary>
/// One `cimsim bench NAME` benchmark. Discovered by reflection like commands. Benchmarks print their
/// measurements (and the raw bound measured in the same run, as a ratio) and return an exit code; they are
/// never run as timed unit tests.
/// </summary>
public interface IBenchmark
{
    /// <summary>Name after `cimsim bench`, e.g. "devices".</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Runs the benchmark; `quick` shrinks sizes for a smoke run.</summary>
    int Run(bool quick, TextWriter output);

    /// <summary>True when the benchmark has a whole-model variant (`--full`).</summary>
    bool HasFull => false;

    /// <summary>The whole-model variant.</summary>
    int RunFull(TextWriter output) => Run(false, output);
}
