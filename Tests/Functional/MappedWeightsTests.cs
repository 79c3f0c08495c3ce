using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Workloads.Datasets;
using CimSim.Simulator.Functional;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;

namespace CimSim.Tests.Functional;

/// <summary>The accuracy study's ideal reference computing with weights left in the mapped safetensors file.</summary>
public class MappedWeightsTests
{
    private static readonly int[] Tokens = [1, 17, 42, 200, 5, 99, 3, 250, 7, 64];

    private static float[] Logits(string fixture, ILinearPlacer placer, out FunctionalModel model)
    {
        var dir = FixturePaths.Of(fixture);
        var cfg = Path.Combine(dir, "config.json");
        using var ck = SafetensorsCheckpoint.Open(dir);
        model = FunctionalModel.Build(ModelConfigParser.ParseFile(cfg), new CheckpointWeightSource(ck, cfg), placer);
        var logits = new InferenceSession(model, Tokens.Length).Forward(Tokens);
        // Twice, so a product after the pages were released reads the same weights again.
        var again = new InferenceSession(model, Tokens.Length).Forward(Tokens);
        Assert.That(again, Is.EqualTo(logits), "second pass after ReleasePages");
        return logits;
    }

    [TestCase("llama_f32")]
    [TestCase("llama_bf16")]
    [TestCase("qwen2_f16")]
    [TestCase("qwen2_f32")]
    public void MappedIdealPlacer_Fixture_LogitsBitIdenticalToFloat32Path(string fixture)
    {
        var reference = Logits(fixture, IdealPlacer.Instance, out _);
        var mapped = Logits(fixture, MappedIdealPlacer.Instance, out var model);
        Assert.That(mapped, Is.EqualTo(reference), "same float32 weights, same GEMM: identical, well within the 1e-5 the issue allows");
        Assert.That(model.Projections.Select(p => p.Weights), Is.All.InstanceOf<MappedLinear>());
        int bytes = ((MappedLinear)model.Projections.First().Weights).BytesPerWeight;
        Assert.That(bytes, Is.EqualTo(fixture.EndsWith("f32", StringComparison.Ordinal) ? 4 : 2), "weights stay in their stored precision");
    }

    [Test]
    public void Load_PlacerKeepingWeightsMapped_Refused()
    {
        Assert.Throws<ArgumentException>(() => FunctionalModel.Load(FixturePaths.Of("llama_f32"), MappedIdealPlacer.Instance));
    }
}

/// <summary>A chip instance regenerated per layer from its seed instead of held whole.</summary>
public class RegeneratedChipTests
{
    private static readonly int[] Tokens = [1, 17, 42, 200, 5, 99, 3, 250];

    /// <summary>Weight noise, stuck cells and read noise (drawn per call) on, so programming and call counting both matter.</summary>
    private static HardwareSpec Noisy()
    {
        var hw = new HardwareSpec();
        var noise = hw.Rram.Noise with { Read = hw.Rram.Noise.Read with { Sigma = 0.02 } };
        return hw with { Rram = hw.Rram with { Noise = noise } };
    }

    private static (float[] First, float[] Second, FunctionalModel Model) Logits(RramPath path, long? cacheBytes)
    {
        var dir = FixturePaths.Of("qwen2_f32");
        var cfg = Path.Combine(dir, "config.json");
        using var ck = SafetensorsCheckpoint.Open(dir);
        var model = FunctionalModel.Build(ModelConfigParser.ParseFile(cfg), new CheckpointWeightSource(ck, cfg),
            FunctionalHardware.Placer(Noisy(), 3, path, chipCacheBytes: cacheBytes), PeftAdapter.Load(FixturePaths.Of("qwen2_f32_lora")));
        var first = new InferenceSession(model, Tokens.Length).Forward(Tokens);
        var second = new InferenceSession(model, Tokens.Length).Forward(Tokens); // the second call of every layer: another read-noise stream
        return (first, second, model);
    }

