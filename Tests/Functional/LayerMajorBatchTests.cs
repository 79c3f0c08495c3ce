using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Simulator.Functional;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;

namespace CimSim.Tests.Functional;

/// <summary>
/// Layer-major batching (<see cref="InferenceSession.Forward(IReadOnlyList{InferenceSession}, IReadOnlyList{int[]}, bool, IForwardObserver?)"/>):
/// several sequences through layer l before l + 1 give each sequence the logits it gets alone (issue 19: within 1e-5).
/// </summary>
public class LayerMajorBatchTests
{
    // Sequences of different lengths, one of a single token (a decode step: GEMV alone, GEMM in the batch).
    private static readonly int[][] Sequences = [[1, 17, 42, 200, 5, 99, 3, 250], [7, 64, 12, 130, 8], [33]];
    private static readonly int[] Prefix = [11, 22, 33];

    /// <summary>Weight noise, stuck cells, read noise and (optionally) one input scale per call, so segments must be quantised and drawn on their own.</summary>
    private static HardwareSpec Noisy(bool perTensorInputs)
    {
        var hw = new HardwareSpec();
        var noise = hw.Rram.Noise with { Read = hw.Rram.Noise.Read with { Sigma = 0.02 } };
        var dac = perTensorInputs ? hw.Rram.Dac with { InputQuantization = InputQuantizationGranularity.PerTensor } : hw.Rram.Dac;
        return hw with { Rram = hw.Rram with { Noise = noise, Dac = dac } };
    }

    private static FunctionalModel Build(SafetensorsCheckpoint ck, string dir, ILinearPlacer placer)
    {
        var cfg = Path.Combine(dir, "config.json");
        return FunctionalModel.Build(ModelConfigParser.ParseFile(cfg), new CheckpointWeightSource(ck, cfg), placer, PeftAdapter.Load(FixturePaths.Of("qwen2_f32_lora")));
    }

    private static ILinearPlacer Placer(string kind) => kind switch
    {
        "ideal" => IdealPlacer.Instance,
        "mapped" => MappedIdealPlacer.Instance,
        "statistical" => FunctionalHardware.Placer(Noisy(false), 3, RramPath.Statistical),
        "statistical-per-tensor" => FunctionalHardware.Placer(Noisy(true), 3, RramPath.Statistical),
        "regenerated" => FunctionalHardware.Placer(Noisy(false), 3, RramPath.Statistical, chipCacheBytes: 0),
        "bit-accurate" => FunctionalHardware.Placer(Noisy(true), 3, RramPath.BitAccurate),
        _ => throw new ArgumentException(kind),
    };

    /// <summary>Sessions: the last one continues after a prefix already in its KV cache (Position > 0).</summary>
    private static List<InferenceSession> Sessions(FunctionalModel model, bool streams)
    {
        var sessions = Sequences.Select((s, j) => new InferenceSession(model, 16) { NoiseStream = streams ? 1000UL + (ulong)j : null }).ToList();
        sessions[^1].Forward(Prefix);
        return sessions;
    }

    [TestCase("ideal", true)]
    [TestCase("mapped", true)]
    [TestCase("statistical", true)]
    [TestCase("statistical-per-tensor", true)]
    [TestCase("statistical", false)]
    [TestCase("regenerated", true)]
    [TestCase("regenerated", false)]
    [TestCase("bit-accurate", true)]
    public void Forward_BatchOfSequences_LogitsOfEachAsAlone(string placer, bool noiseStreams)
    {
        var dir = FixturePaths.Of("qwen2_f32");
        using var ck = SafetensorsCheckpoint.Open(dir);
        // Two chips of the same seed: one runs the sequences one at a time (in order), the other as one batch. Without
        // noise streams each layer's call count numbers the draws, and a batch's segments take the counts in order.
        var alone = Sessions(Build(ck, dir, Placer(placer)), noiseStreams);
        var expected = alone.Select((s, j) => s.Forward(Sequences[j])).ToList();
        var batched = Sessions(Build(ck, dir, Placer(placer)), noiseStreams);
        var actual = InferenceSession.Forward(batched, Sequences);
        for (int j = 0; j < Sequences.Length; j++)
        {
            Assert.That(actual[j], Has.Length.EqualTo(expected[j].Length));
            Assert.That(actual[j], Is.EqualTo(expected[j]).Within(1e-5), $"sequence {j}");
            Assert.That(batched[j].Position, Is.EqualTo(alone[j].Position));
        }
        if (placer != "ideal" && placer != "mapped")
            Assert.That(actual[0], Is.Not.EqualTo(actual[1].Take(actual[0].Length)), "chips differ from sequence to sequence, so the check is not vacuous");
    }

