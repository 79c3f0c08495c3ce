using System.CommandLine;
using System.Globalization;
using CimSim.Common.IO;
using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Sweeps;
using CimSim.Workloads.Datasets;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim accuracy`: what the RRAM devices cost a model in accuracy, over chip instances and noise levels.</summary>
public sealed class AccuracyCommand : ICliCommand
{
    public int Order => 51;

    public Command Build()
    {
        var f = new FunctionalOptions();
        var model = new Option<string>("--model") { Description = "Hugging Face model directory (config.json + safetensors; tokenizer.json if any).", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter directory; default: none." };
        var data = new Option<string>("--data") { Description = "Evaluation data: JSONL {\"text\"} lines (perplexity) and/or {\"question\",\"choices\",\"answer\"} lines (multiple choice), an LLM-Adapters test.json, or lm-evaluation-harness samples (docs/workloads.md).", Required = true };
        var format = new Option<string>("--format") { Description = "Data format: auto, jsonl, llm-adapters or lm-eval.", DefaultValueFactory = _ => "auto" };
        var seeds = new Option<int>("--seeds") { Description = "Chip instances per noise level.", DefaultValueFactory = _ => 5 };
        var firstSeed = new Option<ulong>("--first-seed") { Description = "Seed of the first chip instance.", DefaultValueFactory = _ => 0UL };
        var sigma = new Option<string?>("--sigma") { Description = "Comma-separated values of rram.noise.weight_noise.sigma (noise relative to max|W| per tile), e.g. 0.005,0.01,0.02; default: the config's value." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Longest sequence scored.", DefaultValueFactory = _ => 256 };
        var output = new Option<string>("--out", "-o") { Description = "Directory for report.json, report.md and accuracy-vs-sigma.png (with --shard: accuracy-shard.json).", Required = true };
        var shard = new Option<string?>("--shard") { Description = "Run only shard i/N of the units of work (noise levels x seeds x chunks of items) and write accuracy-shard.json; `cimsim merge` of all N gives the unsharded report. In Slurm: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT (docs/slurm/accuracy.sbatch)." };
        var chipCache = new Option<double?>("--chip-cache-gb") { Description = "Regenerate each chip instance's RRAM layers from its seed when used, keeping at most this many GB programmed (0: none); default: program each chip once and hold it. Same results; for models whose chip does not fit in memory. Layers whose ADC needs calibration are always held." };
        var chunkItems = new Option<int>("--chunk-items") { Description = "Data items per unit of work (shards split noise levels x seeds x chunks; every shard of a study must use the same value). A chunk's batches run layer-major together, so a regenerated chip (--chip-cache-gb 0) programs each layer once per chunk: more items per chunk, fewer programmings.", DefaultValueFactory = _ => 16 };
        var batchTokens = new Option<int>("--batch-tokens") { Description = "Tokens per layer-major batch: a chunk's sequences go through each decoder layer together, so a regenerated layer (--chip-cache-gb) is programmed once per batch; memory grows with it (logits: tokens x vocab x 4 B). Shards of a study must use the same value.", DefaultValueFactory = _ => 2048 };
        var cmd = new Command("accuracy", """
            Measure what the RRAM devices cost a model: perplexity, multiple-choice accuracy (log-likelihood of each
            choice, as lm-evaluation-harness), KL divergence and top-1 agreement against ideal devices, and the output
            SNR of every module, over N chip instances (seeds) at each noise level.

            Example:
              cimsim accuracy --hw hw-configs/default.yaml --model models/llama --adapter adapters/halora --data eval.jsonl --seeds 5 --sigma 0.005,0.01,0.02 --out out/accuracy
              cimsim accuracy --model models/llama --data eval.jsonl -p rram.adc.ideal=false -p rram.adc.range.full_scale=calibrated -o out/adc8
              cimsim accuracy --model models/llama --data eval.jsonl --seeds 5 --shard 3/8 -o out/acc/shard-3   # then: cimsim merge out/acc/shard-* -o out/acc/merged
            """)
        {
            model, adapter, data, format, seeds, firstSeed, sigma, maxTokens, output, shard, chunkItems, chipCache, batchTokens,
        };
        f.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            OutputLocation.CheckDirectory(pr.GetValue(output)!, "--out");
            var spec = f.LoadHardware(pr);
            var options = new AccuracyOptions
            {
                ModelDirectory = pr.GetValue(model)!,
                AdapterDirectory = pr.GetValue(adapter),
                Hardware = spec,
                HardwareName = f.HardwareName(pr),
                Items = DatasetReader.Load(pr.GetValue(data)!, new DatasetOptions(DatasetOptions.ParseFormat(pr.GetValue(format)!))).Items,
                DataName = pr.GetValue(data)!,
                Seeds = pr.GetValue(seeds),
                FirstSeed = pr.GetValue(firstSeed),
                Sigmas = ParseSigmas(pr.GetValue(sigma)),
                Path = f.Path(pr),
                MaxTokens = pr.GetValue(maxTokens),
                ChunkItems = pr.GetValue(chunkItems),
                BatchTokens = pr.GetValue(batchTokens),
                ChipCacheBytes = pr.GetValue(chipCache) is { } gb
                    ? gb >= 0 && gb <= 1e6 ? (long)(gb * 1e9) : throw new UserInputException($"--chip-cache-gb {gb}: expected a size in GB from 0 to 1e6")
                    : null,
            };
            if (pr.GetValue(shard) is { } shardText)
            {
                var part = ShardSpec.Parse(shardText);
                var result = AccuracyRunner.RunShard(options with { Shard = (part.Index, part.Count) });
                AccuracyShards.Write(result, pr.GetValue(output)!);
                Log.Information("wrote {Dir}/{File}: {Units} of {Total} units of work (shard {Shard})", pr.GetValue(output), AccuracyShards.FileName,
                    result.Units.Count, result.Header.Units, part);
                return 0;
            }
            var report = AccuracyRunner.Run(options);
            AccuracyReportWriter.Write(report, pr.GetValue(output)!);
            Log.Information("wrote {Dir}/report.json, report.md{Plot}", pr.GetValue(output), report.Levels.Count > 1 ? " and accuracy-vs-sigma.png" : "");
            return 0;
        });
        return cmd;
    }

    public static IReadOnlyList<double>? ParseSigmas(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var result = new List<double>();
        var problems = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && v <= 10) result.Add(v);
            else problems.Add($"--sigma entry '{part}': expected a number in [0, 10]");
        }
        if (problems.Count > 0) throw new UserInputException("--sigma: invalid noise levels", problems);
        return result;
    }
}