    [Test]
    public void ChipLayerCache_NoBudget_OneLayerPerSlotEmptiedBeforeReprogramming()
    {
        var cache = new ChipLayerCache(0);
        var format = new RramFormat(new HardwareSpec().Rram);
        float[] weights = [0.1f, -0.2f, 0.3f, 0.05f];
        const string up0 = "rram/model.layers.0.mlp.up_proj", up1 = "rram/model.layers.1.mlp.up_proj", head = "rram/lm_head";
        object key0 = new(), keyHead = new();
        var layer0 = RramLinearLayer.Program(weights, 2, 2, format, 1, up0, cache.StorageFor(up0));
        cache.Put(key0, up0, layer0, 16);
        var headLayer = RramLinearLayer.Program(weights, 2, 2, format, 1, head, cache.StorageFor(head));
        cache.Put(keyHead, head, headLayer, 16);
        Assert.That(cache.Get(key0, up0), Is.SameAs(layer0), "kept in its slot");
        Assert.That(cache.Get(keyHead, head), Is.SameAs(headLayer), "another slot keeps its own layer");
        long before = cache.Regenerations;
        // Layer 1's up_proj takes the slot's storage: layer 0's is not kept from that moment (a programming that then
        // fails leaves nothing stale), while the lm_head's slot is untouched.
        var storage = cache.StorageFor(up1);
        Assert.That(cache.Get(key0, up0), Is.Null);
        Assert.That(cache.Get(keyHead, head), Is.SameAs(headLayer));
        Assert.That(cache.Regenerations - before, Is.EqualTo(1), "the miss is counted");
        Assert.That(cache.StorageFor("rram/model.layers.7.mlp.up_proj"), Is.SameAs(storage), "one storage per slot");
        Assert.That(ChipLayerCache.SlotOf("rram/model.layers.12.self_attn.q_proj"), Is.EqualTo("rram/model.layers.*.self_attn.q_proj"));
        Assert.That(new ChipLayerCache(1000).StorageFor(up0), Is.Null, "a positive budget keeps layers by budget, in arrays of their own");
    }

    [TestCase(RramPath.Statistical, 0L)]
    [TestCase(RramPath.Statistical, 200_000L)]
    [TestCase(RramPath.BitAccurate, 0L)]
    public void RegeneratedChip_AnyCacheBudget_LogitsBitIdenticalToHeldChip(RramPath path, long cacheBytes)
    {
        var held = Logits(path, null);
        var regenerated = Logits(path, cacheBytes);
        Assert.That(regenerated.Model.Projections.Select(p => p.Weights), Is.All.InstanceOf<RegeneratingRramLinear>());
        Assert.That(regenerated.First, Is.EqualTo(held.First));
        Assert.That(regenerated.Second, Is.EqualTo(held.Second));
        Assert.That(held.Second, Is.Not.EqualTo(held.First), "read noise is drawn per call, so the check above is not vacuous");
        var faults = regenerated.Model.Executors.OfType<RegeneratingRramLinear>().Sum(r => r.Faults.Cells);
        Assert.That(faults, Is.EqualTo(held.Model.Executors.OfType<RramLinear>().Sum(r => r.Layer.Faults.Cells)).And.GreaterThan(0));
    }

    [Test]
    public void Accuracy_ChipRegeneratedWithNoCache_ByteIdenticalReport()
    {
        AccuracyOptions Options(long? cache) => new()
        {
            ModelDirectory = FixturePaths.Of("llama_f32"),
            Hardware = Noisy(),
            HardwareName = "default spec + read noise",
            Items = [new TextItem(1, "Regenerated or held, the chip is the same."), new ChoiceItem(2, "1+1=", ["2", "3"], 0)],
            DataName = "inline",
            Seeds = 2,
            ChipCacheBytes = cache,
        };
        Assert.That(AccuracyReportWriter.ToJson(AccuracyRunner.Run(Options(0))), Is.EqualTo(AccuracyReportWriter.ToJson(AccuracyRunner.Run(Options(null)))));
    }
}