    [Test]
    public void Forward_RegeneratedChipBatch_ProgramsEachLayerOncePerBatch()
    {
        var dir = FixturePaths.Of("qwen2_f32");
        using var ck = SafetensorsCheckpoint.Open(dir);
        int Regenerations(bool batch)
        {
            var model = Build(ck, dir, Placer("regenerated"));
            var cache = model.Executors.OfType<RegeneratingRramLinear>().First().Cache;
            long before = cache.Regenerations;
            var sessions = Sequences.Select(_ => new InferenceSession(model, 16)).ToList();
            if (batch) InferenceSession.Forward(sessions, Sequences);
            else for (int j = 0; j < Sequences.Length; j++) sessions[j].Forward(Sequences[j]);
            return (int)(cache.Regenerations - before);
        }
        var (decoder, head) = RegeneratedCounts(Build(ck, dir, Placer("regenerated")));
        Assert.That(decoder, Is.GreaterThan(0));
        // Each slot keeps its last layer: with two or more decoder layers every sequence reprograms them, while the
        // lm_head (a slot of its own) stays programmed from the first sequence on.
        Assert.That(Regenerations(batch: false), Is.EqualTo(Sequences.Length * decoder + head), "one at a time: every sequence programs every decoder layer");
        Assert.That(Regenerations(batch: true), Is.EqualTo(decoder + head), "layer-major: once per batch");
    }

    /// <summary>Regenerated matrices of the decoder layers and of the lm_head (0 or 1); the fixture has two or more decoder layers.</summary>
    private static (int Decoder, int Head) RegeneratedCounts(FunctionalModel model)
    {
        Assert.That(model.Layers, Has.Count.GreaterThanOrEqualTo(2), "the slot test needs a layer to evict the one before it");
        return (model.Projections.Count(p => p.Weights is RegeneratingRramLinear), model.LmHead is RegeneratingRramLinear ? 1 : 0);
    }

    /// <summary>
    /// Several batches layer-major across all of them (<see cref="InferenceSession.Forward(IReadOnlyList{InferenceSession.ForwardBatch}, bool, Action{int, float[][]})"/>):
    /// each batch's logits bit for bit as when it runs alone, results in batch order, and a regenerated chip programs each
    /// layer once for all the batches; an ideal batch runs beside the chip's (two models in lockstep).
    /// </summary>
    [TestCase("regenerated")]
    [TestCase("mapped")]
    [TestCase("bit-accurate")]
    public void Forward_SeveralBatches_EachAsAloneProgrammedOnce(string placer)
    {
        var dir = FixturePaths.Of("qwen2_f32");
        using var ck = SafetensorsCheckpoint.Open(dir);
        int[][][] batches = [[Sequences[0], Sequences[2]], [Sequences[1]], [Sequences[1], Sequences[0]]];
        List<InferenceSession> New(FunctionalModel model, int[][] batch, ulong stream0) =>
            batch.Select((_, j) => new InferenceSession(model, 4, keepKvCache: false) { NoiseStream = stream0 + (ulong)j }).ToList();
        var aloneChip = Build(ck, dir, Placer(placer));
        var aloneIdeal = Build(ck, dir, IdealPlacer.Instance);
        var expected = batches.Select((b, i) => InferenceSession.Forward(New(aloneChip, b, 100UL * (ulong)i), b)).ToList();
        var expectedIdeal = batches.Select(b => InferenceSession.Forward(New(aloneIdeal, b, 0), b)).ToList();

        var chip = Build(ck, dir, Placer(placer));
        var ideal = Build(ck, dir, IdealPlacer.Instance);
        var cache = chip.Executors.OfType<RegeneratingRramLinear>().FirstOrDefault()?.Cache;
        long before = cache?.Regenerations ?? 0;
        var groups = new List<InferenceSession.ForwardBatch>();
        for (int i = 0; i < batches.Length; i++)
        {
            groups.Add(new(New(ideal, batches[i], 0), batches[i]));
            groups.Add(new(New(chip, batches[i], 100UL * (ulong)i), batches[i]));
        }
        var seen = new List<int>();
        InferenceSession.Forward(groups, lastOnly: false, (g, logits) =>
        {
            seen.Add(g);
            var want = g % 2 == 0 ? expectedIdeal[g / 2] : expected[g / 2];
            Assert.That(logits, Has.Length.EqualTo(want.Length));
            for (int j = 0; j < want.Length; j++) Assert.That(logits[j], Is.EqualTo(want[j]), $"batch {g}, sequence {j}");
        });
        Assert.That(seen, Is.EqualTo(Enumerable.Range(0, groups.Count)));
        if (cache is not null)
        {
            var (decoder, head) = RegeneratedCounts(chip);
            Assert.That(cache.Regenerations - before, Is.EqualTo(decoder + head), "each layer programmed once for the three batches");
        }
    }

