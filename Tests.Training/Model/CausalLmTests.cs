using System.Text.Json;
using CimSim.Training.Export;
using CimSim.Training.Model;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;
using static TorchSharp.torch;

namespace CimSim.Training.Tests.Model;

public class CausalLmTests
{
    private static string Fixtures => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures");

    /// <summary>Hugging Face transformers' float32 logits on the same weights (scripts/fixtures/make_fixtures.py).</summary>
    [TestCase("llama_f32")]
    [TestCase("qwen2_f32")]
    [TestCase("llama_bf16")]
    [TestCase("qwen2_f16")]
    [TestCase("llama_f32_lora")]
    [TestCase("qwen2_f32_lora")]
    public void Forward_ReferenceCheckpoint_MatchesTransformersLogits(string reference)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "reference", reference + ".json")));
        var root = doc.RootElement;
        var modelName = root.GetProperty("model").GetString()!;
        var tokens = root.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt64()).ToArray();
        var expected = root.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        using var model = ModelIo.Load(Path.Combine(Fixtures, modelName));
        if (root.TryGetProperty("adapter", out var ad) && ad.ValueKind == JsonValueKind.String)
        {
            var dir = Path.Combine(Fixtures, ad.GetString()!);
            using var g = new Generator(1);
            model.AddLora(LoraSpec.FromPeftConfig(dir), g);
            PeftExport.LoadInto(model, PeftAdapter.Load(dir));
        }
        model.eval();
        using var _ = no_grad();
        var logits = model.forward(tensor(tokens, new long[] { 1, tokens.Length }))[0];
        var got = logits.data<float>().ToArray();
        var v = (int)logits.shape[1];
        double maxErr = 0, maxAbs = 0;
        for (var t = 0; t < expected.Length; t++)
        {
            for (var i = 0; i < v; i++)
            {
                maxErr = Math.Max(maxErr, Math.Abs(got[t * v + i] - expected[t][i]));
                maxAbs = Math.Max(maxAbs, Math.Abs(expected[t][i]));
            }
        }
        Assert.That(logits.shape, Is.EqualTo(new long[] { expected.Length, expected[0].Length }));
        Assert.That(maxErr, Is.LessThan(1e-4), $"max |logit| {maxAbs:F3}");
    }
}
