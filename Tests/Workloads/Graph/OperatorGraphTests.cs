using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Workloads.Graph;

public class OperatorGraphTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData("llama-3.2-1b", "q,k,v,up,down", 1, 7, 5);
        yield return new TestCaseData("qwen2.5-0.5b", "all", 3, 4, 9);
        yield return new TestCaseData("llama-3.1-8b", null, 2, 3, 1);
        yield return new TestCaseData("qwen2.5-1.5b", "o,gate", 1, 1, 12);
        yield return new TestCaseData("qwen3-0.6b", "q,k,v,up,down", 2, 5, 4);
        yield return new TestCaseData("phi-3-mini-4k-instruct", "q,k,v,up,down", 1, 6, 3);
        yield return new TestCaseData("gemma-2-2b", "all", 1, 4, 3);
        yield return new TestCaseData("gemma-3-1b-pt", "qkv,gate_up", 2, 3, 2);
        // Windows of 5 and 7 tokens, crossed during prefill (prompt 9) or during decode (prompt 3, 12 generated).
        yield return new TestCaseData("mistral-7b-v0.1@5", "q,v", 1, 9, 4);
        yield return new TestCaseData("mistral-7b-v0.1@5", null, 2, 3, 12);
        yield return new TestCaseData("gemma-2-2b@7", "o", 1, 3, 12);
    }

    /// <summary>A preset, optionally with its sliding window shrunk ("name@W") so that short workloads cross it.</summary>
    private static ModelSpec Model(string preset)
    {
        var parts = preset.Split('@');
        var m = ModelCatalog.Preset(parts[0]);
        return parts.Length == 1 ? m : m with { SlidingWindow = int.Parse(parts[1]) };
    }

    private static OperatorGraph Make(string preset, string? targets, int batch, int prompt, int generate)
        => new(Model(preset), targets is null ? null : LoraSpec.FromFlags(4, targets), new WorkloadSpec(batch, prompt, generate));

    [TestCaseSource(nameof(Cases))]
    public void SumAll_Macs_EqualClosedForm(string preset, string? targets, int batch, int prompt, int generate)
    {
        var g = Make(preset, targets, batch, prompt, generate);
        Assert.That(g.SumAll().Macs, Is.EqualTo(g.ClosedFormTotalMacs()));
    }

    [TestCaseSource(nameof(Cases))]
    public void Sum_EachStep_EqualsClosedFormStepMacs(string preset, string? targets, int batch, int prompt, int generate)
    {
        var g = Make(preset, targets, batch, prompt, generate);
        foreach (var step in g.Steps)
            Assert.That(g.Sum(step).Macs, Is.EqualTo(g.ClosedFormMacs(step)), $"step {step}");
    }

    [Test]
    public void ClosedFormTotalMacs_Llama1BPaperWorkload_MatchesHandCount()
    {
        // 512 + 512 tokens, batch 1, LoRA r=4 on q,k,v,up,down. Per token: 16 x 60,817,408 projection MACs (the layer's
        // weights), 1,900,544 LoRA MACs; lm_head 2048 x 128256 per generated token; attention 16 x 2 x 2048 x KV length.
        var g = new OperatorGraph(ModelCatalog.Preset("llama-3.2-1b"), LoraSpec.Paper, WorkloadSpec.Default);
        long tokens = 512 + 511, proj = 16L * 60_817_408, lora = 1_900_544, head = 2048L * 128256;
        long kvSum = 512L * 512 + (511L * 512 + 511L * 512 / 2);
        long expected = tokens * (proj + lora) + 512 * head + 16L * 2 * 2048 * kvSum;
        Assert.That(g.ClosedFormTotalMacs(), Is.EqualTo(expected));
    }

    [Test]
    public void ClosedFormTotalMacs_SlidingWindowMistral_MatchesHandCount()
    {
        // Mistral-7B-v0.1 (window 4096 on all 32 layers), batch 1, 4000 + 200 tokens, no LoRA. Decode step s attends
        // min(4000 + s, 4096) keys: 96 steps below the window (4001..4096) and 103 at 4096. Prefill attends 4000 x 4000.
        var m = ModelCatalog.Preset("mistral-7b-v0.1");
        var g = new OperatorGraph(m, null, new WorkloadSpec(1, 4000, 200));
        long proj = 32L * 218_103_808, head = 4096L * 32000, perKey = 32L * 2 * 32 * 128;
        long attendedDecode = (4001L + 4096) * 96 / 2 + 103L * 4096;
        long expected = 4000 * proj + head + perKey * 4000 * 4000 + 199 * (proj + head) + perKey * attendedDecode;
        Assert.That(g.ClosedFormTotalMacs(), Is.EqualTo(expected));
        Assert.That(g.Sum(g.DecodeStep(199)).Macs, Is.EqualTo(proj + head + perKey * 4096));
    }

    [Test]
    public void LayerTemplate_Gemma3_HasQkNormsSandwichNormsAndGelu()
    {
        var g = new OperatorGraph(ModelCatalog.Preset("gemma-3-1b-pt"), null, new WorkloadSpec(1, 4, 2));
        var names = g.LayerTemplate.Select(t => t.Name).ToList();
        Assert.That(names, Is.EqualTo(new[]
        {
            "input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.q_norm", "self_attn.k_norm",
            "self_attn.rotary_emb", "self_attn.kv_cache", "self_attn.qk_matmul", "self_attn.softmax", "self_attn.pv_matmul",
            "self_attn.o_proj", "post_attention_layernorm", "attn_residual", "pre_feedforward_layernorm", "mlp.gate_proj",
            "mlp.up_proj", "mlp.act_fn", "mlp.gate_up_product", "mlp.down_proj", "post_feedforward_layernorm", "mlp_residual",
        }));
        Assert.That(g.LayerTemplate.Single(t => t.Name == "mlp.act_fn").Kind, Is.EqualTo(OperatorKind.GeluTanh));
    }

    [Test]
    public void LayerTemplate_Phi3WithLora_ProjectsFusedMatricesOnce()
    {
        var m = ModelCatalog.Preset("phi-3-mini-4k-instruct");
        var g = new OperatorGraph(m, LoraSpec.Paper, new WorkloadSpec(1, 4, 2));
        var projections = g.LayerTemplate.Where(t => t.Kind == OperatorKind.Projection).Select(t => t.Module).ToList();
        var loraB = g.LayerTemplate.Single(t => t.Kind == OperatorKind.LoraB && t.Module == LinearModule.QkvProj);
        var op = g.GetLayerOperator(g.Prefill, 0, loraB.Index);
        Assert.Multiple(() =>
        {
            Assert.That(projections, Is.EqualTo(new LinearModule?[] { LinearModule.QkvProj, LinearModule.OProj, LinearModule.GateUpProj, LinearModule.DownProj }));
            Assert.That((op.K, op.N), Is.EqualTo((4L, 3072L * 3)), "qkv_proj's LoRA B spans q, k and v: 3072 + 2 x 32 x 96 outputs");
            Assert.That(g.HfModuleName(op), Is.EqualTo("model.layers.0.self_attn.qkv_proj.lora_B"));
        });
    }

    [Test]
    public void Operators_Dependencies_PointToEarlierOperators()
    {
        var g = Make("qwen2.5-0.5b", "q,k,v,o,gate,up,down", 1, 3, 2);
        var seen = 0;
        foreach (var op in g.Operators(g.DecodeStep(1)))
        {
            Assert.That(op.Index, Is.EqualTo(seen++));
            for (var i = 0; i < op.Dependencies.Count; i++)
                Assert.That(op.Dependencies[i], Is.InRange(0, op.Index - 1), op.ToString());
            if (op.Kind != OperatorKind.Embedding) Assert.That(op.Dependencies.Count, Is.GreaterThan(0), op.ToString());
        }
        Assert.That(seen, Is.EqualTo(g.OperatorsPerStep));
    }

    [Test]
    public void Operators_StaticWeightBytes_EqualParameterCountAt8Bits()
    {
        // One prefill reads every static weight once: projections + biases + norms + lm_head (tied: the embedding
        // matrix again) + LoRA, plus the embedding rows of the prompt tokens.
        var m = ModelCatalog.Preset("qwen2.5-0.5b");
        var lora = LoraSpec.FromFlags(4, "q,v");
        var g = new OperatorGraph(m, lora, new WorkloadSpec(1, 5, 1));
        var t = g.Sum(g.Prefill);
        long expected = m.ParameterCount - m.EmbeddingParameters + (long)m.VocabSize * m.HiddenSize + lora.ParameterCount(m) + 5L * m.HiddenSize;
        Assert.That(t.StaticWeightBytesRead, Is.EqualTo(expected));
    }

    [Test]
    public void DecodeStep_KvBytesRead_GrowWithKvLength()
    {
        var m = ModelCatalog.Preset("llama-3.2-1b");
        var g = new OperatorGraph(m, null, new WorkloadSpec(1, 10, 5));
        var k1 = g.Sum(g.DecodeStep(1)).KvBytesRead;
        var k4 = g.Sum(g.DecodeStep(4)).KvBytesRead;
        // QK^T reads K and PV reads V: 2 x kv_dim x KV length per layer at 8 bits.
        Assert.That(k4 - k1, Is.EqualTo(3L * 2 * m.KeyValueDim * m.NumLayers));
        Assert.That(k1, Is.EqualTo(11L * 2 * m.KeyValueDim * m.NumLayers));
    }

    [Test]
    public void LayerTemplate_WithLora_HasBranchOnlyForTargets()
    {
        var g = Make("llama-3.2-1b", "q,k,v,up,down", 1, 2, 2);
        var loraA = g.LayerTemplate.Where(t => t.Kind == OperatorKind.LoraA).Select(t => t.Module!.Value).ToArray();
        Assert.That(loraA, Is.EqualTo(new[] { LinearModule.QProj, LinearModule.KProj, LinearModule.VProj, LinearModule.UpProj, LinearModule.DownProj }));
        Assert.That(g.LayerTemplate.Count(t => t.Kind == OperatorKind.Projection), Is.EqualTo(7));
    }

    [Test]
    public void HfModuleName_Projection_IsHuggingFacePath()
    {
        var g = Make("llama-3.2-1b", "q", 1, 2, 2);
        var idx = g.LayerStart(3) + g.LayerTemplate.First(t => t.Kind == OperatorKind.LoraB).Index;
        var op = g.GetOperator(g.Prefill, idx);
        Assert.That(g.HfModuleName(op), Is.EqualTo("model.layers.3.self_attn.q_proj.lora_B"));
        Assert.That(g.HfModuleName(g.GetOperator(g.Prefill, g.LmHeadIndex)), Is.EqualTo("lm_head"));
    }

    [Test]
    public void Lora_LayersToTransform_ZeroesOtherLayers()
    {
        var m = ModelCatalog.Preset("qwen2.5-0.5b");
        var lora = LoraSpec.ParsePeftConfig("""{"r": 4, "lora_alpha": 8, "target_modules": ["q_proj"], "layers_to_transform": [1]}""", "a.json");
        var g = new OperatorGraph(m, lora, new WorkloadSpec(1, 3, 3));
        Assert.That(g.SumAll().Macs, Is.EqualTo(g.ClosedFormTotalMacs()));
        var a0 = g.GetLayerOperator(g.Prefill, 0, g.LayerTemplate.First(t => t.Kind == OperatorKind.LoraA).Index);
        Assert.That(a0.Macs, Is.Zero);
    }
}
