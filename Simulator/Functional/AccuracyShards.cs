using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Devices.Config;
using CimSim.Workloads.Datasets;

namespace CimSim.Simulator.Functional;

/// <summary>Partial sums of perplexity (negative log-likelihood, scored tokens) and multiple-choice accuracy over some items.</summary>
public sealed record ScoreSums(double Nll, long Tokens, int Correct, int CorrectNorm, int Questions)
{
    public static readonly ScoreSums Zero = new(0, 0, 0, 0, 0);

    public static ScoreSums operator +(ScoreSums a, ScoreSums b) =>
        new(a.Nll + b.Nll, a.Tokens + b.Tokens, a.Correct + b.Correct, a.CorrectNorm + b.CorrectNorm, a.Questions + b.Questions);

    public double? Perplexity => Tokens > 0 ? Math.Exp(Nll / Tokens) : null;

    public double? Accuracy => Questions > 0 ? (double)Correct / Questions : null;

    public double? AccuracyNorm => Questions > 0 ? (double)CorrectNorm / Questions : null;
}

/// <summary>Sum of y_ideal^2 (signal) and of (y - y_ideal)^2 (error) of one module or decoder layer.</summary>
public sealed record ErrorSum(string Name, double Signal, double Error);

/// <summary>One unit of work: chip (noise level, seed) on one chunk of the data, as partial sums.</summary>
public sealed record AccuracyUnit
{
    public required int Unit { get; init; }
    public required int SigmaIndex { get; init; }
    public required ulong Seed { get; init; }
    public required int Chunk { get; init; }

    /// <summary>The ideal model on the same chunk (the same in every unit of the chunk).</summary>
    public required ScoreSums Ideal { get; init; }

    public required ScoreSums Chip { get; init; }
    public double Kl { get; init; }
    public double Agree { get; init; }
    public long Positions { get; init; }

    /// <summary>Cells of the whole chip instance (the same in every unit of the chip).</summary>
    public long Cells { get; init; }
    public long StuckCells { get; init; }
    public required IReadOnlyList<ErrorSum> Modules { get; init; }
    public required IReadOnlyList<ErrorSum> DecoderLayers { get; init; }
}

/// <summary>What every shard of one accuracy study must agree on (the report's header and the split).</summary>
public sealed record AccuracyShardHeader
{
    public required string Model { get; init; }
    public string? Adapter { get; init; }
    public required string Hardware { get; init; }

    /// <summary>SHA-256 of the hardware spec after every -p override and --sigma (so two shards cannot mix configs).</summary>
    public required string HardwareFingerprint { get; init; }
    public required string DevicePath { get; init; }
    public required string Data { get; init; }

    /// <summary>SHA-256 of the parsed items (texts, questions, choices, answers).</summary>
    public required string DataFingerprint { get; init; }
    public required string Tokenizer { get; init; }
    public int TextItems { get; init; }
    public int ChoiceItems { get; init; }

    /// <summary>Multiple-choice accuracy of uniform guessing (mean of 1 / choices over the questions); null without questions.</summary>
    public double? ChanceAccuracy { get; init; }
    public int MaxTokens { get; init; }
    public required IReadOnlyList<ulong> Seeds { get; init; }
    public required IReadOnlyList<double> Sigmas { get; init; }
    public int ChunkItems { get; init; }

    /// <summary>Tokens per layer-major batch (the order of floating-point sums depends on it, so shards must agree).</summary>
    public int BatchTokens { get; init; }
    public int Chunks { get; init; }
    public int ShardCount { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
    public string? AdcNote { get; init; }

    /// <summary>Units of work: noise levels x seeds x chunks, numbered (sigma, seed, chunk) with the chunk innermost.</summary>
    public int Units => Sigmas.Count * Seeds.Count * Chunks;
}

/// <summary>What `cimsim accuracy --shard i/N` writes (accuracy-shard.json): the header and the shard's units.</summary>
public sealed record AccuracyShard
{
    public string Format { get; init; } = AccuracyShards.FormatName;
    public int Version { get; init; } = 1;
    public required AccuracyShardHeader Header { get; init; }
    public int ShardIndex { get; init; }

    /// <summary>Where the plan put each matrix (null when this shard built no chip).</summary>
    public string? Plan { get; init; }
    public required IReadOnlyList<AccuracyUnit> Units { get; init; }
}

/// <summary>
/// Splitting an accuracy study over processes and putting it back together. The units of work are noise level x
/// chip seed x chunk of data items; shard i of N takes the contiguous block [floor(U i / N), floor(U (i+1) / N))
/// of the U units (blocks, so a shard programs as few chip instances as possible). Every unit holds partial sums
/// computed only from its own chunk, and <see cref="Assemble"/> adds them in unit order whatever shard they come
/// from, so the report of N shards equals the unsharded report byte for byte.
/// </summary>
public static class AccuracyShards
{
    public const string FormatName = "cimsim-accuracy-shard";

