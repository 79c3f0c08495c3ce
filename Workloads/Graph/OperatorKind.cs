namespace CimSim.Workloads.Graph;

/// <summary>What an operator computes. FLOP conventions per kind are in docs/workloads.md.</summary>
public enum OperatorKind
{
    /// <summary>Token-embedding lookup: one row of embed_tokens read per token (a memory read, no arithmetic).</summary>
    Embedding,

    /// <summary>RMSNorm over the hidden width: 4 FLOPs per element (square, sum, scale by 1/rms, scale by weight).</summary>
    RmsNorm,

    /// <summary>A frozen W0 projection (q, k, v, o, gate, up, down): y[M,N] = x[M,K] W0^T (+ bias).</summary>
    Projection,

    /// <summary>LoRA down-projection: h[M,r] = x[M,K] A^T.</summary>
    LoraA,

    /// <summary>LoRA up-projection: d[M,N] = h[M,r] B^T.</summary>
    LoraB,

    /// <summary>y = base + scaling x d: 2 FLOPs per element.</summary>
    LoraMerge,

    /// <summary>Rotary embedding of q and k: 3 FLOPs per element (x cos + rotate(x) sin).</summary>
    Rope,

    /// <summary>Appends this step's K (after RoPE) and V rows to the KV cache.</summary>
    KvWrite,

    /// <summary>Attention scores S = Q K^T per (sequence, query head): M = tokens, K = head_dim, N = KV length.</summary>
    AttentionScore,

    /// <summary>
    /// Softmax over the KV axis with the 1/sqrt(head_dim) scale: 6 FLOPs per element (scale, max, subtract, exp, sum,
    /// divide), plus 3 (divide, tanh, multiply) where Gemma 2 soft-caps the scores.
    /// </summary>
    Softmax,

    /// <summary>Attention context O = P V per (sequence, query head): M = tokens, K = KV length, N = head_dim.</summary>
    AttentionContext,

    /// <summary>SiLU of the gate projection: 4 FLOPs per element (exp, add, divide, multiply).</summary>
    Silu,

    /// <summary>Element-wise product act(gate) x up: 1 FLOP per element.</summary>
    Multiply,

    /// <summary>Residual add: 1 FLOP per element.</summary>
    ResidualAdd,

    /// <summary>The output projection to vocabulary logits (tied to the embedding or not); Gemma 2's final soft-capping adds 3 FLOPs per logit.</summary>
    LmHead,

    /// <summary>
    /// GELU, tanh approximation (Gemma's `gelu_pytorch_tanh`): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
    /// 8 FLOPs per element (cube, scale, add, scale, tanh, add, multiply, halve).
    /// </summary>
    GeluTanh,
}

/// <summary>What kind of tensor an operand is: static weights can live in CIM arrays; dynamic ones move every step.</summary>
public enum OperandKind : byte
{
    None,

    /// <summary>Static weights (W0, LoRA A/B, norm weights, embedding table): written once, read every step.</summary>
    StaticWeight,

    /// <summary>A dynamic activation produced by another operator in the same step.</summary>
    Activation,

    /// <summary>The KV cache: dynamic, grows by one entry per token, read by every later step.</summary>
    KvCache,
}

/// <summary>Prefill (the whole prompt at once) or one decode step (one token per sequence).</summary>
public enum Phase : byte
{
    Prefill,
    Decode,
}
