using System.Collections;
using CimSim.Workloads.Models;

namespace CimSim.Workloads.Graph;

/// <summary>
/// The operator graph of one workload: prefill over the prompt, then G - 1 decode steps with a growing KV cache
/// (see <see cref="WorkloadSpec"/> for the step convention). Compact by construction: a step is the embedding,
/// NumLayers copies of one <see cref="LayerTemplate"/>, the final norm and lm_head; operators are values built
/// on the fly from (step, index), so a consumer can walk 32 layers x 1024 steps without allocating.
/// Prefill attention is counted dense (M = P queries x N = P keys, the causal upper triangle masked, not
/// skipped), as Hugging Face computes it. lm_head runs on the last token of each sequence in prefill
/// (transformers' generate, logits_to_keep = 1) unless <see cref="PrefillLogitsForAllTokens"/>.
/// </summary>
public sealed partial class OperatorGraph
{
    private readonly OperatorTemplate[] _layer;

    public OperatorGraph(ModelSpec model, LoraSpec? lora, WorkloadSpec workload, GraphPrecision? precision = null, bool prefillLogitsForAllTokens = false)
    {
        Model = model;
        Lora = lora;
        Workload = workload;
        Precision = precision ?? GraphPrecision.W8A8;
        PrefillLogitsForAllTokens = prefillLogitsForAllTokens;
        CheckLoraRank(model, lora);
        _layer = LayerTemplateBuilder.Build(model, lora);
    }

    /// <summary>
    /// A LoRA rank above min(in, out) of a targeted projection is no low-rank update (and was accepted silently, issue 14
    /// defect 9): refused, naming the smallest targeted matrix.
    /// </summary>
    private static void CheckLoraRank(ModelSpec model, LoraSpec? lora)
    {
        if (lora is null || lora.ResolvedTargets(model).Count == 0) return;
        var (module, limit) = lora.ResolvedTargets(model).Select(t => (t, Math.Min(model.Shape(t).In, model.Shape(t).Out))).MinBy(x => x.Item2);
        if (lora.Rank > limit)
            throw new CimSim.Common.Errors.UserInputException(
                $"--lora-rank: found {lora.Rank}; expected at most {limit}, the smaller side of {model.Name}'s {module.HfName()} ({model.Shape(module).In} x {model.Shape(module).Out})");
    }

    public ModelSpec Model { get; }

    public LoraSpec? Lora { get; }

    public WorkloadSpec Workload { get; }

    public GraphPrecision Precision { get; }

    public bool PrefillLogitsForAllTokens { get; }

    /// <summary>The operators of one decoder layer, in topological order (the same for every layer and step).</summary>
    public IReadOnlyList<OperatorTemplate> LayerTemplate => _layer;

    public int OperatorsPerLayer => _layer.Length;

    /// <summary>Embedding + layers x template + final norm + lm_head.</summary>
    public int OperatorsPerStep => 1 + Model.NumLayers * _layer.Length + 2;

    /// <summary>Index of the first operator of <paramref name="layer"/> in a step.</summary>
    public int LayerStart(int layer) => 1 + layer * _layer.Length;

    public int FinalNormIndex => 1 + Model.NumLayers * _layer.Length;

    public int LmHeadIndex => FinalNormIndex + 1;

    public StepShape Prefill => new(Phase.Prefill, 0, Workload.PromptTokens, Workload.PromptTokens,
        PrefillLogitsForAllTokens ? Workload.PromptTokens : 1);

    public int DecodeStepCount => Workload.DecodeSteps;

    /// <summary>Decode step s (1-based): one token per sequence, KV length P + s.</summary>
    public StepShape DecodeStep(int s)
    {
        if (s < 1 || s > DecodeStepCount) throw new ArgumentOutOfRangeException(nameof(s), s, $"decode steps are 1..{DecodeStepCount}");
        return new(Phase.Decode, s, 1, Workload.KvLengthAtDecodeStep(s), 1);
    }

    /// <summary>Prefill, then every decode step.</summary>
    public IEnumerable<StepShape> Steps
    {
        get
        {
            yield return Prefill;
            for (var s = 1; s <= DecodeStepCount; s++) yield return DecodeStep(s);
        }
    }

    /// <summary>All operators of a step, in topological order, without allocation (struct enumerator).</summary>
    public StepOperators Operators(StepShape step) => new(this, step);

    /// <summary>The operator at <paramref name="index"/> of <paramref name="step"/>.</summary>
    public Operator GetOperator(StepShape step, int index)
    {
        if (index == 0) return Embedding(step);
        if (index == FinalNormIndex) return FinalNorm(step);
        if (index == LmHeadIndex) return LmHead(step);
        if (index < 0 || index > LmHeadIndex) throw new ArgumentOutOfRangeException(nameof(index));
        var layer = (index - 1) / _layer.Length;
        return LayerOperator(step, layer, _layer[(index - 1) % _layer.Length]);
    }

    /// <summary>The operator of template entry <paramref name="templateIndex"/> in <paramref name="layer"/>.</summary>
    public Operator GetLayerOperator(StepShape step, int layer, int templateIndex) => LayerOperator(step, layer, _layer[templateIndex]);

