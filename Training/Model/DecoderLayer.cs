using CimSim.Workloads.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CimSim.Training.Model;

/// <summary>
/// One Llama/Qwen2 decoder layer (pre-norm): h = x + o(attn(rope(q(n1 x)), rope(k(n1 x)), v(n1 x)));
/// out = h + down(silu(gate(n2 h)) * up(n2 h)). Grouped-query attention repeats each key/value head for
/// num_heads / num_kv_heads query heads, as Hugging Face's repeat_kv does.
/// </summary>
public sealed class DecoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly RmsNorm input_layernorm;
    private readonly RmsNorm post_attention_layernorm;
    private readonly LoraLinear q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj;
    private readonly ModelSpec spec;
    private readonly RotaryEmbedding rope;

    public DecoderLayer(string name, ModelSpec spec, RotaryEmbedding rope, ScalarType dtype) : base(name)
    {
        this.spec = spec;
        this.rope = rope;
        LoraLinear Make(LinearModule m)
        {
            var (i, o) = spec.Shape(m);
            return new LoraLinear(m.HfName(), i, o, spec.HasBias(m), dtype);
        }
        q_proj = Make(LinearModule.QProj);
        k_proj = Make(LinearModule.KProj);
        v_proj = Make(LinearModule.VProj);
        o_proj = Make(LinearModule.OProj);
        gate_proj = Make(LinearModule.GateProj);
        up_proj = Make(LinearModule.UpProj);
        down_proj = Make(LinearModule.DownProj);
        input_layernorm = new RmsNorm("input_layernorm", spec.HiddenSize, spec.RmsNormEps, dtype);
        post_attention_layernorm = new RmsNorm("post_attention_layernorm", spec.HiddenSize, spec.RmsNormEps, dtype);
        RegisterComponents();
    }

    public RmsNorm InputNorm => input_layernorm;

    public RmsNorm PostAttentionNorm => post_attention_layernorm;

    public LoraLinear Projection(LinearModule m) => m switch
    {
        LinearModule.QProj => q_proj,
        LinearModule.KProj => k_proj,
        LinearModule.VProj => v_proj,
        LinearModule.OProj => o_proj,
        LinearModule.GateProj => gate_proj,
        LinearModule.UpProj => up_proj,
        LinearModule.DownProj => down_proj,
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], t = x.shape[1];
        var n1 = input_layernorm.forward(x);
        var q = q_proj.forward(n1).view(b, t, spec.NumAttentionHeads, spec.HeadDim).transpose(1, 2);
        var k = k_proj.forward(n1).view(b, t, spec.NumKeyValueHeads, spec.HeadDim).transpose(1, 2);
        var v = v_proj.forward(n1).view(b, t, spec.NumKeyValueHeads, spec.HeadDim).transpose(1, 2);
        q = rope.Apply(q);
        k = rope.Apply(k);
        if (spec.GqaGroupSize > 1)
        {
            k = k.repeat_interleave(spec.GqaGroupSize, dim: 1);
            v = v.repeat_interleave(spec.GqaGroupSize, dim: 1);
        }
        // Causal softmax(q k^T / sqrt(d)) v; right padding needs no extra mask (padded positions come last and
        // carry no loss).
        var attn = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        attn = attn.transpose(1, 2).reshape(b, t, spec.QueryDim);
        var h = x + o_proj.forward(attn);
        var n2 = post_attention_layernorm.forward(h);
        var mlp = down_proj.forward(nn.functional.silu(gate_proj.forward(n2)) * up_proj.forward(n2));
        return h + mlp;
    }
}
