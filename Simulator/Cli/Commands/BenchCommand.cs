using System.CommandLine;
using CimSim.Simulator.Benchmarks;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim bench NAME`: runs one of the registered <see cref="IBenchmark"/>s.</summary>
public sealed class BenchCommand : ICliCommand
{
    public int Order => 90;

    public Command Build()
    {
        var cmd = new Command("bench", "Run a benchmark and print its measurements beside the raw bound measured in the same run.\n"
            + "Example: cimsim bench simulate   (or: cimsim bench devices --quick)");
        var quick = new Option<bool>("--quick") { Description = "Smaller sizes, for a smoke run.", DefaultValueFactory = _ => false };
        var benches = typeof(BenchCommand).Assembly.GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
            .OrderBy(b => b.Name, StringComparer.Ordinal);
        foreach (var b in benches)
        {
            var sub = new Command(b.Name, b.Description + "\nExample: cimsim bench " + b.Name) { quick };
            var full = new Option<bool>("--full") { Description = "Whole models: " + b.Name + "'s full variant (docs say what it measures).", DefaultValueFactory = _ => false };
            if (b.HasFull) sub.Options.Add(full);
            sub.SetAction(pr => b.HasFull && pr.GetValue(full) ? b.RunFull(Console.Out) : b.Run(pr.GetValue(quick), Console.Out));
            cmd.Subcommands.Add(sub);
        }
        return cmd;
    }
}
