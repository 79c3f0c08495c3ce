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
        var dirModel = Build(ck, dir, Placer("regenerated"));
        int layers = dirModel.Executors.OfType<RegeneratingRramLinear>().Count();
        Assert.That(layers, Is.GreaterThan(0));
        Assert.That(Regenerations(batch: false), Is.EqualTo(Sequences.Length * layers), "one at a time: every sequence programs every layer");
        Assert.That(Regenerations(batch: true), Is.EqualTo(layers), "layer-major: once per batch");
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
        Assert.Throws<ArgumentException>(() => FunctionalModel.Build(spec, new CheckpointWeightSource(ck, cfg), IdealPlacer.Instance, embedding: new float[3]));
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
