namespace CimSim.Workloads.Models;

/// <summary>
/// Shape of a decoder-only transformer of the Llama, Qwen2/3, Mistral, Phi-3 or Gemma 2/3 family, as its Hugging Face
/// config.json describes it (what each family adds to Llama is in docs/workloads.md).
/// Immutable; build it with <see cref="ModelConfigParser"/> or take a preset from <see cref="ModelCatalog"/>.
/// Linear weights are stored by Hugging Face as [out_features, in_features]; here <see cref="Shape"/> gives
/// (In, Out) so that a projection is y[M,Out] = x[M,In] * W^T.
/// </summary>
public sealed record ModelSpec
{
    /// <summary>Preset name or the model directory's name.</summary>
    public required string Name { get; init; }

    /// <summary>`model_type`: one of <see cref="ModelConfigParser.SupportedModelTypes"/>.</summary>
    public required string ModelType { get; init; }

    public required int HiddenSize { get; init; }

    public required int NumLayers { get; init; }

    public required int NumAttentionHeads { get; init; }

    /// <summary>`num_key_value_heads` (GQA); equals <see cref="NumAttentionHeads"/> for plain multi-head attention.</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>`head_dim`, or hidden_size / num_attention_heads when absent.</summary>
    public required int HeadDim { get; init; }

    public required int IntermediateSize { get; init; }

    public required int VocabSize { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>lm_head shares the embedding matrix (`tie_word_embeddings`).</summary>
    public bool TieWordEmbeddings { get; init; }

    public double RmsNormEps { get; init; } = 1e-6;

    public required RopeSpec Rope { get; init; }

    /// <summary>q_proj, k_proj and v_proj carry biases (always for Qwen2; Llama's `attention_bias`).</summary>
    public bool QkvBias { get; init; }

    /// <summary>o_proj carries a bias (Llama's `attention_bias`; never for Qwen2).</summary>
    public bool OutputBias { get; init; }

    /// <summary>gate/up/down carry biases (Llama's `mlp_bias`).</summary>
    public bool MlpBias { get; init; }

    /// <summary>`torch_dtype` (or `dtype` in newer configs) of the published weights, e.g. "bfloat16".</summary>
    public string TorchDtype { get; init; } = "float32";

    /// <summary>`hidden_act` (`hidden_activation` for Gemma): "silu" (SwiGLU MLP) or "gelu_pytorch_tanh" (Gemma's GeGLU).</summary>
    public string HiddenAct { get; init; } = "silu";

    /// <summary>`sliding_window`: a query at position t attends to keys t - W + 1 .. t on the layers <see cref="IsSlidingLayer"/> names.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Per layer: attends over the sliding window (`layer_types` "sliding_attention"); empty when no layer does.</summary>
    public EquatableList<bool> SlidingLayers { get; init; } = EquatableList<bool>.Empty;

    /// <summary>Qwen3 and Gemma 3: an RMSNorm over head_dim on every query and key head before RoPE (`q_norm`, `k_norm`).</summary>
    public bool QkNorm { get; init; }

    /// <summary>Gemma: RMSNorm weights store gain - 1 (y = x / rms * (1 + w)).</summary>
    public bool NormUnitOffset { get; init; }

    /// <summary>Gemma 2/3: norms after attention and around the MLP (`post_attention_layernorm` on the attention output,
    /// `pre_feedforward_layernorm`, `post_feedforward_layernorm`), four per layer instead of two.</summary>
    public bool SandwichNorms { get; init; }

    /// <summary>Gemma: the embedding rows are multiplied by sqrt(hidden_size).</summary>
    public bool ScaleEmbeddings { get; init; }

    /// <summary>Gemma 2 `attn_logit_softcapping`: scores become c tanh(s / c) before the mask and softmax.</summary>
    public double? AttentionSoftcap { get; init; }

    /// <summary>Gemma 2 `final_logit_softcapping`: logits become c tanh(z / c).</summary>
    public double? FinalLogitSoftcap { get; init; }

    /// <summary>Gemma `query_pre_attn_scalar`: scores are scaled by its inverse square root instead of head_dim's.</summary>
    public double? QueryPreAttnScalar { get; init; }

    /// <summary>Phi-3: q, k, v in one `qkv_proj` and gate, up in one `gate_up_proj` (see <see cref="LinearModules.Fused"/>).</summary>
    public bool FusedProjections { get; init; }

    /// <summary>Gemma 3: RoPE of the sliding (local) layers (`rope_local_base_freq`); null when every layer uses <see cref="Rope"/>.</summary>
    public RopeSpec? LocalRope { get; init; }

    /// <summary>The linear projections of one layer, in the order the layer runs them.</summary>
    public IReadOnlyList<LinearModule> Projections => FusedProjections ? LinearModules.Fused : LinearModules.All;

    /// <summary>RMSNorm weight vectors over the hidden width per layer: 2, or 4 with <see cref="SandwichNorms"/>.</summary>
    public int HiddenNormsPerLayer => SandwichNorms ? 4 : 2;

    public bool IsSlidingLayer(int layer) => SlidingWindow is not null && (uint)layer < (uint)SlidingLayers.Count && SlidingLayers[layer];

    /// <summary>Keys a query attends to (and KV entries a layer keeps) at KV length <paramref name="kvLength"/>: min(L, W) on sliding layers.</summary>
    public int AttendedLength(int layer, int kvLength) => IsSlidingLayer(layer) ? Math.Min(kvLength, SlidingWindow!.Value) : kvLength;

    /// <summary>Multiplier of Q K^T before softmax: query_pre_attn_scalar^-1/2 (Gemma) or head_dim^-1/2.</summary>
    public double AttentionScale => 1.0 / Math.Sqrt(QueryPreAttnScalar ?? HeadDim);

    /// <summary>RoPE of <paramref name="layer"/>: <see cref="LocalRope"/> on Gemma 3's sliding layers, else <see cref="Rope"/>.</summary>
    public RopeSpec RopeOf(int layer) => LocalRope is not null && IsSlidingLayer(layer) ? LocalRope : Rope;

    public int? BosTokenId { get; init; }

    public EquatableList<int> EosTokenIds { get; init; } = EquatableList<int>.Empty;

    /// <summary>Width of the concatenated query heads: heads x head_dim.</summary>
    public int QueryDim => NumAttentionHeads * HeadDim;

    /// <summary>Width of the concatenated key (or value) heads: kv_heads x head_dim.</summary>
    public int KeyValueDim => NumKeyValueHeads * HeadDim;

    /// <summary>Query heads per key/value head.</summary>
    public int GqaGroupSize => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>(In, Out) features of a projection; the HF weight tensor is [Out, In].</summary>
    public (int In, int Out) Shape(LinearModule m) => m switch
    {
        LinearModule.QProj => (HiddenSize, QueryDim),
        LinearModule.KProj or LinearModule.VProj => (HiddenSize, KeyValueDim),
        LinearModule.OProj => (QueryDim, HiddenSize),
        LinearModule.GateProj or LinearModule.UpProj => (HiddenSize, IntermediateSize),
        LinearModule.DownProj => (IntermediateSize, HiddenSize),
        LinearModule.QkvProj => (HiddenSize, QueryDim + 2 * KeyValueDim),
        LinearModule.GateUpProj => (HiddenSize, 2 * IntermediateSize),
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, null),
    };

