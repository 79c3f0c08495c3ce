using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using CimSim.Common.Errors;
using CimSim.Common.Numerics;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;

namespace CimSim.Simulator.Functional;

/// <summary>
/// One projection of a decoder layer: the frozen W0 on its executor (RRAM or ideal), an exact digital bias,
/// and an optional LoRA branch computed exactly (SRAM digital CIM): y = W0 x + b + scale B (A x).
/// </summary>
public sealed class Projection(string name, ILinearExecutor weights, float[]? bias, LoraModuleWeights? lora, LinearModule module = LinearModule.QProj)
{
    public string Name { get; } = name;

    /// <summary>Which projection of the layer this is.</summary>
    public LinearModule Module { get; } = module;

    public ILinearExecutor Weights { get; } = weights;

    public float[]? Bias { get; } = bias;

    public LoraModuleWeights? Lora { get; } = lora;

    public int InFeatures => Weights.InFeatures;

    public int OutFeatures => Weights.OutFeatures;

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, IForwardObserver? observer) =>
        Forward(x, y, [tokens], [null], [observer], null);

    /// <summary>
    /// Several sequences' rows in one call (<see cref="ILinearExecutor.Forward(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int}, ReadOnlySpan{ulong?})"/>):
    /// segment s is the next <paramref name="segments"/>[s] rows, with its noise stream and its own observer;
    /// <paramref name="batchObserver"/> sees the W0 product of all rows at once.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> segments, ReadOnlySpan<ulong?> noiseStreams, ReadOnlySpan<IForwardObserver?> observers,
        IForwardObserver? batchObserver)
    {
        Weights.Forward(x, y, segments, noiseStreams);
        batchObserver?.OnProjection(Name, x, y, ILinearExecutor.Rows(segments));
        for (int s = 0, row = 0; s < segments.Length; row += segments[s], s++)
            observers[s]?.OnProjection(Name, x.Slice(row * InFeatures, segments[s] * InFeatures), y.Slice(row * OutFeatures, segments[s] * OutFeatures), segments[s]);
        int tokens = ILinearExecutor.Rows(segments);
        if (Bias is not null)
            for (int t = 0; t < tokens; t++) TensorPrimitives.Add(y.Slice(t * OutFeatures, OutFeatures), Bias, y.Slice(t * OutFeatures, OutFeatures));
        if (Lora is { } l)
        {
            var ax = new float[tokens * l.Rank];
            Blas.Gemm(false, true, tokens, l.Rank, l.InFeatures, 1f, x, l.A, 0f, ax);
            Blas.Gemm(false, true, tokens, l.OutFeatures, l.Rank, (float)l.Scale, ax, l.B, 1f, y);
        }
    }
}

/// <summary>Receives intermediate results of a forward pass (used to measure per-layer error).</summary>
public interface IForwardObserver
{
    /// <summary>After the W0 product of a projection (before bias and LoRA): input x and output y, [tokens, features].</summary>
    void OnProjection(string module, ReadOnlySpan<float> x, ReadOnlySpan<float> y, int tokens);

    /// <summary>The residual stream after decoder layer <paramref name="layer"/>, [tokens, hidden].</summary>
    void OnLayerOutput(int layer, ReadOnlySpan<float> hidden, int tokens);
}

/// <summary>
/// One decoder layer's weights. Norm gains are stored as the multiplier the forward pass uses (Gemma's 1 + w already
/// added at load). <see cref="PostAttentionNorm"/> normalises the MLP input (Llama) or, with Gemma's sandwich norms,
/// the attention output; Gemma then has <see cref="PreFeedforwardNorm"/> and <see cref="PostFeedforwardNorm"/>.
/// </summary>
public sealed class DecoderLayer
{
    public required float[] InputNorm { get; init; }
    public required float[] PostAttentionNorm { get; init; }
    public float[]? PreFeedforwardNorm { get; init; }
    public float[]? PostFeedforwardNorm { get; init; }

    /// <summary>Qwen3 / Gemma 3 per-head norms over head_dim on queries and keys.</summary>
    public float[]? QNorm { get; init; }
    public float[]? KNorm { get; init; }

    /// <summary>The layer's projections in the model's order (q, k, v, o, gate, up, down; Phi-3: qkv, o, gate_up, down).</summary>
    public required IReadOnlyList<Projection> Projections { get; init; }

    /// <summary>The projection of module <paramref name="m"/> (which must be one of this model's).</summary>
    public Projection this[LinearModule m] => Projections.First(p => p.Module == m);
}