    [Test]
    public void Forward_SessionWithoutKvCache_OneCallOnly()
    {
        var dir = FixturePaths.Of("qwen2_f32");
        using var ck = SafetensorsCheckpoint.Open(dir);
        var model = Build(ck, dir, IdealPlacer.Instance);
        var session = new InferenceSession(model, 2, keepKvCache: false);
        Assert.That(session.Forward(Sequences[0]), Is.EqualTo(new InferenceSession(model, 2).Forward(Sequences[0])), "growing the shared buffer keeps the logits");
        Assert.Throws<InvalidOperationException>(() => session.Forward([5]));
    }

    [Test]
    public void Forward_LastOnlyBatch_LastRowOfEachSequence()
    {
        var dir = FixturePaths.Of("qwen2_f32");
        using var ck = SafetensorsCheckpoint.Open(dir);
        var model = Build(ck, dir, IdealPlacer.Instance);
        int vocab = model.Spec.VocabSize;
        var full = InferenceSession.Forward(Sequences.Select(_ => new InferenceSession(model)).ToList(), Sequences);
        var last = InferenceSession.Forward(Sequences.Select(_ => new InferenceSession(model)).ToList(), Sequences, lastOnly: true);
        for (int j = 0; j < Sequences.Length; j++)
            Assert.That(last[j], Is.EqualTo(full[j].AsSpan(full[j].Length - vocab).ToArray()).Within(1e-5));
    }

    [Test]
    public void Build_SharedEmbedding_HeldOnceSameLogits()
    {
        var dir = FixturePaths.Of("qwen2_f32");
        using var ck = SafetensorsCheckpoint.Open(dir);
        var cfg = Path.Combine(dir, "config.json");
        var spec = ModelConfigParser.ParseFile(cfg);
        var ideal = FunctionalModel.Build(spec, new CheckpointWeightSource(ck, cfg), MappedIdealPlacer.Instance);
        var own = FunctionalModel.Build(spec, new CheckpointWeightSource(ck, cfg), Placer("regenerated"));
        var shared = FunctionalModel.Build(spec, new CheckpointWeightSource(ck, cfg), Placer("regenerated"), embedding: ideal.Embedding);
        Assert.That(shared.Embedding, Is.SameAs(ideal.Embedding));
        Assert.That(new InferenceSession(shared).Forward(Sequences[0]), Is.EqualTo(new InferenceSession(own).Forward(Sequences[0])));
        Assert.Throws<ArgumentException>(() => FunctionalModel.Build(spec, new CheckpointWeightSource(ck, cfg), IdealPlacer.Instance, embedding: EmbeddingTable.Held(new float[3], 1, 3)));
    }

    [Test]
    public void Forward_SameSessionTwiceInBatch_Refused()
    {
        var dir = FixturePaths.Of("qwen2_f32");
        using var ck = SafetensorsCheckpoint.Open(dir);
        var session = new InferenceSession(Build(ck, dir, IdealPlacer.Instance));
        Assert.Throws<ArgumentException>(() => InferenceSession.Forward([session, session], [[1], [2]]));
    }
}
