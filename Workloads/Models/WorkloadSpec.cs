using CimSim.Common.Errors;

namespace CimSim.Workloads.Models;

/// <summary>
/// What is run: <see cref="Batch"/> independent sequences, each with <see cref="PromptTokens"/> prompt tokens
/// and <see cref="GeneratedTokens"/> generated tokens. As in Hugging Face `generate(max_new_tokens=G)`, the
/// prefill pass over the prompt produces the first generated token, and each of the G - 1 decode steps feeds
/// back one generated token: decode step s (1-based) sits at position P + s - 1 and attends over a KV cache of
/// P + s tokens (its own included).
/// </summary>
public sealed record WorkloadSpec(int Batch, int PromptTokens, int GeneratedTokens)
{
    /// <summary>The paper's energy workload shape: batch 1, 512 prompt tokens, 512 generated.</summary>
    public static WorkloadSpec Default { get; } = new(1, 512, 512);

    /// <summary>Decode steps after prefill: G - 1 (0 when G is 0 or 1).</summary>
    public int DecodeSteps => Math.Max(0, GeneratedTokens - 1);

    /// <summary>Longest KV cache per sequence: P + G - 1 (every token that went through the model).</summary>
    public int MaxKvLength => PromptTokens + DecodeSteps;

    /// <summary>Tokens that go through the model per sequence: P + G - 1.</summary>
    public int TokensProcessed => PromptTokens + DecodeSteps;

    /// <summary>KV length seen by decode step s (1-based): P + s.</summary>
    public int KvLengthAtDecodeStep(int step) => PromptTokens + step;

    /// <summary>Throws a <see cref="UserInputException"/> listing every bad field (flag names as the CLI spells them).</summary>
    public WorkloadSpec Validated(int? maxPositions = null)
    {
        var problems = new List<string>();
        if (Batch < 1) problems.Add($"--batch: found {Batch}, expected a positive integer");
        if (PromptTokens < 1) problems.Add($"--prompt: found {PromptTokens}, expected a positive integer");
        if (GeneratedTokens < 0) problems.Add($"--generate: found {GeneratedTokens}, expected 0 or more");
        if (maxPositions is int mp && PromptTokens + DecodeSteps > mp)
            problems.Add($"--prompt + --generate: {PromptTokens} + {GeneratedTokens} tokens exceed the model's max_position_embeddings ({mp})");
        if (problems.Count > 0) throw new UserInputException("invalid workload", problems);
        return this;
    }
}
