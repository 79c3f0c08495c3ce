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
public sealed class OperatorGraph
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
        _layer = BuildLayerTemplate(model, lora);
    }

    /// <summary>
    /// A LoRA rank above min(in, out) of a targeted projection is no low-rank update (and was accepted silently, issue 14
    /// defect 9): refused, naming the smallest targeted matrix.
    /// </summary>
    private static void CheckLoraRank(ModelSpec model, LoraSpec? lora)
    {
        if (lora is null || lora.Targets.Count == 0) return;
        var (module, limit) = lora.Targets.Select(t => (t, Math.Min(model.Shape(t).In, model.Shape(t).Out))).MinBy(x => x.Item2);
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
    /// layers x R (W_proj + W_lora) + layers x 2 B H d T L + B T_logits hidden vocab, with R = B T rows,
    /// W_proj the projection weights of one layer and W_lora the LoRA parameters (r (In + Out) per target).
    /// </summary>
    public long ClosedFormMacs(StepShape step)
    {
        var b = (long)Workload.Batch;
        var rows = b * step.Tokens;
        var m = Model;
        long projPerLayer = m.ProjectionWeightCount / m.NumLayers;
        long lora = Lora?.ParameterCount(m) ?? 0;
        long attention = (long)m.NumLayers * 2 * b * m.NumAttentionHeads * m.HeadDim * step.Tokens * step.KvLength;
        long head = b * step.LogitTokens * m.HiddenSize * (long)m.VocabSize;
        return rows * (projPerLayer * m.NumLayers + lora) + attention + head;
    }

    /// <summary>
    /// MACs of the whole run in closed form: prefill plus the G - 1 decode steps, whose KV lengths sum to
    /// (G - 1) P + (G - 1) G / 2.
    /// </summary>
    public long ClosedFormTotalMacs()
    {
        var m = Model;
        long b = Workload.Batch, p = Workload.PromptTokens, d = DecodeStepCount;
        long lora = Lora?.ParameterCount(m) ?? 0;
        long sumKv = d * p + d * (d + 1) / 2;
        long decode = d * b * (m.ProjectionWeightCount + lora)
                      + (long)m.NumLayers * 2 * b * m.NumAttentionHeads * m.HeadDim * sumKv
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

    // ---------------------------------------------------------------- construction

    private static OperatorTemplate[] BuildLayerTemplate(ModelSpec model, LoraSpec? lora)
    {
        var list = new List<OperatorTemplate>();
        int Add(OperatorKind kind, LinearModule? module, string name, params int[] deps)
        {
            list.Add(new OperatorTemplate(list.Count, kind, module, name, deps));
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

        var norm1 = Add(OperatorKind.RmsNorm, null, "input_layernorm", OperatorTemplate.LayerInput);
        var q = Linear(LinearModule.QProj, norm1);
        var k = Linear(LinearModule.KProj, norm1);
        var v = Linear(LinearModule.VProj, norm1);
        var rope = Add(OperatorKind.Rope, null, "self_attn.rotary_emb", q, k);
        var kv = Add(OperatorKind.KvWrite, null, "self_attn.kv_cache", rope, v);
        var score = Add(OperatorKind.AttentionScore, null, "self_attn.qk_matmul", rope, kv);
        var soft = Add(OperatorKind.Softmax, null, "self_attn.softmax", score);
        var ctx = Add(OperatorKind.AttentionContext, null, "self_attn.pv_matmul", soft, kv);
        var o = Linear(LinearModule.OProj, ctx);
        var add1 = Add(OperatorKind.ResidualAdd, null, "attn_residual", OperatorTemplate.LayerInput, o);
        var norm2 = Add(OperatorKind.RmsNorm, null, "post_attention_layernorm", add1);
        var gate = Linear(LinearModule.GateProj, norm2);
        var up = Linear(LinearModule.UpProj, norm2);
        var act = Add(OperatorKind.Silu, null, "mlp.act_fn", gate);
        var mul = Add(OperatorKind.Multiply, null, "mlp.gate_up_product", act, up);
        var down = Linear(LinearModule.DownProj, mul);
        Add(OperatorKind.ResidualAdd, null, "mlp_residual", add1, down);
        return list.ToArray();
    }

    private Operand Act(long elements) => new(OperandKind.Activation, elements, Precision.ActivationBits);

    private Operand Weight(long elements) => new(OperandKind.StaticWeight, elements, Precision.WeightBits);

    private Operand LoraWeight(long elements) => new(OperandKind.StaticWeight, elements, Precision.LoraWeightBits);

    private Operand Kv(long elements) => new(OperandKind.KvCache, elements, Precision.KvBits);

    private Operator Embedding(StepShape step)
    {
        long rows = (long)Workload.Batch * step.Tokens, h = Model.HiddenSize;
        return new Operator
        {
            Index = 0, TemplateIndex = -1, Layer = -1, Kind = OperatorKind.Embedding,
            M = rows, N = h, Instances = 1,
            InputA = new Operand(OperandKind.Activation, rows, 32), // token ids
            InputB = Weight(rows * h), // the embedding rows read
            Output = Act(rows * h),
            Dependencies = new Dependencies(0),
        };
    }

    private Operator FinalNorm(StepShape step)
    {
        long rows = (long)Workload.Batch * step.Tokens, h = Model.HiddenSize;
        return new Operator
        {
            Index = FinalNormIndex, TemplateIndex = -1, Layer = -1, Kind = OperatorKind.RmsNorm,
            M = rows, N = h, Instances = 1, Flops = 4 * rows * h,
            InputA = Act(rows * h), InputB = Weight(h), Output = Act(rows * h),
            Dependencies = new Dependencies(1, FinalNormIndex - 1),
        };
    }

    private Operator LmHead(StepShape step)
    {
        long rows = (long)Workload.Batch * step.LogitTokens, h = Model.HiddenSize, v = Model.VocabSize;
        return new Operator
        {
            Index = LmHeadIndex, TemplateIndex = -1, Layer = -1, Kind = OperatorKind.LmHead,
            M = rows, K = h, N = v, Instances = 1, Macs = rows * h * v, Flops = 2 * rows * h * v,
            InputA = Act(rows * h), InputB = Weight(h * v), Output = Act(rows * v),
            Dependencies = new Dependencies(1, FinalNormIndex),
        };
    }

    private Operator LayerOperator(StepShape step, int layer, OperatorTemplate t)
    {
        var m = Model;
        long b = Workload.Batch, tokens = step.Tokens, rows = b * tokens, kvLen = step.KvLength;
        long h = m.HiddenSize, heads = m.NumAttentionHeads, hd = m.HeadDim, kvDim = m.KeyValueDim;
        var start = LayerStart(layer);
        var layerInput = start - 1; // embedding (index 0) or the previous layer's last residual add
        var deps = t.LocalDependencies;
        int Dep(int i) => deps[i] == OperatorTemplate.LayerInput ? layerInput : start + deps[i];
        var dependencies = deps.Length switch
        {
            0 => new Dependencies(0),
            1 => new Dependencies(1, Dep(0)),
            2 => new Dependencies(2, Dep(0), Dep(1)),
            _ => new Dependencies(3, Dep(0), Dep(1), Dep(2)),
        };
        var op = new Operator
        {
            Index = start + t.Index, TemplateIndex = t.Index, Layer = layer, Kind = t.Kind, Module = t.Module,
            Instances = 1, Dependencies = dependencies,
        };
        switch (t.Kind)
        {
            case OperatorKind.RmsNorm:
                return op with { M = rows, N = h, Flops = 4 * rows * h, InputA = Act(rows * h), InputB = Weight(h), Output = Act(rows * h) };
            case OperatorKind.Projection:
            {
                var mod = t.Module!.Value;
                var (inF, outF) = m.Shape(mod);
                var bias = m.HasBias(mod) ? outF : 0;
                long macs = rows * inF * outF;
                return op with
                {
                    M = rows, K = inF, N = outF, Macs = macs, Flops = 2 * macs + rows * bias,
                    InputA = Act(rows * inF), InputB = Weight((long)inF * outF + bias), Output = Act(rows * outF),
                };
            }
            case OperatorKind.LoraA or OperatorKind.LoraB or OperatorKind.LoraMerge:
            {
                var mod = t.Module!.Value;
                var (inF, outF) = m.Shape(mod);
                // Layers outside layers_to_transform keep the operator with zero rows, so indices stay uniform.
                var r = Lora!.Rank;
                var active = Lora.AppliesToLayer(layer) ? rows : 0;
                return t.Kind switch
                {
                    OperatorKind.LoraA => op with
                    {
                        M = active, K = inF, N = r, Macs = active * inF * r, Flops = 2 * active * inF * r,
                        InputA = Act(active * inF), InputB = LoraWeight(active > 0 ? (long)inF * r : 0), Output = Act(active * r),
                    },
                    OperatorKind.LoraB => op with
                    {
                        M = active, K = r, N = outF, Macs = active * r * outF, Flops = 2 * active * r * outF,
                        InputA = Act(active * r), InputB = LoraWeight(active > 0 ? (long)r * outF : 0), Output = Act(active * outF),
                    },
                    _ => op with
                    {
                        M = active, N = outF, Flops = 2 * active * outF,
                        InputA = Act(active * outF), InputB = Act(active * outF), Output = Act(active * outF),
                    },
                };
            }
            case OperatorKind.Rope:
            {
                long width = m.QueryDim + kvDim;
                return op with { M = rows, N = width, Flops = 3 * rows * width, InputA = Act(rows * width), Output = Act(rows * width) };
            }
            case OperatorKind.KvWrite:
                return op with { M = rows, N = 2 * kvDim, InputA = Act(rows * 2 * kvDim), Output = Kv(rows * 2 * kvDim) };
            case OperatorKind.AttentionScore:
            {
                long inst = b * heads, macs = inst * tokens * hd * kvLen;
                return op with
                {
                    Instances = inst, M = tokens, K = hd, N = kvLen, Macs = macs, Flops = 2 * macs,
                    InputA = Act(inst * tokens * hd), InputB = Kv(b * kvDim * kvLen), Output = Act(inst * tokens * kvLen),
                };
            }
            case OperatorKind.Softmax:
            {
                long inst = b * heads, e = inst * tokens * kvLen;
                return op with { Instances = inst, M = tokens, N = kvLen, Flops = 6 * e, InputA = Act(e), Output = Act(e) };
            }
            case OperatorKind.AttentionContext:
            {
                long inst = b * heads, macs = inst * tokens * kvLen * hd;
                return op with
                {
                    Instances = inst, M = tokens, K = kvLen, N = hd, Macs = macs, Flops = 2 * macs,
                    InputA = Act(inst * tokens * kvLen), InputB = Kv(b * kvDim * kvLen), Output = Act(inst * tokens * hd),
                };
            }
            case OperatorKind.Silu:
            {
                long e = rows * m.IntermediateSize;
                return op with { M = rows, N = m.IntermediateSize, Flops = 4 * e, InputA = Act(e), Output = Act(e) };
            }
            case OperatorKind.Multiply:
            {
                long e = rows * m.IntermediateSize;
                return op with { M = rows, N = m.IntermediateSize, Flops = e, InputA = Act(e), InputB = Act(e), Output = Act(e) };
            }
            case OperatorKind.ResidualAdd:
                return op with { M = rows, N = h, Flops = rows * h, InputA = Act(rows * h), InputB = Act(rows * h), Output = Act(rows * h) };
            default:
                throw new InvalidOperationException($"operator kind {t.Kind} has no layer instance");
        }
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