/// <summary>
/// A decoder-only model (Llama, Qwen2/3, Mistral, Phi-3, Gemma 2/3) ready to run: embeddings, decoder layers whose W0 projections sit on the
/// executors an <see cref="ILinearPlacer"/> chose, final RMSNorm and lm_head (tied or not). Run it with an
/// <see cref="InferenceSession"/> (which holds the KV cache).
/// </summary>
public sealed class FunctionalModel
{
    public required ModelSpec Spec { get; init; }

    /// <summary>The token embeddings, [vocab, hidden]: held, or left in the mapped checkpoint (<see cref="EmbeddingTable"/>).</summary>
    public required EmbeddingTable Embedding { get; init; }

    public required IReadOnlyList<DecoderLayer> Layers { get; init; }

    public required float[] FinalNorm { get; init; }

    /// <summary>lm_head where the plan put it (RRAM, or exact on SRAM / digital); the embedding matrix when tied.</summary>
    public required ILinearExecutor LmHead { get; init; }

    /// <summary>Every executor: the W0 projections, then lm_head.</summary>
    public IEnumerable<ILinearExecutor> Executors => Projections.Select(p => p.Weights).Append(LmHead);

    public PeftAdapter? Adapter { get; init; }

    /// <summary>What placed the W0 projections (ideal, or RRAM with a seed and path).</summary>
    public required string Placement { get; init; }

    /// <summary>Where the plan put each matrix ("W0: 14 on rram, ...; lm_head on rram"), null without a plan.</summary>
    public string? PlanDescription { get; init; }

    /// <summary>"checkpoint" or "random".</summary>
    public required string WeightsKind { get; init; }

    /// <summary>Inverse RoPE frequencies (head_dim / 2), as transformers computes them.</summary>
    internal float[] InverseFrequencies { get; init; } = [];

    /// <summary>Gemma 3's sliding layers' inverse frequencies (their own base); null when every layer uses <see cref="InverseFrequencies"/>.</summary>
    internal float[]? LocalInverseFrequencies { get; init; }

    public IEnumerable<Projection> Projections => Layers.SelectMany(l => l.Projections);

    /// <summary>Loads config.json and safetensors from <paramref name="modelDirectory"/>, checks every tensor's shape first.</summary>
    public static FunctionalModel Load(string modelDirectory, ILinearPlacer placer, string? adapterDirectory = null)
    {
        if (placer.NeedsOpenSource)
            throw new ArgumentException("Load closes the checkpoint it reads; a placer that reads weights later (mapped or regenerated) needs Build with an open checkpoint", nameof(placer));
        var cfg = Path.Combine(modelDirectory, "config.json");
        if (!File.Exists(cfg)) throw new UserInputException($"{modelDirectory}: no config.json (expected a Hugging Face model directory)");
        var spec = ModelConfigParser.ParseFile(cfg);
        if (!SafetensorsCheckpoint.Exists(modelDirectory))
            throw new UserInputException($"{modelDirectory}: no model.safetensors or model.safetensors.index.json; functional simulation needs the weights");
        using var ck = SafetensorsCheckpoint.Open(modelDirectory);
        var adapter = adapterDirectory is null ? null : PeftAdapter.Load(adapterDirectory);
        return Build(spec, new CheckpointWeightSource(ck, cfg), placer, adapter);
    }

    /// <summary>Expected tensor names and shapes implied by the config (HF naming).</summary>
    public static IEnumerable<(string Name, long[] Shape)> ExpectedTensors(ModelSpec spec)
    {
        long h = spec.HiddenSize;
        yield return ("model.embed_tokens.weight", [spec.VocabSize, h]);
        for (int i = 0; i < spec.NumLayers; i++)
        {
            foreach (var norm in HiddenNormNames(spec)) yield return ($"model.layers.{i}.{norm}.weight", [h]);
            if (spec.QkNorm)
            {
                yield return ($"model.layers.{i}.self_attn.q_norm.weight", [spec.HeadDim]);
                yield return ($"model.layers.{i}.self_attn.k_norm.weight", [spec.HeadDim]);
            }
            foreach (var m in spec.Projections)
            {
                var (inF, outF) = spec.Shape(m);
                yield return (m.HfPath(i) + ".weight", [outF, inF]);
                if (spec.HasBias(m)) yield return (m.HfPath(i) + ".bias", [outF]);
            }
        }
        yield return ("model.norm.weight", [h]);
        if (!spec.TieWordEmbeddings) yield return ("lm_head.weight", [spec.VocabSize, h]);
    }