    public const string FileName = "accuracy-shard.json";

    private static readonly JsonSerializerOptions Json = new(AccuracyReportWriter.JsonOptions);

    /// <summary>The units [first, end) of <paramref name="shard"/> (index, count) out of <paramref name="units"/>.</summary>
    public static (int First, int End) Range(int units, (int Index, int Count) shard) =>
        ((int)((long)units * shard.Index / shard.Count), (int)((long)units * (shard.Index + 1) / shard.Count));

    /// <summary>Sums of units (in the order given): scores of the ideal model and the chip, KL and top-1 agreement.</summary>
    public static (ScoreSums Ideal, ScoreSums Chip, double Kl, double Top1) Combine(IReadOnlyList<AccuracyUnit> units)
    {
        ScoreSums ideal = ScoreSums.Zero, chip = ScoreSums.Zero;
        double kl = 0, agree = 0;
        long positions = 0;
        foreach (var u in units)
        {
            ideal += u.Ideal;
            chip += u.Chip;
            kl += u.Kl;
            agree += u.Agree;
            positions += u.Positions;
        }
        return (ideal, chip, positions > 0 ? kl / positions : 0, positions > 0 ? agree / positions : 0);
    }

    /// <summary>The report of the whole study from all its shards (any order; each unit must be present).</summary>
    public static AccuracyReport Assemble(IReadOnlyList<AccuracyShard> shards, IReadOnlyList<string>? names = null)
    {
        if (shards.Count == 0) throw new UserInputException("merge: no accuracy shards given");
        string Name(int i) => names is null ? $"shard {shards[i].ShardIndex}" : names[i];
        var header = shards[0].Header;
        var headerJson = JsonSerializer.Serialize(header, Json);
        var problems = new List<string>();
        for (int i = 1; i < shards.Count; i++)
            if (JsonSerializer.Serialize(shards[i].Header, Json) != headerJson)
                problems.Add($"'{Name(i)}' is a shard of a different study from '{Name(0)}' ({Differences(header, shards[i].Header)})");
        if (problems.Count > 0) throw new UserInputException("merge: the directories do not hold shards of one accuracy study", problems);

        var byUnit = new AccuracyUnit?[header.Units];
        for (int i = 0; i < shards.Count; i++)
            foreach (var u in shards[i].Units)
            {
                if ((uint)u.Unit >= (uint)byUnit.Length) throw new UserInputException($"merge: {Name(i)} holds unit {u.Unit}, outside 0..{byUnit.Length - 1}");
                byUnit[u.Unit] ??= u;
            }
        var missing = Enumerable.Range(0, byUnit.Length).Where(u => byUnit[u] is null).ToList();
        if (missing.Count > 0)
        {
            var shardsMissing = missing.Select(u => Enumerable.Range(0, header.ShardCount).First(i => Range(header.Units, (i, header.ShardCount)).End > u)).Distinct();
            throw new UserInputException($"merge: {missing.Count} of {header.Units} units of work have no result; run shard(s) {string.Join(", ", shardsMissing.Select(i => $"{i}/{header.ShardCount}"))}");
        }
        var units = byUnit.Select(u => u!).ToList();

        var idealScores = Combine(units.Take(header.Chunks).ToList()).Ideal;
        var levels = new List<NoiseLevelResult>();
        for (int si = 0; si < header.Sigmas.Count; si++)
        {
            var chips = new List<ChipMetrics>();
            for (int ci = 0; ci < header.Seeds.Count; ci++)
            {
                var chipUnits = units.Skip((si * header.Seeds.Count + ci) * header.Chunks).Take(header.Chunks).ToList();
                var c = Combine(chipUnits);
                chips.Add(new ChipMetrics
                {
                    Seed = header.Seeds[ci],
                    Perplexity = c.Chip.Perplexity,
                    ChoiceAccuracy = c.Chip.Accuracy,
                    ChoiceAccuracyNorm = c.Chip.AccuracyNorm,
                    KlDivergence = c.Kl,
                    Top1Agreement = c.Top1,
                    Cells = chipUnits[0].Cells,
                    StuckCells = chipUnits[0].StuckCells,
                    Modules = ErrorAccumulator.Results(chipUnits.Select(u => u.Modules)),
                    DecoderLayers = ErrorAccumulator.Results(chipUnits.Select(u => u.DecoderLayers)),
                });
            }
            levels.Add(Summarise(header.Sigmas[si], chips));
        }
        var plan = shards.Select(s => s.Plan).FirstOrDefault(p => p is not null);
        var notes = header.Notes.ToList();
        notes.Add((plan ?? "W0 on RRAM; lm_head digital") + "; embeddings, norms, biases, LoRA and attention products exact (digital / SRAM CIM); SRAM and digital matrices exact.");
        if (header.AdcNote is not null) notes.Add(header.AdcNote);
        return new AccuracyReport
        {
            Model = header.Model,
            Adapter = header.Adapter,
            Hardware = header.Hardware,
            DevicePath = header.DevicePath,
            Data = header.Data,
            Tokenizer = header.Tokenizer,
            TextItems = header.TextItems,
            ChoiceItems = header.ChoiceItems,
            ChanceAccuracy = header.ChanceAccuracy,
            MaxTokens = header.MaxTokens,
            Seeds = header.Seeds,
            Ideal = new IdealMetrics(idealScores.Perplexity, idealScores.Accuracy, idealScores.AccuracyNorm),
            Levels = levels,
            Notes = notes,
        };
    }

