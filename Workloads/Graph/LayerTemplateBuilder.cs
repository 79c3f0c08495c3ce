using CimSim.Workloads.Models;

namespace CimSim.Workloads.Graph;

/// <summary>
/// Builds the operator template of one decoder layer for a model family (the order of docs/workloads.md):
/// Llama/Qwen2/Mistral run norm, q/k/v, RoPE, attention, o, residual, norm, gate/up, SiLU, product, down, residual.
/// Qwen3 and Gemma 3 add q/k RMSNorms before RoPE; Phi-3 computes q, k, v in one fused `qkv_proj` and gate, up in one
/// `gate_up_proj` (the split is a view, no operator); Gemma 2/3 add the sandwich norms around attention and MLP and
/// use GELU (tanh) instead of SiLU.
/// </summary>
internal static class LayerTemplateBuilder
{
    public static OperatorTemplate[] Build(ModelSpec model, LoraSpec? lora)
    {
        var list = new List<OperatorTemplate>();
        int Add(OperatorKind kind, LinearModule? module, string name, params int[] deps)
        {
            list.Add(new OperatorTemplate(list.Count, kind, module, name, deps));
            return list.Count - 1;
        }

        int Norm(string name, int input, NormWidth width = NormWidth.Hidden)
        {
            list.Add(new OperatorTemplate(list.Count, OperatorKind.RmsNorm, null, name, [input]) { NormWidth = width });
            return list.Count - 1;
        }

        int Linear(LinearModule m, int input)
        {
            var path = (m.IsAttention() ? "self_attn." : "mlp.") + m.HfName();
            var proj = Add(OperatorKind.Projection, m, path, input);
            if (lora is null || !lora.IsTarget(m)) return proj;
            var a = Add(OperatorKind.LoraA, m, path + ".lora_A", input);
            var bb = Add(OperatorKind.LoraB, m, path + ".lora_B", a);
            return Add(OperatorKind.LoraMerge, m, path + ".lora_merge", proj, bb);
        }

        var norm1 = Norm("input_layernorm", OperatorTemplate.LayerInput);
        int q, k, v;
        if (model.FusedProjections) q = k = v = Linear(LinearModule.QkvProj, norm1);
        else
        {
            q = Linear(LinearModule.QProj, norm1);
            k = Linear(LinearModule.KProj, norm1);
            v = Linear(LinearModule.VProj, norm1);
        }
        if (model.QkNorm)
        {
            q = Norm("self_attn.q_norm", q, NormWidth.QueryHeads);
            k = Norm("self_attn.k_norm", k, NormWidth.KeyHeads);
        }
        var rope = Add(OperatorKind.Rope, null, "self_attn.rotary_emb", q, k);
        var kv = Add(OperatorKind.KvWrite, null, "self_attn.kv_cache", rope, v);
        var score = Add(OperatorKind.AttentionScore, null, "self_attn.qk_matmul", rope, kv);
        var soft = Add(OperatorKind.Softmax, null, "self_attn.softmax", score);
        var ctx = Add(OperatorKind.AttentionContext, null, "self_attn.pv_matmul", soft, kv);
        var o = Linear(LinearModule.OProj, ctx);
        int add1, norm2;
        if (model.SandwichNorms)
        {
            // Gemma: the attention output is normed before the residual add, and the MLP input by its own norm.
            var post = Norm("post_attention_layernorm", o);
            add1 = Add(OperatorKind.ResidualAdd, null, "attn_residual", OperatorTemplate.LayerInput, post);
            norm2 = Norm("pre_feedforward_layernorm", add1);
        }
        else
        {
            add1 = Add(OperatorKind.ResidualAdd, null, "attn_residual", OperatorTemplate.LayerInput, o);
            norm2 = Norm("post_attention_layernorm", add1);
        }
        int gate, up;
        if (model.FusedProjections) gate = up = Linear(LinearModule.GateUpProj, norm2);
        else
        {
            gate = Linear(LinearModule.GateProj, norm2);
            up = Linear(LinearModule.UpProj, norm2);
        }
        var act = Add(model.HiddenAct == "silu" ? OperatorKind.Silu : OperatorKind.GeluTanh, null, "mlp.act_fn", gate);
        var mul = Add(OperatorKind.Multiply, null, "mlp.gate_up_product", act, up);
        var down = Linear(LinearModule.DownProj, mul);
        if (model.SandwichNorms) down = Norm("post_feedforward_layernorm", down);
        Add(OperatorKind.ResidualAdd, null, "mlp_residual", add1, down);
        return list.ToArray();
    }
}
