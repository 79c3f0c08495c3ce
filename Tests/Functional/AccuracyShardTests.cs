using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Simulator.Functional;
using CimSim.Workloads.Datasets;

namespace CimSim.Tests.Functional;

/// <summary>`accuracy --shard i/N` + `merge`: the units of work put back together give the unsharded report.</summary>
public class AccuracyShardTests
{
    private static readonly EvalItem[] Items =
    [
        new TextItem(1, "Shards of one study must merge into the report of the whole."),
        new ChoiceItem(2, "1+1=", ["2", "3"], 0),
        new TextItem(3, "abc def ghi"),
        new ChoiceItem(4, "The sky is", ["blue", "green", "loud"], 0),
        new ChoiceItem(5, "Water is", ["wet", "dry"], 0),
    ];

    /// <summary>Weight noise plus read noise (drawn per forward call), so the per-sequence noise streams matter.</summary>
    private static AccuracyOptions Options(int chunkItems = 2)
    {
        var hw = new HardwareSpec();
        hw = hw with { Rram = hw.Rram with { Noise = hw.Rram.Noise with { Read = hw.Rram.Noise.Read with { Sigma = 0.02 } } } };
        return new AccuracyOptions
        {
            ModelDirectory = FixturePaths.Of("llama_f32"),
            Hardware = hw,
            HardwareName = "default spec + read noise",
            Items = Items,
            DataName = "inline",
            Seeds = 2,
            Sigmas = [0.01, 0.04],
            ChunkItems = chunkItems,
        };
    }

