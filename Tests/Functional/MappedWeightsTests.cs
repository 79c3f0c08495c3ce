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
