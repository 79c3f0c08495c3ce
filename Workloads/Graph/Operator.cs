using CimSim.Workloads.Models;

namespace CimSim.Workloads.Graph;

/// <summary>
/// One operator instance in one step (a value, made on the fly by <see cref="OperatorGraph"/>; no allocation).
/// Matrix products are Instances x ([M,K] x [K,N]); vector operators have K = 0 and work on M x N elements.
/// </summary>
public readonly struct Operator
{
    /// <summary>Position in the step (topological order); <see cref="Dependencies"/> use these indices.</summary>
    public int Index { get; init; }

    /// <summary>Index in <see cref="OperatorGraph.LayerTemplate"/>, or -1 for embedding, final norm and lm_head.</summary>
    public int TemplateIndex { get; init; }

    /// <summary>Decoder layer, or -1 outside the layers.</summary>
    public int Layer { get; init; }

    public OperatorKind Kind { get; init; }

    /// <summary>The projection this operator belongs to (W0 projection or its LoRA branch), else null.</summary>
    public LinearModule? Module { get; init; }

    public long M { get; init; }

    public long K { get; init; }

    public long N { get; init; }

    /// <summary>Independent products of this shape (batch x query heads for attention, else 1).</summary>
    public long Instances { get; init; }

    public long Macs { get; init; }

    public long Flops { get; init; }

    /// <summary>Left input (activations [M,K], or the vector op's input).</summary>
    public Operand InputA { get; init; }

    /// <summary>Right input: a static weight (projections, LoRA, norm weight, embedding rows), the KV cache (attention) or a second activation.</summary>
    public Operand InputB { get; init; }

    public Operand Output { get; init; }

    public Dependencies Dependencies { get; init; }

    public long BytesRead => InputA.Bytes + InputB.Bytes;

    public long BytesWritten => Output.Bytes;

    /// <summary>True for W0 projections and lm_head: the operators whose weights go to crossbars.</summary>
    public bool IsStaticMatmul => Kind is OperatorKind.Projection or OperatorKind.LmHead;

    /// <summary>True for QK^T and PV: products of two dynamic operands.</summary>
    public bool IsDynamicMatmul => Kind is OperatorKind.AttentionScore or OperatorKind.AttentionContext;

    public override string ToString() => $"#{Index} L{Layer} {Kind} {Module} [{Instances}x {M}x{K}x{N}] macs={Macs}";
}