    [Test]
    public void RunShard_ThreeShardsMergedThroughFiles_ByteIdenticalToUnshardedReport()
    {
        var unsharded = AccuracyReportWriter.ToJson(AccuracyRunner.Run(Options()));
        var root = Directory.CreateTempSubdirectory("cimsim-accshard-").FullName;
        try
        {
            // 2 sigmas x 2 seeds x 3 chunks = 12 units; 3 shards of 4, and the inputs given out of order.
            var dirs = new List<string>();
            foreach (var i in new[] { 2, 0, 1 })
            {
                var shard = AccuracyRunner.RunShard(Options() with { Shard = (i, 3) });
                Assert.That(shard.Units, Has.Count.EqualTo(4), $"shard {i}");
                var dir = Path.Combine(root, "shard-" + i);
                AccuracyShards.Write(shard, dir);
                dirs.Add(dir);
            }
            var merged = AccuracyShards.Merge(dirs, Path.Combine(root, "merged"));
            Assert.That(AccuracyReportWriter.ToJson(merged), Is.EqualTo(unsharded));
            Assert.That(File.ReadAllText(Path.Combine(root, "merged", "report.json")), Is.EqualTo(unsharded));
            Assert.That(merged.Levels, Has.Count.EqualTo(2));
            Assert.That(merged.Levels[0].Chips, Has.Count.EqualTo(2));
            Assert.That(merged.Levels[1].KlDivergence.Mean!.Value, Is.GreaterThan(merged.Levels[0].KlDivergence.Mean!.Value), "more noise, more KL");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Test]
    public void Run_ChunkSize_ChangesOnlyTheSummationOrder()
    {
        // One item per chunk vs all items in one chunk (each sequence its own layer-major batch in both, so the products
        // are the same): counts are equal exactly, sums within rounding.
        var fine = AccuracyRunner.Run(Options(chunkItems: 1) with { BatchTokens = 1 });
        var whole = AccuracyRunner.Run(Options(chunkItems: 100) with { BatchTokens = 1 });
        AssertSameWithin(fine, whole, 1e-9);
    }

    [Test]
    public void Run_LayerMajorBatches_SameResultsAsOneSequenceAtATime()
    {
        // All of a chunk's sequences through each layer together vs one at a time: the chip products differ only in
        // GEMM rounding (row blocks of a larger GEMM), so the results agree to float precision and the counts exactly.
        var alone = AccuracyRunner.Run(Options(chunkItems: 100) with { BatchTokens = 1 });
        var batched = AccuracyRunner.Run(Options(chunkItems: 100) with { BatchTokens = 100_000 });
        AssertSameWithin(alone, batched, 1e-3);
        Assert.Throws<UserInputException>(() => AccuracyRunner.Run(Options() with { BatchTokens = 0 }));
    }

    [Test]
    public void Run_IdealRecomputedInLockstep_ByteIdenticalToKeptIdeal()
    {
        // A regenerated chip, several batches per chunk run layer-major together: the ideal reference either kept from
        // the first chip (the whole study fits the cache) or recomputed beside every chip's batches, each layer's
        // residual stream compared as it comes and dropped; the report is the same byte for byte.
        var o = Options(chunkItems: 3) with { BatchTokens = 12, ChipCacheBytes = 0 };
        var kept = AccuracyReportWriter.ToJson(AccuracyRunner.Run(o));
        var recomputed = AccuracyReportWriter.ToJson(AccuracyRunner.Run(o with { IdealCacheFloats = 0 }));
        // The one difference is the note saying so.
        var note = System.Text.RegularExpressions.Regex.Match(recomputed, "\n *\"ideal results \\(\\d+ floats\\) exceed the cache budget: recomputed for every chip\",");
        Assert.That(note.Success, Is.True, "the report notes the recomputed reference");
        Assert.That(recomputed.Remove(note.Index, note.Length), Is.EqualTo(kept));
        Assert.That(kept, Does.Contain("model.layers.1"), "the per-layer comparison is in the report");
    }

    private static void AssertSameWithin(AccuracyReport fine, AccuracyReport whole, double percent)
    {
        Assert.That(fine.Ideal.ChoiceAccuracy, Is.EqualTo(whole.Ideal.ChoiceAccuracy));
        Assert.That(fine.Ideal.Perplexity!.Value, Is.EqualTo(whole.Ideal.Perplexity!.Value).Within(percent).Percent);
        for (int l = 0; l < fine.Levels.Count; l++)
            for (int c = 0; c < fine.Levels[l].Chips.Count; c++)
            {
                var a = fine.Levels[l].Chips[c];
                var b = whole.Levels[l].Chips[c];
                Assert.That(a.ChoiceAccuracy, Is.EqualTo(b.ChoiceAccuracy));
                Assert.That(a.Top1Agreement, Is.EqualTo(b.Top1Agreement));
                Assert.That(a.Perplexity!.Value, Is.EqualTo(b.Perplexity!.Value).Within(percent).Percent);
                Assert.That(a.KlDivergence, Is.EqualTo(b.KlDivergence).Within(percent).Percent);
                Assert.That(a.Modules.Select(m => m.RelativeError), Is.EqualTo(b.Modules.Select(m => m.RelativeError)).Within(percent).Percent);
            }
    }

    [Test]
    public void Assemble_MissingShard_NamesTheShardToRun()
    {
        var shards = new[] { 0, 2 }.Select(i => AccuracyRunner.RunShard(Options(chunkItems: 5) with { Sigmas = [0.01], Shard = (i, 3) })).ToList();
        var e = Assert.Throws<UserInputException>(() => AccuracyShards.Assemble(shards))!;
        Assert.That(e.Message, Does.Contain("run shard(s) 1/3"));
    }

    [Test]
    public void Assemble_ShardOfAnotherStudy_NamesTheDifference()
    {
        var a = AccuracyRunner.RunShard(Options(chunkItems: 5) with { Sigmas = [0.01], Shard = (0, 2) });
        var b = AccuracyRunner.RunShard(Options(chunkItems: 5) with { Sigmas = [0.01], Shard = (1, 2), MaxTokens = 8 });
        var e = Assert.Throws<UserInputException>(() => AccuracyShards.Assemble([a, b]))!;
        Assert.That(e.ToString(), Does.Contain("max_tokens"));
    }
}