    private static IEnumerable<string> HiddenNormNames(ModelSpec spec) => spec.SandwichNorms
        ? ["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"]
        : ["input_layernorm", "post_attention_layernorm"];

    private static readonly Regex ModulePath = new(@"^model\.layers\.(?<layer>\d+)\.(?<block>self_attn|mlp)\.(?<proj>[a-z_]+_proj)$", RegexOptions.Compiled);

    /// <summary>Why <paramref name="adapter"/> does not fit <paramref name="spec"/> (modules it cannot adapt, tensor shapes); empty when it fits.</summary>
    public static List<string> AdapterProblems(ModelSpec spec, PeftAdapter adapter)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(adapter);
        var problems = new List<string>();
        foreach (var (module, lw) in adapter.Modules)
        {
            var m = ModulePath.Match(module);
            if (!m.Success || !LinearModules.TryParse(m.Groups["proj"].Value, out var lm) || int.Parse(m.Groups["layer"].Value) >= spec.NumLayers
                || (lm.IsAttention() ? "self_attn" : "mlp") != m.Groups["block"].Value)
            {
                problems.Add($"adapter module '{module}' is not a projection of this {spec.NumLayers}-layer model");
                continue;
            }
            if (!spec.Projections.Contains(lm))
            {
                var has = lm.FusedParent() is { } parent && spec.Projections.Contains(parent) ? $"; this {spec.ModelType} model fuses it into {parent.HfName()}"
                    : lm.IsFused() ? $"; this {spec.ModelType} model has separate {string.Join(", ", lm.Parts().Select(x => x.HfName()))}" : "";
                problems.Add($"adapter module '{module}' targets {lm.HfName()}, which this model does not have{has}");
                continue;
            }
            var (inF, outF) = spec.Shape(lm);
            if (lw.InFeatures != inF)
                problems.Add($"adapter tensor '{PeftAdapter.TensorName(module, 'A')}' has shape [{lw.Rank}, {lw.InFeatures}] but the model needs [{lw.Rank}, {inF}]");
            if (lw.OutFeatures != outF)
                problems.Add($"adapter tensor '{PeftAdapter.TensorName(module, 'B')}' has shape [{lw.OutFeatures}, {lw.Rank}] but the model needs [{outF}, {lw.Rank}]");
        }
        return problems;
    }

    /// <summary>
    /// Builds a model from any weight source; every shape problem (model and adapter) is reported at once.
    /// <paramref name="embedding"/>: the embedding table of another model of the same weights, shared instead of made
    /// again (only read, never written; the accuracy study's chip shares the ideal reference's).
    /// </summary>
    public static FunctionalModel Build(ModelSpec spec, IWeightSource weights, ILinearPlacer placer, PeftAdapter? adapter = null, EmbeddingTable? embedding = null)
    {
        if (spec.HiddenAct is not ("silu" or "gelu_pytorch_tanh"))
            throw new UserInputException($"model {spec.Name}: hidden_act '{spec.HiddenAct}' is not modelled (silu for SwiGLU, gelu_pytorch_tanh for Gemma's GeGLU)");
        var problems = new List<string>();
        foreach (var (name, shape) in ExpectedTensors(spec))
            if (weights.Check(name, shape) is { } p) problems.Add(p);
        if (adapter is not null) problems.AddRange(AdapterProblems(spec, adapter));
        if (problems.Count > 0)
            throw new UserInputException($"model {spec.Name}: {problems.Count} tensor(s) do not match the config", problems);

        placer = placer.ForModel(spec);
        long h = spec.HiddenSize;
        if (embedding is not null && (embedding.Rows != spec.VocabSize || embedding.Width != h))
            throw new ArgumentException($"shared embedding is {embedding.Rows} x {embedding.Width}, expected {spec.VocabSize} x {h}", nameof(embedding));
        // Left in the checkpoint when the model keeps reading its source anyway (mapped or regenerated matrices), else held.
        embedding ??= (placer.NeedsOpenSource ? weights.MappedEmbedding("model.embed_tokens.weight", spec.VocabSize, spec.HiddenSize) : null)
            ?? EmbeddingTable.Held(weights.Read("model.embed_tokens.weight", [spec.VocabSize, h]), spec.VocabSize, spec.HiddenSize);
        // Gemma stores RMSNorm gains as w with y = x / rms * (1 + w) (Gemma2RMSNorm): add the 1 once here, in float32.
        float[] Norm(string name, long width)
        {
            var w = weights.Read(name, [width]);
            if (spec.NormUnitOffset) for (int j = 0; j < w.Length; j++) w[j] = 1f + w[j];
            return w;
        }
        var layers = new List<DecoderLayer>(spec.NumLayers);
        for (int i = 0; i < spec.NumLayers; i++)
        {
            Projection P(LinearModule m)
            {
                var (inF, outF) = spec.Shape(m);
                var path = m.HfPath(i);
                var exec = placer.KeepsWeightsMapped && weights.Mapped(path + ".weight", outF, inF) is { } mapped ? mapped
                    : placer.Place(path, () => weights.Read(path + ".weight", [outF, inF]), into => weights.ReadInto(path + ".weight", [outF, inF], into), null, outF, inF);
                // Programming leaves large transient arrays (the read weights, the kernel's copies) on the large-object
                // heap; collecting now keeps peak memory near the programmed model instead of piling up garbage.
                if (exec is not (IdealLinear or MappedLinear)) GC.Collect();
                var bias = spec.HasBias(m) ? weights.Read(path + ".bias", [outF]) : null;
                LoraModuleWeights? lora = null;
                adapter?.Modules.TryGetValue(path, out lora);
                return new Projection(path, exec, bias, lora, m);
            }
            var prefix = $"model.layers.{i}.";
            layers.Add(new DecoderLayer
            {
                InputNorm = Norm(prefix + "input_layernorm.weight", h),
                PostAttentionNorm = Norm(prefix + "post_attention_layernorm.weight", h),
                PreFeedforwardNorm = spec.SandwichNorms ? Norm(prefix + "pre_feedforward_layernorm.weight", h) : null,
                PostFeedforwardNorm = spec.SandwichNorms ? Norm(prefix + "post_feedforward_layernorm.weight", h) : null,
                QNorm = spec.QkNorm ? Norm(prefix + "self_attn.q_norm.weight", spec.HeadDim) : null,
                KNorm = spec.QkNorm ? Norm(prefix + "self_attn.k_norm.weight", spec.HeadDim) : null,
                Projections = spec.Projections.Select(P).ToList(),
            });
        }
        // lm_head: exact where it is stored when the placer allows (the tied one is the embedding tensor), else placed; a
        // regenerated one is programmed block by block from the file when the source reads rows (no float32 copy of it).
        ILinearExecutor lmHead;
        if (spec.TieWordEmbeddings)
            lmHead = placer.KeepsWeightsMapped && embedding.Source is { } tied ? new MappedLinear(tied.File, tied.Name, spec.VocabSize, spec.HiddenSize)
                : placer.Place(FunctionalPlan.LmHeadName, embedding.Values, null, embedding.IsMapped ? embedding.ReadRows : null, spec.VocabSize, spec.HiddenSize);
        else
            lmHead = placer.KeepsWeightsMapped && weights.Mapped("lm_head.weight", spec.VocabSize, spec.HiddenSize) is { } mappedHead ? mappedHead
                : placer.Place(FunctionalPlan.LmHeadName, () => weights.Read("lm_head.weight", [spec.VocabSize, h]),
                    into => weights.ReadInto("lm_head.weight", [spec.VocabSize, h], into), weights.RowReader("lm_head.weight", spec.VocabSize, spec.HiddenSize),
                    spec.VocabSize, spec.HiddenSize);
        if (lmHead is not (IdealLinear or MappedLinear)) GC.Collect();
        var inv = spec.Rope.InverseFrequencies(spec.HeadDim);
        var model = new FunctionalModel
        {
            Spec = spec,
            Embedding = embedding,
            Layers = layers,
            FinalNorm = Norm("model.norm.weight", h),
            LmHead = lmHead,
            Adapter = adapter,
            Placement = placer.Describe,
            WeightsKind = weights.Kind,
            InverseFrequencies = inv.Select(v => (float)v).ToArray(),
            LocalInverseFrequencies = spec.LocalRope?.InverseFrequencies(spec.HeadDim).Select(v => (float)v).ToArray(),
            PlanDescription = placer is RramPlacer { Plan: { } plan } ? plan.Describe() : null,
        };
        // The chip's ADC ranges are set once, after programming, from seeded prompts (stored with the chip).
        if (placer.ChipSeed is { } seed) AdcCalibrationPass.Run(model, seed);
        return model;
    }
}
