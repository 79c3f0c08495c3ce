namespace CimSim.Workloads.Graph;

/// <summary>One tensor an operator reads or writes: its kind, element count and storage precision.</summary>
public readonly record struct Operand(OperandKind Kind, long Elements, int Bits)
{
    public static Operand None => default;

    /// <summary>Storage bytes: ceil(elements x bits / 8).</summary>
    public long Bytes => (Elements * Bits + 7) / 8;

    public bool IsStatic => Kind == OperandKind.StaticWeight;
}

/// <summary>Storage precision of each tensor class in an operator graph (default W8A8 with an 8-bit KV cache, the paper's setting).</summary>
public sealed record GraphPrecision
{
    /// <summary>W0 weights, norm weights, embedding table, lm_head.</summary>
    public int WeightBits { get; init; } = 8;

    /// <summary>LoRA A and B.</summary>
    public int LoraWeightBits { get; init; } = 8;

    /// <summary>Activations between operators.</summary>
    public int ActivationBits { get; init; } = 8;

    /// <summary>KV-cache entries.</summary>
    public int KvBits { get; init; } = 8;

    /// <summary>W8A8, 8-bit KV (HaLoRA, REFERENCES.md section 1).</summary>
    public static GraphPrecision W8A8 { get; } = new();

    /// <summary>Everything in 16 bits (a BF16/FP16 GPU run).</summary>
    public static GraphPrecision Bf16 { get; } = new() { WeightBits = 16, LoraWeightBits = 16, ActivationBits = 16, KvBits = 16 };
}

/// <summary>
/// Up to three dependencies of an operator, as indices of operators in the same step (in
/// <see cref="OperatorGraph.Operators"/> order); no allocation.
/// </summary>
public readonly struct Dependencies
{
    private readonly int _a, _b, _c;

    public Dependencies(int count, int a = -1, int b = -1, int c = -1)
    {
        Count = count;
        _a = a;
        _b = b;
        _c = c;
    }

    public int Count { get; }

    public int this[int i] => i switch
    {
        0 when Count > 0 => _a,
        1 when Count > 1 => _b,
        2 when Count > 2 => _c,
        _ => throw new ArgumentOutOfRangeException(nameof(i)),
    };

    public int[] ToArray()
    {
        var r = new int[Count];
        for (var i = 0; i < Count; i++) r[i] = this[i];
        return r;
    }
}
