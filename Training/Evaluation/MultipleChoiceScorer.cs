using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Training.Data;
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
    public static List<MultipleChoiceItem> Load(string path, ITokenizer tok)
    {
        if (!File.Exists(path)) throw new UserInputException($"--eval: file '{path}' not found");
        var items = new List<MultipleChoiceItem>();
        var problems = new List<string>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var q = root.GetProperty("question").GetString() ?? "";
                var choices = root.GetProperty("choices").EnumerateArray().Select(c => c.GetString() ?? "").ToArray();
                var answer = JsonlDataset.AnswerIndex(root, choices, path, lineNo, problems);
                if (answer is null) continue;
                // Scored like `cimsim accuracy`: no BOS, context + continuation encoded together and split.
                var prompt = JsonlDataset.MultipleChoicePrompt(q);
                var ctx = JsonlDataset.SplitEncode(tok, prompt, JsonlDataset.MultipleChoiceContinuation(choices[0])).Prompt;
                var conts = choices.Select(c => JsonlDataset.SplitEncode(tok, prompt, JsonlDataset.MultipleChoiceContinuation(c))).ToArray();
                if (conts.Any(c => c.Prompt.Length != ctx.Length)) throw new InvalidOperationException("the tokenizer merges the question with a choice differently per choice");
                items.Add(new MultipleChoiceItem(ctx, conts.Select(c => c.Target).ToArray(), answer.Value));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                problems.Add($"{path}:{lineNo}: expected {{\"question\": string, \"choices\": [strings], \"answer\": index}} ({ex.Message})");
            }
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
