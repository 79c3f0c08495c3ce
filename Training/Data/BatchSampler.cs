using CimSim.Common.Random;
using static TorchSharp.torch;

namespace CimSim.Training.Data;

/// <summary>
/// Deterministic batches: epoch e visits the examples in a permutation drawn from RandomStreams(seed,
/// "data-order/epoch-e"); batch number s is a pure function of (seed, s), so a resumed run sees exactly the batches
/// the uninterrupted one would have.
/// </summary>
public sealed class BatchSampler
{
    private readonly IReadOnlyList<TrainingExample> examples;
    private readonly ulong seed;
    private readonly int batchSize;
    private readonly int padId;
    private readonly Dictionary<long, int[]> permutations = [];

    public BatchSampler(IReadOnlyList<TrainingExample> examples, int batchSize, ulong seed, int padId)
    {
        this.examples = examples;
        this.batchSize = batchSize;
        this.seed = seed;
        this.padId = padId;
    }

    public const long IgnoreIndex = -100;

    private int[] Permutation(long epoch)
    {
        if (!permutations.TryGetValue(epoch, out var perm))
        {
            var rng = RandomStreams.Create(seed, $"data-order/epoch-{epoch}");
            perm = Enumerable.Range(0, examples.Count).ToArray();
            for (var i = perm.Length - 1; i > 0; i--)
            {
                var j = rng.Next(i + 1);
                (perm[i], perm[j]) = (perm[j], perm[i]);
            }
            if (permutations.Count > 4) permutations.Clear();
            permutations[epoch] = perm;
        }
        return perm;
    }

    /// <summary>The examples of batch number <paramref name="step"/>.</summary>
    public IReadOnlyList<TrainingExample> ExamplesOf(long step)
    {
        var list = new List<TrainingExample>(batchSize);
        for (long k = step * batchSize; k < (step + 1) * batchSize; k++)
        {
            var epoch = k / examples.Count;
            list.Add(examples[Permutation(epoch)[k % examples.Count]]);
        }
        return list;
    }

    /// <summary>Token ids [B, T] (right-padded) and next-token labels [B, T] (-100 where not scored), plus the number of scored tokens.</summary>
    public (Tensor Ids, Tensor Labels, long ScoredTokens, long Tokens) Batch(long step)
    {
        var batch = ExamplesOf(step);
        return Collate(batch, padId);
    }

    public static (Tensor Ids, Tensor Labels, long ScoredTokens, long Tokens) Collate(IReadOnlyList<TrainingExample> batch, int padId)
    {
        var t = batch.Max(e => e.Length);
        var ids = new long[batch.Count * t];
        var labels = new long[batch.Count * t];
        Array.Fill(ids, padId);
        Array.Fill(labels, IgnoreIndex);
        long scored = 0, tokens = 0;
        for (var b = 0; b < batch.Count; b++)
        {
            var e = batch[b];
            var row = b * t;
            for (var i = 0; i < e.Prompt.Length; i++) ids[row + i] = e.Prompt[i];
            for (var i = 0; i < e.Target.Length; i++)
            {
                ids[row + e.Prompt.Length + i] = e.Target[i];
                // Position p predicts token p+1: the label of the position before each target token.
                labels[row + e.Prompt.Length + i - 1] = e.Target[i];
                scored++;
            }
            tokens += e.Length;
        }
        return (tensor(ids, new long[] { batch.Count, t }), tensor(labels, new long[] { batch.Count, t }), scored, tokens);
    }
}
