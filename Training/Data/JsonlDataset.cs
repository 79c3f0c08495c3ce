using CimSim.Common.Errors;
using CimSim.Workloads.Datasets;

namespace CimSim.Training.Data;

/// <summary>
/// Tokenises training data read by the one dataset reader (<see cref="DatasetReader"/>, docs/workloads.md).
/// Instruction records use the LLM-Adapters (Alpaca) template unless <c>plainPrompt</c> is set; multiple-choice
/// records become the context + the right choice's continuation, the same split `cimsim accuracy` scores.
/// </summary>
public static class JsonlDataset
{
    public static (List<TrainingExample> Examples, DatasetFormat Format) Load(string path, ITokenizer tokenizer, int maxLength, bool plainPrompt = false)
    {
        var data = DatasetReader.Load(path, new DatasetOptions(Use: DatasetUse.Training, PlainPrompt: plainPrompt));
        var examples = new List<TrainingExample>();
        foreach (var item in data.Items)
        {
            var (prompt, target) = item switch
            {
                InstructionItem i => (LlmAdaptersFormat.Prompt(i.Instruction, i.Input, plainPrompt), i.Output),
                ChoiceItem c => (c.Context, c.Continuation(c.Answer)),
                TextItem text => ("", text.Text),
                _ => throw new InvalidOperationException($"unhandled data record {item.GetType().Name}"),
            };
            var (p, t) = SplitEncode(tokenizer, prompt, target);
            if (tokenizer.BosId is int bos) p = [bos, .. p];
            if (item is not ChoiceItem && tokenizer.EosId is int eos) t = [.. t, eos];
            if (item is TextItem)
            {
                // Text: score every token; long documents become consecutive windows of maxLength.
                var all = p.Concat(t).ToArray();
                if (all.Length < 2) continue;
                for (var s = 0; s < all.Length - 1; s += maxLength)
                {
                    var chunk = all.AsSpan(s, Math.Min(maxLength, all.Length - s)).ToArray();
                    if (chunk.Length >= 2) examples.Add(new TrainingExample([chunk[0]], chunk[1..]));
                }
                continue;
            }
            if (p.Length == 0)
            {
                // Nothing to condition on: the first target token becomes the context (it cannot be predicted).
                if (t.Length < 2) continue;
                p = t[..1];
                t = t[1..];
            }
            if (p.Length + t.Length > maxLength)
            {
                // Keep the target whole and the end of the prompt (the part next to the answer).
                var keep = Math.Max(1, maxLength - t.Length);
                p = p[^Math.Min(keep, p.Length)..];
                if (p.Length + t.Length > maxLength) t = t[..(maxLength - p.Length)];
            }
            examples.Add(new TrainingExample(p, t));
        }
        if (examples.Count == 0) throw new UserInputException($"{path}: no training examples (every record tokenised to fewer than 2 tokens)");
        return (examples, data.Format);
    }

    /// <summary>
    /// Encodes prompt + target together and splits at the prompt's own length, as lm-evaluation-harness and
    /// `cimsim accuracy` do (a BPE may merge across the boundary); the target keeps at least one token.
    /// </summary>
    public static (int[] Prompt, int[] Target) SplitEncode(ITokenizer tokenizer, string prompt, string target)
    {
        var whole = tokenizer.Encode(prompt + target);
        var from = Math.Min(tokenizer.Encode(prompt).Length, whole.Length - 1);
        return (whole[..from], whole[from..]);
    }
}
