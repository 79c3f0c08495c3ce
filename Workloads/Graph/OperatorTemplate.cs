using CimSim.Workloads.Models;

namespace CimSim.Workloads.Graph;

/// <summary>
/// One operator of the per-layer template (identical for every decoder layer and every step; only the token
/// count and the KV length change). <see cref="LocalDependencies"/> index this template;
/// <see cref="LayerInput"/> stands for the layer's input (the previous layer's last residual add, or the embedding).
/// </summary>
public sealed record OperatorTemplate(int Index, OperatorKind Kind, LinearModule? Module, string Name, int[] LocalDependencies)
{
    public const int LayerInput = -1;

    /// <summary>What an RMSNorm normalises: the hidden vector, or every query / key head (Qwen3's and Gemma 3's q/k norms).</summary>
    public NormWidth NormWidth { get; init; } = NormWidth.Hidden;

    /// <summary>Hugging Face module path in layer <paramref name="layer"/>: "model.layers.3.self_attn.q_proj",
    /// "model.layers.3.self_attn.q_proj.lora_A", or the operator's functional name for ops without a module.</summary>
    public string HfModuleName(int layer) => $"model.layers.{layer}.{Name}";
}

/// <summary>One step of the run: prefill (index 0) or decode step s = 1 .. G - 1.</summary>
public readonly record struct StepShape(Phase Phase, int Index, int Tokens, int KvLength, int LogitTokens);

/// <summary>Width of an RMSNorm: the hidden vector (weight [hidden]) or each query / key head (weight [head_dim]).</summary>
public enum NormWidth : byte
{
    Hidden,
    QueryHeads,
    KeyHeads,
}
