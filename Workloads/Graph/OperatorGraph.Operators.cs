using CimSim.Workloads.Models;

namespace CimSim.Workloads.Graph;

/// <summary>
/// How each operator's shape, MACs, FLOPs and operands follow from the model, the step and the layer
/// (the conventions of docs/workloads.md), one method per concern: norms, projections, LoRA, attention, element-wise.
/// </summary>
public sealed partial class OperatorGraph
{
    private Operand Act(long elements) => new(OperandKind.Activation, elements, Precision.ActivationBits);

    private Operand Weight(long elements) => new(OperandKind.StaticWeight, elements, Precision.WeightBits);

    private Operand LoraWeight(long elements) => new(OperandKind.StaticWeight, elements, Precision.LoraWeightBits);

    private Operand Kv(long elements) => new(OperandKind.KvCache, elements, Precision.KvBits);

    private Operator Embedding(StepShape step)
    {
        long rows = (long)Workload.Batch * step.Tokens, h = Model.HiddenSize;
        return new Operator
        {
            Index = 0,
            TemplateIndex = -1,
            Layer = -1,
            Kind = OperatorKind.Embedding,
            M = rows,
            N = h,
            Instances = 1,
            Flops = Model.ScaleEmbeddings ? rows * h : 0, // Gemma: rows x sqrt(hidden)
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
            Index = FinalNormIndex,
            TemplateIndex = -1,
            Layer = -1,
            Kind = OperatorKind.RmsNorm,
            M = rows,
            N = h,
            Instances = 1,
            Flops = 4 * rows * h,
            InputA = Act(rows * h),
            InputB = Weight(h),
            Output = Act(rows * h),
            Dependencies = new Dependencies(1, FinalNormIndex - 1),
        };
    }

    private Operator LmHead(StepShape step)
    {
        long rows = (long)Workload.Batch * step.LogitTokens, h = Model.HiddenSize, v = Model.VocabSize;
        long softcap = Model.FinalLogitSoftcap is null ? 0 : 3 * rows * v;
        return new Operator
        {
            Index = LmHeadIndex,
            TemplateIndex = -1,
            Layer = -1,
            Kind = OperatorKind.LmHead,
            M = rows,
            K = h,
            N = v,
            Instances = 1,
            Macs = rows * h * v,
            Flops = 2 * rows * h * v + softcap,
            InputA = Act(rows * h),
            InputB = Weight(h * v),
            Output = Act(rows * v),
            Dependencies = new Dependencies(1, FinalNormIndex),
        };
    }

    private Operator LayerOperator(StepShape step, int layer, OperatorTemplate t)
    {
        var start = LayerStart(layer);
        var layerInput = start - 1; // embedding (index 0) or the previous layer's last residual add
        var deps = t.LocalDependencies;
        int Dep(int i) => deps[i] == OperatorTemplate.LayerInput ? layerInput : start + deps[i];
        var op = new Operator
        {
            Index = start + t.Index,
            TemplateIndex = t.Index,
            Layer = layer,
            Kind = t.Kind,
            Module = t.Module,
            Instances = 1,
            Dependencies = deps.Length switch
            {
                0 => new Dependencies(0),
                1 => new Dependencies(1, Dep(0)),
                2 => new Dependencies(2, Dep(0), Dep(1)),
                _ => new Dependencies(3, Dep(0), Dep(1), Dep(2)),
            },
        };
        long rows = (long)Workload.Batch * step.Tokens;
        return t.Kind switch
        {
            OperatorKind.RmsNorm => NormOperator(op, rows, t.NormWidth),
            OperatorKind.Projection => ProjectionOperator(op, rows, t.Module!.Value),
            OperatorKind.LoraA or OperatorKind.LoraB or OperatorKind.LoraMerge => LoraOperator(op, Lora!.AppliesToLayer(layer) ? rows : 0, t.Module!.Value),
            OperatorKind.Rope or OperatorKind.KvWrite or OperatorKind.AttentionScore or OperatorKind.Softmax or OperatorKind.AttentionContext
                => AttentionOperator(op, step, Model.AttendedLength(layer, step.KvLength)),
            OperatorKind.Silu or OperatorKind.GeluTanh or OperatorKind.Multiply or OperatorKind.ResidualAdd => ElementwiseOperator(op, rows),
            _ => throw new InvalidOperationException($"operator kind {t.Kind} has no layer instance"),
        };
    }

    /// <summary>RMSNorm over the hidden vector, or over every query / key head (weight [head_dim], shared by the heads).</summary>
    private Operator NormOperator(Operator op, long rows, NormWidth width)
    {
        var m = Model;
        long n = width switch { NormWidth.QueryHeads => m.QueryDim, NormWidth.KeyHeads => m.KeyValueDim, _ => m.HiddenSize };
        long weight = width == NormWidth.Hidden ? m.HiddenSize : m.HeadDim;
        return op with { M = rows, N = n, Flops = 4 * rows * n, InputA = Act(rows * n), InputB = Weight(weight), Output = Act(rows * n) };
    }