    /// <summary>Means and spreads over the chips of one noise level.</summary>
    private static NoiseLevelResult Summarise(double sigma, List<ChipMetrics> chips) => new()
    {
        Sigma = sigma,
        Chips = chips,
        Perplexity = MetricSummary.Of(chips.Select(c => c.Perplexity)),
        ChoiceAccuracy = MetricSummary.Of(chips.Select(c => c.ChoiceAccuracy)),
        ChoiceAccuracyNorm = MetricSummary.Of(chips.Select(c => c.ChoiceAccuracyNorm)),
        KlDivergence = MetricSummary.Of(chips.Select(c => (double?)c.KlDivergence)),
        Top1Agreement = MetricSummary.Of(chips.Select(c => (double?)c.Top1Agreement)),
        Modules = ErrorAccumulator.Mean(chips.Select(c => c.Modules)),
        DecoderLayers = ErrorAccumulator.Mean(chips.Select(c => c.DecoderLayers)),
    };

    private static string Differences(AccuracyShardHeader a, AccuracyShardHeader b)
    {
        var ja = JsonSerializer.SerializeToElement(a, Json);
        var jb = JsonSerializer.SerializeToElement(b, Json);
        var keys = ja.EnumerateObject().Where(p => !jb.TryGetProperty(p.Name, out var q) || q.GetRawText() != p.Value.GetRawText()).Select(p => p.Name).ToList();
        return "differs in " + string.Join(", ", keys);
    }

    public static string Fingerprint(HardwareSpec hw) => Sha256(JsonSerializer.Serialize(hw, Json));

    public static string Fingerprint(IReadOnlyList<EvalItem> items)
    {
        var sb = new StringBuilder();
        foreach (var item in items)
        {
            switch (item)
            {
                case TextItem t: sb.Append("text\0").Append(t.Text); break;
                case ChoiceItem c:
                    sb.Append("choice\0").Append(c.Question).Append('\0').Append(c.Answer);
                    for (int k = 0; k < c.Choices.Count; k++) sb.Append('\0').Append(c.Continuation(k));
                    break;
                default: sb.Append(item.GetType().Name); break;
            }
            sb.Append('\u0001');
        }
        return Sha256(sb.ToString());
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static void Write(AccuracyShard shard, string directory)
    {
        Directory.CreateDirectory(directory);
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), NonFiniteResultException.Serialize(shard, Json, "the accuracy shard") + "\n");
    }

    /// <summary>True when <paramref name="directory"/> holds an accuracy shard (rather than a sweep).</summary>
    public static bool IsShardDirectory(string directory) => File.Exists(Path.Combine(directory, FileName));

    public static AccuracyShard Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        AccuracyShard? shard;
        try
        {
            shard = JsonSerializer.Deserialize<AccuracyShard>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{path}: not a readable accuracy shard ({e.Message})");
        }
        if (shard is null || shard.Format != FormatName) throw new UserInputException($"{path}: format is not '{FormatName}'");
        if (shard.Version != 1) throw new UserInputException($"{path}: version {shard.Version} is not supported (expected 1)");
        return shard;
    }

    /// <summary>`cimsim merge` of accuracy shard directories: writes report.json, report.md (and the plot) to <paramref name="outDirectory"/>.</summary>
    public static AccuracyReport Merge(IReadOnlyList<string> inputs, string outDirectory)
    {
        var report = Assemble(inputs.Select(Read).ToList(), inputs);
        AccuracyReportWriter.Write(report, outDirectory);
        return report;
    }
}
