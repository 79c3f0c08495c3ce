using CimSim.Common.Errors;
using CimSim.Training.Data;
using CimSim.Workloads.Datasets;
using CimSim.Training.Model;
using static TorchSharp.torch;

namespace CimSim.Training.Evaluation;

/// <summary>One multiple-choice item, tokenised: the context and each choice's continuation.</summary>
public sealed record MultipleChoiceItem(int[] Context, int[][] Continuations, int Answer);

/// <summary>
/// Multiple-choice accuracy by log-likelihood, as lm-evaluation-harness scores it ("acc"): the choice whose
/// continuation tokens have the highest summed log-probability after the context wins. The trainer uses it for a
/// quick accuracy before and after finetuning; the hardware evaluation is `cimsim accuracy`.
/// </summary>
public static class MultipleChoiceScorer
{
    /// <summary>The multiple-choice records of an evaluation file (any format of <see cref="DatasetReader"/>), tokenised.</summary>
    public static List<MultipleChoiceItem> Load(string path, ITokenizer tok, bool plainPrompt = false)
    {
        var data = DatasetReader.Load(path, new DatasetOptions(PlainPrompt: plainPrompt));
        var items = new List<MultipleChoiceItem>();
        var problems = new List<string>();
        foreach (var item in data.Items)
        {
            if (item is not ChoiceItem c)
            {
                problems.Add($"{path}:{item.Line}: a {item.GetType().Name} record; --eval needs multiple-choice records");
                continue;
            }
            // Scored like `cimsim accuracy`: no BOS, context + continuation encoded together and split.
            var conts = Enumerable.Range(0, c.Choices.Count).Select(k => JsonlDataset.SplitEncode(tok, c.Context, c.Continuation(k))).ToArray();
            if (conts.Any(x => x.Prompt.Length != conts[0].Prompt.Length))
            {
                problems.Add($"{path}:{c.Line}: the tokenizer merges the question with a choice differently per choice");
                continue;
            }
            items.Add(new MultipleChoiceItem(conts[0].Prompt, conts.Select(x => x.Target).ToArray(), c.Answer));
        }
        if (problems.Count > 0) throw new UserInputException($"{path}: {problems.Count} problem(s) in the multiple-choice data", problems);
        return items;
    }

    /// <summary>Fraction of items whose right choice has the highest summed log-likelihood.</summary>
    public static double Accuracy(CausalLm model, IReadOnlyList<MultipleChoiceItem> items, int batchSize = 32)
    {
        var wasTraining = model.training;
        model.eval();
        using var _ = no_grad();
        // Flatten every (item, choice) pair into one sequence; score in batches.
        var seqs = new List<(int Item, int Choice, int[] Tokens, int ContextLength)>();
        for (var i = 0; i < items.Count; i++)
        {
            for (var c = 0; c < items[i].Continuations.Length; c++)
            {
                seqs.Add((i, c, [.. items[i].Context, .. items[i].Continuations[c]], items[i].Context.Length));
            }
        }
        var scores = items.Select(it => new double[it.Continuations.Length]).ToArray();
        for (var s = 0; s < seqs.Count; s += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = seqs.Skip(s).Take(batchSize).ToList();
            var t = chunk.Max(x => x.Tokens.Length);
            var ids = new long[chunk.Count * t];
            for (var b = 0; b < chunk.Count; b++)
            {
                for (var k = 0; k < chunk[b].Tokens.Length; k++) ids[b * t + k] = chunk[b].Tokens[k];
            }
            var logp = nn.functional.log_softmax(model.forward(tensor(ids, new long[] { chunk.Count, t })), -1);
            var lp = logp.to_type(ScalarType.Float32).contiguous();
            var v = logp.shape[2];
            var data = lp.data<float>();
            for (var b = 0; b < chunk.Count; b++)
            {
                double sum = 0;
                for (var k = chunk[b].ContextLength; k < chunk[b].Tokens.Length; k++)
                {
                    sum += data[((long)b * t + k - 1) * v + chunk[b].Tokens[k]];
                }
                scores[chunk[b].Item][chunk[b].Choice] = sum;
            }
        }
        var correct = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var best = 0;
            for (var c = 1; c < scores[i].Length; c++)
            {
                if (scores[i][c] > scores[i][best]) best = c;
            }
            if (best == items[i].Answer) correct++;
        }
        if (wasTraining) model.train();
        return items.Count == 0 ? double.NaN : (double)correct / items.Count;
    }
}
