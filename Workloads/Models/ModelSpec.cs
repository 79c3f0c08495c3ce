namespace CimSim.Workloads.Models;

/// <summary>
/// Shape of a Llama- or Qwen2-family decoder-only transformer, as its Hugging Face config.json describes it.
/// Immutable; build it with <see cref="ModelConfigParser"/> or take a preset from <see cref="ModelCatalog"/>.
/// Linear weights are stored by Hugging Face as [out_features, in_features]; here <see cref="Shape"/> gives
/// (In, Out) so that a projection is y[M,Out] = x[M,In] * W^T.
/// </summary>
public sealed record ModelSpec
{
    /// <summary>Preset name or the model directory's name.</summary>
    public required string Name { get; init; }

    /// <summary>`model_type`: "llama" or "qwen2".</summary>
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

    /// <summary>`hidden_act`; only "silu" is modelled (SwiGLU MLP).</summary>
    public string HiddenAct { get; init; } = "silu";

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
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, null),
    };

    public bool HasBias(LinearModule m) => m switch
    {
        LinearModule.QProj or LinearModule.KProj or LinearModule.VProj => QkvBias,
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

    /// <summary>One decoder layer: seven projections (with biases) and two RMSNorm weight vectors.</summary>
    public long ParametersPerLayer
    {
        get
        {
            long sum = 2L * HiddenSize;
            foreach (var m in LinearModules.All) sum += ModuleParameterCount(m);
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

    /// <summary>Parameters of all seven projections in all layers (what RRAM crossbars hold), biases excluded.</summary>
    public long ProjectionWeightCount
    {
        get
        {
            long sum = 0;
            foreach (var m in LinearModules.All) sum += WeightCount(m);
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
