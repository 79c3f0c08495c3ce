using CimSim.Workloads.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CimSim.Training.Model;

/// <summary>
/// A Llama/Qwen2 causal language model (Hugging Face LlamaForCausalLM / Qwen2ForCausalLM) in TorchSharp, with
/// parameters addressable by their Hugging Face safetensors names so that it loads and writes the same files as
/// the simulator. LoRA branches are added with <see cref="AddLora"/>.
/// </summary>
public sealed class CausalLm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter embed_tokens;
    private readonly nn.Module<Tensor, Tensor>[] layerArray;
    private readonly TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>> layers;
    private readonly RmsNorm norm;
    private readonly Parameter? lm_head;
    private readonly RotaryEmbedding rope;

    public CausalLm(ModelSpec spec, ScalarType dtype = ScalarType.Float32) : base("CausalLm")
    {
        Spec = spec;
        Dtype = dtype;
        rope = new RotaryEmbedding(spec.Rope, spec.HeadDim, dtype);
        embed_tokens = new Parameter(zeros(spec.VocabSize, spec.HiddenSize, dtype), requires_grad: false);
        layerArray = new nn.Module<Tensor, Tensor>[spec.NumLayers];
        for (var i = 0; i < spec.NumLayers; i++) layerArray[i] = new DecoderLayer($"{i}", spec, rope, dtype);
        layers = nn.ModuleList(layerArray);
        norm = new RmsNorm("norm", spec.HiddenSize, spec.RmsNormEps, dtype);
        if (!spec.TieWordEmbeddings) lm_head = new Parameter(zeros(spec.VocabSize, spec.HiddenSize, dtype), requires_grad: false);
        RegisterComponents();
    }

    public ModelSpec Spec { get; }

    public ScalarType Dtype { get; }

    public LoraSpec? Lora { get; private set; }

    public DecoderLayer Layer(int i) => (DecoderLayer)layerArray[i];

    /// <summary>Every parameter by its Hugging Face safetensors name (the tied lm_head is not listed).</summary>
    public IReadOnlyList<(string Name, Parameter Tensor)> HfParameters()
    {
        var list = new List<(string, Parameter)> { ("model.embed_tokens.weight", embed_tokens) };
        for (var i = 0; i < Spec.NumLayers; i++)
        {
            var l = Layer(i);
            list.Add(($"model.layers.{i}.input_layernorm.weight", l.InputNorm.Weight));
            foreach (var m in LinearModules.All)
            {
                var p = l.Projection(m);
                list.Add(($"{m.HfPath(i)}.weight", p.Weight));
                if (p.Bias is not null) list.Add(($"{m.HfPath(i)}.bias", p.Bias));
            }
            list.Add(($"model.layers.{i}.post_attention_layernorm.weight", l.PostAttentionNorm.Weight));
        }
        list.Add(("model.norm.weight", norm.Weight));
        if (lm_head is not null) list.Add(("lm_head.weight", lm_head));
        return list;
    }

    /// <summary>Every projection by (layer, module, Hugging Face module path).</summary>
    public IEnumerable<(int Layer, LinearModule Module, string Path, LoraLinear Linear)> Projections()
    {
        for (var i = 0; i < Spec.NumLayers; i++)
        {
            foreach (var m in LinearModules.All) yield return (i, m, m.HfPath(i), Layer(i).Projection(m));
        }
    }

    /// <summary>The projections that carry a LoRA branch.</summary>
    public IEnumerable<(string Path, LoraLinear Linear)> LoraModules()
        => Projections().Where(p => p.Linear.LoraA is not null).Select(p => (p.Path, p.Linear));

    /// <summary>Adds LoRA branches on the targets of <paramref name="lora"/>; A initialised from <paramref name="generator"/>.</summary>
    public void AddLora(LoraSpec lora, Generator generator)
    {
        if (Lora is not null) throw new InvalidOperationException("the model already carries a LoRA adapter");
        foreach (var (layer, module, _, linear) in Projections())
        {
            if (lora.AppliesTo(layer, module)) linear.AddLora(lora.Rank, lora.Scaling, lora.Dropout, generator);
        }
        Lora = lora;
    }

    /// <summary>LoRA A and B tensors by their PEFT names (base_model.model.{path}.lora_A.weight).</summary>
    public IReadOnlyList<(string Name, Parameter Tensor)> PeftParameters()
    {
        var list = new List<(string, Parameter)>();
        foreach (var (path, linear) in LoraModules())
        {
            list.Add(($"base_model.model.{path}.lora_A.weight", linear.LoraA!));
            list.Add(($"base_model.model.{path}.lora_B.weight", linear.LoraB!));
        }
        return list;
    }

    /// <summary>Makes every base parameter trainable (full-parameter pretraining) or frozen.</summary>
    public void SetBaseTrainable(bool trainable)
    {
        foreach (var (_, p) in HfParameters()) p.requires_grad = trainable;
    }

    /// <summary>Initialises the base weights randomly (pretraining from scratch): N(0, std) matrices, unit norms, zero biases (HF's _init_weights).</summary>
    public void InitializeRandom(Generator generator, double std = 0.02)
    {
        using var _ = no_grad();
        foreach (var (name, p) in HfParameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else p.copy_(randn(p.shape, dtype: p.dtype, generator: generator).mul_(std));
        }
    }

    /// <summary>Logits [B, T, V] for token ids [B, T].</summary>
    public override Tensor forward(Tensor ids)
    {
        long b = ids.shape[0], t = ids.shape[1];
        var x = embed_tokens.index_select(0, ids.reshape(-1)).view(b, t, Spec.HiddenSize);
        foreach (var layer in layerArray) x = layer.forward(x);
        x = norm.forward(x);
        return nn.functional.linear(x, lm_head ?? embed_tokens);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) rope.Dispose();
        base.Dispose(disposing);
    }
}
