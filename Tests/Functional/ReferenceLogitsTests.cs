using System.Text.Json;
using CimSim.Simulator.Functional;

namespace CimSim.Tests.Functional;

/// <summary>Ideal devices must reproduce Hugging Face transformers' logits (scripts/fixtures/make_fixtures.py).</summary>
public class ReferenceLogitsTests
{
    internal sealed record Reference(int[] Tokens, float[][] Logits);

    internal static Reference LoadReference(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FixturePaths.Of($"reference/{name}.json")));
        var tokens = doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var logits = doc.RootElement.GetProperty("logits").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();
        return new Reference(tokens, logits);
    }

    internal static double MaxAbsError(float[] logits, float[][] reference, int vocab, int firstRow = 0)
    {
        double max = 0;
        for (int t = 0; t * vocab < logits.Length; t++)
            for (int j = 0; j < vocab; j++)
                max = Math.Max(max, Math.Abs(logits[t * vocab + j] - reference[firstRow + t][j]));
        return max;
    }

    [TestCase("llama_f32", null)]
    [TestCase("llama_f32", "llama_f32_lora")]
    [TestCase("qwen2_f32", null)]
    [TestCase("qwen2_f32", "qwen2_f32_lora")]
    [TestCase("llama_bf16", null)]
    [TestCase("qwen2_f16", null)]
    [TestCase("mistral_f32", null)]
    [TestCase("mistral_f32", "mistral_f32_lora")]
    [TestCase("qwen3_f32", null)]
    [TestCase("qwen3_f32", "qwen3_f32_lora")]
    [TestCase("phi3_f32", null)]
    [TestCase("phi3_f32", "phi3_f32_lora")]
    [TestCase("gemma2_f32", null)]
    [TestCase("gemma2_f32", "gemma2_f32_lora")]
    [TestCase("gemma3_f32", null)]
    [TestCase("gemma3_f32", "gemma3_f32_lora")]
    public void Forward_IdealDevices_ReproducesTransformersLogits(string model, string? adapter)
    {
        var reference = LoadReference(adapter ?? model);
        var m = FunctionalModel.Load(FixturePaths.Of(model), IdealPlacer.Instance, adapter is null ? null : FixturePaths.Of(adapter));
        var logits = new InferenceSession(m).Forward(reference.Tokens);
        Assert.That(logits, Has.Length.EqualTo(reference.Tokens.Length * m.Spec.VocabSize));
        var error = MaxAbsError(logits, reference.Logits, m.Spec.VocabSize);
        TestContext.Out.WriteLine($"{adapter ?? model}: max |logit - transformers| = {error:G3}");
        Assert.That(error, Is.LessThan(1e-3));
    }

    // Sliding-window families (window 5 < 16 tokens) decode past the window: keys older than it must drop out.
    [TestCase("llama_f32")]
    [TestCase("mistral_f32")]
    [TestCase("phi3_f32")]
    [TestCase("gemma2_f32")]
    [TestCase("gemma3_f32")]
    public void Forward_PrefillThenDecode_MatchesReferenceAtEveryStep(string model)
    {
        var reference = LoadReference(model + "_lora");
        var m = FunctionalModel.Load(FixturePaths.Of(model), IdealPlacer.Instance, FixturePaths.Of(model + "_lora"));
        var session = new InferenceSession(m, initialCapacity: 2); // forces KV-cache growth
        const int prefill = 5;
        var first = session.Forward(reference.Tokens.AsSpan(0, prefill), lastOnly: true);
        Assert.That(MaxAbsError(first, reference.Logits, m.Spec.VocabSize, prefill - 1), Is.LessThan(1e-3));
        for (int t = prefill; t < reference.Tokens.Length; t++)
        {
            var step = session.Forward(reference.Tokens.AsSpan(t, 1));
            Assert.That(MaxAbsError(step, reference.Logits, m.Spec.VocabSize, t), Is.LessThan(1e-3), $"decode step at position {t}");
        }
        Assert.That(session.Position, Is.EqualTo(reference.Tokens.Length));
    }

    [Test]
    public void Forward_AdapterChangesLogits()
    {
        var withAdapter = LoadReference("qwen2_f32_lora");
        var without = LoadReference("qwen2_f32");
        var m = FunctionalModel.Load(FixturePaths.Of("qwen2_f32"), IdealPlacer.Instance);
        var logits = new InferenceSession(m).Forward(withAdapter.Tokens);
        Assert.That(MaxAbsError(logits, without.Logits, m.Spec.VocabSize), Is.LessThan(1e-3));
        Assert.That(MaxAbsError(logits, withAdapter.Logits, m.Spec.VocabSize), Is.GreaterThan(1e-2), "the fixture's adapter must matter");
    }

    [Test]
    public void Load_SeparateProjectionAdapterOnPhi3_NamesTheFusedModule()
    {
        var ex = Assert.Throws<CimSim.Common.Errors.UserInputException>(() =>
            FunctionalModel.Load(FixturePaths.Of("phi3_f32"), IdealPlacer.Instance, FixturePaths.Of("llama_f32_lora")));
        Assert.That(ex!.Message + string.Join("\n", ex.Problems), Does.Contain("q_proj").And.Contain("fuses it into qkv_proj"));
    }
}