    public bool HasBias(LinearModule m) => m switch
    {
        LinearModule.QProj or LinearModule.KProj or LinearModule.VProj or LinearModule.QkvProj => QkvBias,
        LinearModule.OProj => OutputBias,
        _ => MlpBias,
    };

    /// <summary>Weight elements of one projection (In x Out), biases excluded.</summary>
    public long WeightCount(LinearModule m)
    {
        var (i, o) = Shape(m);
        return (long)i * o;
    }

    /// <summary>Weights plus bias of one projection.</summary>
    public long ModuleParameterCount(LinearModule m) => WeightCount(m) + (HasBias(m) ? Shape(m).Out : 0);

    /// <summary>One decoder layer: its projections (with biases), its hidden-width RMSNorm weights, and q/k norms over head_dim.</summary>
    public long ParametersPerLayer
    {
        get
        {
            long sum = (long)HiddenNormsPerLayer * HiddenSize + (QkNorm ? 2L * HeadDim : 0);
            foreach (var m in Projections) sum += ModuleParameterCount(m);
            return sum;
        }
    }

    /// <summary>embed_tokens: vocab x hidden.</summary>
    public long EmbeddingParameters => (long)VocabSize * HiddenSize;

    /// <summary>lm_head parameters counted separately: 0 when tied to the embedding.</summary>
    public long LmHeadParameters => TieWordEmbeddings ? 0 : EmbeddingParameters;

    /// <summary>
    /// Exact parameter count as PyTorch's `sum(p.numel() for p in model.parameters())` gives it (tied
    /// weights counted once): embedding + layers + final norm + untied lm_head.
    /// </summary>
    public long ParameterCount => EmbeddingParameters + NumLayers * ParametersPerLayer + HiddenSize + LmHeadParameters;

    /// <summary>Parameters of all projections in all layers (what RRAM crossbars hold), biases excluded.</summary>
    public long ProjectionWeightCount
    {
        get
        {
            long sum = 0;
            foreach (var m in Projections) sum += WeightCount(m);
            return sum * NumLayers;
        }
    }

    /// <summary>Bytes per element of <see cref="TorchDtype"/> (2 for bfloat16/float16, 4 for float32).</summary>
    public int DtypeBytes => TorchDtype switch
    {
        "float32" => 4,
        "float64" => 8,
        "int8" or "uint8" => 1,
        _ => 2,
    };
}