    private Operator ProjectionOperator(Operator op, long rows, LinearModule mod)
    {
        var (inF, outF) = Model.Shape(mod);
        var bias = Model.HasBias(mod) ? outF : 0;
        long macs = rows * inF * outF;
        return op with
        {
            M = rows,
            K = inF,
            N = outF,
            Macs = macs,
            Flops = 2 * macs + rows * bias,
            InputA = Act(rows * inF),
            InputB = Weight((long)inF * outF + bias),
            Output = Act(rows * outF),
        };
    }

    /// <summary>LoRA A, B or merge; <paramref name="active"/> is 0 outside layers_to_transform (the operator stays, so indices are uniform).</summary>
    private Operator LoraOperator(Operator op, long active, LinearModule mod)
    {
        var (inF, outF) = Model.Shape(mod);
        var r = Lora!.Rank;
        return op.Kind switch
        {
            OperatorKind.LoraA => op with
            {
                M = active,
                K = inF,
                N = r,
                Macs = active * inF * r,
                Flops = 2 * active * inF * r,
                InputA = Act(active * inF),
                InputB = LoraWeight(active > 0 ? (long)inF * r : 0),
                Output = Act(active * r),
            },
            OperatorKind.LoraB => op with
            {
                M = active,
                K = r,
                N = outF,
                Macs = active * r * outF,
                Flops = 2 * active * r * outF,
                InputA = Act(active * r),
                InputB = LoraWeight(active > 0 ? (long)r * outF : 0),
                Output = Act(active * outF),
            },
            _ => op with
            {
                M = active,
                N = outF,
                Flops = 2 * active * outF,
                InputA = Act(active * outF),
                InputB = Act(active * outF),
                Output = Act(active * outF),
            },
        };
    }

    /// <summary>
    /// RoPE, KV write and the attention products. <paramref name="attended"/> is the KV length the layer attends to:
    /// the step's, or min(L, W) on a sliding-window layer (its cache keeps W entries; prefill is counted as the band).
    /// </summary>
    private Operator AttentionOperator(Operator op, StepShape step, long attended)
    {
        var m = Model;
        long b = Workload.Batch, tokens = step.Tokens, rows = b * tokens;
        long heads = m.NumAttentionHeads, hd = m.HeadDim, kvDim = m.KeyValueDim, inst = b * heads;
        switch (op.Kind)
        {
            case OperatorKind.Rope:
                {
                    long width = m.QueryDim + kvDim;
                    return op with { M = rows, N = width, Flops = 3 * rows * width, InputA = Act(rows * width), Output = Act(rows * width) };
                }
            case OperatorKind.KvWrite:
                return op with { M = rows, N = 2 * kvDim, InputA = Act(rows * 2 * kvDim), Output = Kv(rows * 2 * kvDim) };
            case OperatorKind.AttentionScore:
                {
                    long macs = inst * tokens * hd * attended;
                    return op with
                    {
                        Instances = inst,
                        M = tokens,
                        K = hd,
                        N = attended,
                        Macs = macs,
                        Flops = 2 * macs,
                        InputA = Act(inst * tokens * hd),
                        InputB = Kv(b * kvDim * attended),
                        Output = Act(inst * tokens * attended),
                    };
                }
            case OperatorKind.Softmax:
                {
                    long e = inst * tokens * attended, perElement = m.AttentionSoftcap is null ? 6 : 9;
                    return op with { Instances = inst, M = tokens, N = attended, Flops = perElement * e, InputA = Act(e), Output = Act(e) };
                }
            default: // AttentionContext
                {
                    long macs = inst * tokens * attended * hd;
                    return op with
                    {
                        Instances = inst,
                        M = tokens,
                        K = attended,
                        N = hd,
                        Macs = macs,
                        Flops = 2 * macs,
                        InputA = Act(inst * tokens * attended),
                        InputB = Kv(b * kvDim * attended),
                        Output = Act(inst * tokens * hd),
                    };
                }
        }
    }

    /// <summary>The MLP activation (SiLU 4, GELU-tanh 8 FLOPs per element), the gate x up product and residual adds.</summary>
    private Operator ElementwiseOperator(Operator op, long rows)
    {
        long ffn = Model.IntermediateSize, h = Model.HiddenSize;
        return op.Kind switch
        {
            OperatorKind.Silu => op with { M = rows, N = ffn, Flops = 4 * rows * ffn, InputA = Act(rows * ffn), Output = Act(rows * ffn) },
            OperatorKind.GeluTanh => op with { M = rows, N = ffn, Flops = 8 * rows * ffn, InputA = Act(rows * ffn), Output = Act(rows * ffn) },
            OperatorKind.Multiply => op with { M = rows, N = ffn, Flops = rows * ffn, InputA = Act(rows * ffn), InputB = Act(rows * ffn), Output = Act(rows * ffn) },
            _ => op with { M = rows, N = h, Flops = rows * h, InputA = Act(rows * h), InputB = Act(rows * h), Output = Act(rows * h) },
        };
    }
}