    /// <summary>Hugging Face module path of an operator ("model.embed_tokens", "model.layers.3.self_attn.q_proj", "lm_head", ...).</summary>
    public string HfModuleName(in Operator op) => op.TemplateIndex >= 0
        ? _layer[op.TemplateIndex].HfModuleName(op.Layer)
        : op.Kind switch
        {
            OperatorKind.Embedding => "model.embed_tokens",
            OperatorKind.RmsNorm => "model.norm",
            _ => "lm_head",
        };

    // ---------------------------------------------------------------- closed forms

    /// <summary>
    /// MACs of one step in closed form:
    /// layers x R (W_proj + W_lora) + 2 B H d T Σ_layers L_l + B T_logits hidden vocab, with R = B T rows,
    /// W_proj the projection weights of one layer, W_lora the LoRA parameters (r (In + Out) per target) and
    /// L_l = L, or min(L, W) on a sliding-window layer.
    /// </summary>
    public long ClosedFormMacs(StepShape step)
    {
        var b = (long)Workload.Batch;
        var rows = b * step.Tokens;
        var m = Model;
        long projPerLayer = m.ProjectionWeightCount / m.NumLayers;
        long lora = Lora?.ParameterCount(m) ?? 0;
        long attended = 0;
        for (var l = 0; l < m.NumLayers; l++) attended += m.IsSlidingLayer(l) ? Math.Min(step.KvLength, m.SlidingWindow!.Value) : step.KvLength;
        long attention = 2 * b * m.NumAttentionHeads * m.HeadDim * step.Tokens * attended;
        long head = b * step.LogitTokens * m.HiddenSize * (long)m.VocabSize;
        return rows * (projPerLayer * m.NumLayers + lora) + attention + head;
    }

    /// <summary>
    /// MACs of the whole run in closed form: prefill plus the G - 1 decode steps. Their KV lengths P + s sum to
    /// (G - 1) P + (G - 1) G / 2; on a sliding layer min(P + s, W) sums to k P + k (k + 1) / 2 + (G - 1 - k) W with
    /// k = clamp(W - P, 0, G - 1) steps below the window.
    /// </summary>
    public long ClosedFormTotalMacs()
    {
        var m = Model;
        long b = Workload.Batch, p = Workload.PromptTokens, d = DecodeStepCount;
        long lora = Lora?.ParameterCount(m) ?? 0;
        long sumKv = d * p + d * (d + 1) / 2;
        long sumAttended = 0;
        for (var l = 0; l < m.NumLayers; l++)
        {
            if (!m.IsSlidingLayer(l))
            {
                sumAttended += sumKv;
                continue;
            }
            long w = m.SlidingWindow!.Value, k = Math.Clamp(w - p, 0, d);
            sumAttended += k * p + k * (k + 1) / 2 + (d - k) * w;
        }
        long decode = d * b * (m.ProjectionWeightCount + lora)
                      + 2 * b * m.NumAttentionHeads * m.HeadDim * sumAttended
                      + d * b * m.HiddenSize * (long)m.VocabSize;
        return ClosedFormMacs(Prefill) + decode;
    }

    /// <summary>Sums MACs, FLOPs and bytes over the operators of one step.</summary>
    public StepTotals Sum(StepShape step)
    {
        var t = default(StepTotals);
        foreach (var op in Operators(step)) t = t.Add(op);
        return t;
    }

    /// <summary>Sums over every operator of every step (walks the whole graph).</summary>
    public StepTotals SumAll()
    {
        var t = Sum(Prefill);
        for (var s = 1; s <= DecodeStepCount; s++) t = t.Plus(Sum(DecodeStep(s)));
        return t;
    }

    /// <summary>The operators of one step as a struct enumerable (foreach allocates nothing).</summary>
    public readonly struct StepOperators(OperatorGraph graph, StepShape step) : IEnumerable<Operator>
    {
        public int Count => graph.OperatorsPerStep;

        public Enumerator GetEnumerator() => new(graph, step);

        IEnumerator<Operator> IEnumerable<Operator>.GetEnumerator() => GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public struct Enumerator(OperatorGraph graph, StepShape step) : IEnumerator<Operator>
        {
            private int _index = -1;

            public Operator Current { get; private set; }

            readonly object IEnumerator.Current => Current;

            public bool MoveNext()
            {
                if (++_index >= graph.OperatorsPerStep) return false;
                Current = graph.GetOperator(step, _index);
                return true;
            }

            public void Reset() => _index = -1;

            public readonly void Dispose() { }
        }
    }
}

/// <summary>Sums over a set of operators.</summary>
public readonly record struct StepTotals(long Operators, long Macs, long Flops, long BytesRead, long BytesWritten, long StaticWeightBytesRead, long KvBytesRead)
{
    public StepTotals Add(in Operator op) => new(
        Operators + 1, Macs + op.Macs, Flops + op.Flops, BytesRead + op.BytesRead, BytesWritten + op.BytesWritten,
        StaticWeightBytesRead + (op.InputB.IsStatic ? op.InputB.Bytes : 0),
        KvBytesRead + (op.InputB.Kind == OperandKind.KvCache ? op.InputB.Bytes : 0));

    public StepTotals Plus(StepTotals o) => new(
        Operators + o.Operators, Macs + o.Macs, Flops + o.Flops, BytesRead + o.BytesRead, BytesWritten + o.BytesWritten,
        StaticWeightBytesRead + o.StaticWeightBytesRead, KvBytesRead + o.KvBytesRead);
}
