namespace CimSim.Simulator.Scheduling;

/// <summary>The projections of a decoder layer in the scheduler's own terms (Qkv and GateUp: Phi-3's fused matrices).</summary>
public enum Projection { Q, K, V, O, Gate, Up, Down, Qkv, GateUp }

/// <summary>
/// The shape of the workload the scheduler and the GPU model play: model dimensions, LoRA rank and targets,
/// batch, prompt and generated tokens. Built from the workloads' model and LoRA specs (or by hand in tests).
/// </summary>
public sealed record TransformerShape
{
    public required string ModelName { get; init; }
    public required int Hidden { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int Intermediate { get; init; }
    public required int Vocab { get; init; }
    public int LoraRank { get; init; }
    public IReadOnlySet<Projection> LoraTargets { get; init; } = new HashSet<Projection>();

    /// <summary>The projections one layer has (the seven separate ones unless the model fuses some).</summary>
    public IReadOnlyList<Projection> Projections { get; init; } = [Projection.Q, Projection.K, Projection.V, Projection.O, Projection.Gate, Projection.Up, Projection.Down];
    public required int Batch { get; init; }
    public required int PromptTokens { get; init; }
    public required int GeneratedTokens { get; init; }

    public int QueryDim => Heads * HeadDim;
    public int KvDim => KvHeads * HeadDim;

    public (int In, int Out) Shape(Projection p) => p switch
    {
        Projection.Q => (Hidden, QueryDim),
        Projection.K or Projection.V => (Hidden, KvDim),
        Projection.O => (QueryDim, Hidden),
        Projection.Gate or Projection.Up => (Hidden, Intermediate),
        Projection.Down => (Intermediate, Hidden),
        Projection.Qkv => (Hidden, QueryDim + 2 * KvDim),
        Projection.GateUp => (Hidden, 2 * Intermediate),
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    public bool HasLora(Projection p) => LoraRank > 0 && LoraTargets.Contains(p);

    /// <summary>Decode steps that run the model: the first generated token comes from prefill, so G - 1.</summary>
    public int DecodeSteps => Math.Max(0, GeneratedTokens - 1);

    public static string ProjectionName(Projection p) => p switch
    {
        Projection.Q => "q_proj",
        Projection.K => "k_proj",
        Projection.V => "v_proj",
        Projection.O => "o_proj",
        Projection.Gate => "gate_proj",
        Projection.Up => "up_proj",
        Projection.Down => "down_proj",
        Projection.Qkv => "qkv_proj",
        Projection.GateUp => "gate_up_proj",
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };
}
