using System.CommandLine;
using CimSim.Simulator.Sweeps;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim merge DIR... --out DIR`: combines shard outputs of one sweep into the unsharded result.</summary>
public sealed class MergeCommand : ICliCommand
{
    public int Order => 41;

    public Command Build()
    {
        var inputs = new Argument<string[]>("DIR")
        {
            Description = "Shard output directories of one sweep (each written by `cimsim sweep --shard i/N --out DIR`).",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--out", "-o") { Description = "Directory to write the merged sweep to (may be one of the inputs).", Required = true };
        var allowPartial = new Option<bool>("--allow-partial")
        {
            Description = "Merge even when some points have no result in any input (default: false, a missing point is an error).",
            DefaultValueFactory = _ => false,
        };
        var cmd = new Command("merge", """
            Merge the shard directories of one sweep into one directory whose results.csv, results.jsonl and points/
            equal those of the unsharded run. All inputs must hold the same sweep (same sweep.json fingerprint).

            Example:
              cimsim merge out/sweep-shard-0 out/sweep-shard-1 out/sweep-shard-2 out/sweep-shard-3 --out out/sweep
            """)
        {
            inputs, output, allowPartial,
        };
        cmd.SetAction(pr =>
        {
            var summary = SweepMerger.Merge(pr.GetValue(inputs)!, pr.GetValue(output)!, pr.GetValue(allowPartial));
            Log.Information("merged {Merged} of {Total} points into {Out}{Missing}", summary.Merged, summary.TotalPoints, pr.GetValue(output),
                summary.MissingIds.Count > 0 ? $" ({summary.MissingIds.Count} missing)" : "");
            return 0;
        });
        return cmd;
    }
}
