using System.CommandLine;
using CimSim.Common.Errors;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Sweeps;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim merge DIR... --out DIR`: combines shard outputs of one sweep, or of one accuracy study, into the unsharded result.</summary>
public sealed class MergeCommand : ICliCommand
{
    public int Order => 41;

    public Command Build()
    {
        var inputs = new Argument<string[]>("DIR")
        {
            Description = "Shard output directories of one sweep (each written by `cimsim sweep --shard i/N --out DIR`) or of one accuracy study (`cimsim accuracy --shard i/N --out DIR`, holding accuracy-shard.json).",
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
            Accuracy shards (directories with accuracy-shard.json) merge into report.json and report.md equal byte for
            byte to those of the unsharded `cimsim accuracy` run; every unit of work must be present.

            Example:
              cimsim merge out/sweep-shard-0 out/sweep-shard-1 out/sweep-shard-2 out/sweep-shard-3 --out out/sweep
              cimsim merge out/acc/shard-0 out/acc/shard-1 --out out/acc/merged
            """)
        {
            inputs, output, allowPartial,
        };
        cmd.SetAction(pr =>
        {
            var dirs = pr.GetValue(inputs)!;
            var accuracy = dirs.Count(AccuracyShards.IsShardDirectory);
            if (accuracy > 0)
            {
                if (accuracy < dirs.Length)
                    throw new UserInputException("merge: mix of accuracy shards and other directories",
                        dirs.Where(d => !AccuracyShards.IsShardDirectory(d)).Select(d => $"'{d}' has no {AccuracyShards.FileName}").ToList());
                if (pr.GetValue(allowPartial)) throw new UserInputException("merge: --allow-partial applies to sweeps only; an accuracy report needs every unit of work");
                var report = AccuracyShards.Merge(dirs, pr.GetValue(output)!);
                Log.Information("merged {Count} accuracy shards into {Out}/report.json, report.md{Plot}", dirs.Length, pr.GetValue(output), report.Levels.Count > 1 ? " and accuracy-vs-sigma.png" : "");
                return 0;
            }
            var summary = SweepMerger.Merge(dirs, pr.GetValue(output)!, pr.GetValue(allowPartial));
            Log.Information("merged {Merged} of {Total} points into {Out}{Missing}", summary.Merged, summary.TotalPoints, pr.GetValue(output),
                summary.MissingIds.Count > 0 ? $" ({summary.MissingIds.Count} missing)" : "");
            return 0;
        });
        return cmd;
    }
}
