using System.Text.Json;
using CimSim.Common.Errors;

namespace CimSim.Training.Data;

/// <summary>Which JSONL layout a data file has; detected from the first record's keys.</summary>
public enum DataFormat
{
    /// <summary>LLM-Adapters instruction data (commonsense_170k): {"instruction", "input", "output"}.</summary>
    Instruction,

    /// <summary>The multiple-choice JSONL of `cimsim accuracy`: {"question", "choices", "answer"}; trains on the right choice.</summary>
    MultipleChoice,

    /// <summary>Plain text {"text"} (pretraining): every token is scored.</summary>
    Text,
}

/// <summary>
/// Reads training JSONL into tokenised examples. Prompt formats:
/// instruction data uses the LLM-Adapters (Alpaca) template unless <c>plainPrompt</c> is set;
/// multiple-choice records become <see cref="MultipleChoicePrompt"/> + " " + the right choice, the same
/// context/continuation split `cimsim accuracy` scores.
/// </summary>
public static class JsonlDataset
{
    /// <summary>The LLM-Adapters finetune.py template (with input).</summary>
    public const string AlpacaWithInput =
        "Below is an instruction that describes a task, paired with an input that provides further context. " +
        "Write a response that appropriately completes the request.\n\n### Instruction:\n{0}\n\n### Input:\n{1}\n\n### Response:\n";

    /// <summary>The LLM-Adapters finetune.py template (without input).</summary>
    public const string AlpacaNoInput =
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
        "### Instruction:\n{0}\n\n### Response:\n";

    /// <summary>The context of a multiple-choice record (the question text itself; the choice follows after a space).</summary>
    public static string MultipleChoicePrompt(string question) => question;

    /// <summary>The continuation scored for one choice.</summary>
    public static string MultipleChoiceContinuation(string choice) => " " + choice;

    public static (List<TrainingExample> Examples, DataFormat Format) Load(string path, ITokenizer tokenizer, int maxLength, bool plainPrompt = false)
    {
        if (!File.Exists(path)) throw new UserInputException($"--data: file '{path}' not found");
        var examples = new List<TrainingExample>();
        var problems = new List<string>();
        DataFormat? format = null;
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(line);
                root = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                problems.Add($"{path}:{lineNo}: not valid JSON ({ex.Message})");
                continue;
            }
            if (root.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"{path}:{lineNo}: found {root.ValueKind}, expected a JSON object");
                continue;
            }
            format ??= Detect(root);
            if (format is null)
            {
                problems.Add($"{path}:{lineNo}: keys {{{string.Join(", ", root.EnumerateObject().Select(p => p.Name))}}}; expected instruction/input/output, question/choices/answer, or text");
                break;
            }
            var ex2 = format switch
            {
                DataFormat.Instruction => Instruction(root, path, lineNo, problems, plainPrompt),
                DataFormat.MultipleChoice => MultipleChoice(root, path, lineNo, problems),
                _ => Text(root, path, lineNo, problems),
            };
            if (ex2 is null) continue;
            var (prompt, target) = ex2.Value;
            var (p, t) = SplitEncode(tokenizer, prompt, target);
            if (tokenizer.BosId is int bos) p = [bos, .. p];
            if (format != DataFormat.MultipleChoice && tokenizer.EosId is int eos) t = [.. t, eos];
            if (p.Length == 0 && format != DataFormat.Text)
            {
                // Nothing to condition on: the first target token becomes the context (it cannot be predicted).
                if (t.Length < 2) continue;
                p = t[..1];
                t = t[1..];
            }
            if (format == DataFormat.Text)
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
            if (p.Length + t.Length > maxLength)
            {
                // Keep the target whole and the end of the prompt (the part next to the answer).
                var keep = Math.Max(1, maxLength - t.Length);
                p = p[^Math.Min(keep, p.Length)..];
                if (p.Length + t.Length > maxLength) t = t[..(maxLength - p.Length)];
            }
            examples.Add(new TrainingExample(p, t));
        }
        if (problems.Count > 0) throw new UserInputException($"{path}: {problems.Count} problem(s) in the training data", problems);
        if (examples.Count == 0) throw new UserInputException($"{path}: no examples found; expected JSONL records");
        return (examples, format!.Value);
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

    private static DataFormat? Detect(JsonElement root)
    {
        if (root.TryGetProperty("instruction", out _) && root.TryGetProperty("output", out _)) return DataFormat.Instruction;
        if (root.TryGetProperty("question", out _) && root.TryGetProperty("choices", out _)) return DataFormat.MultipleChoice;
        if (root.TryGetProperty("text", out _)) return DataFormat.Text;
        return null;
    }

    private static string? Str(JsonElement root, string key, string path, int line, List<string> problems, bool required = true)
    {
        if (!root.TryGetProperty(key, out var v))
        {
            if (required) problems.Add($"{path}:{line}: key '{key}' is missing");
            return null;
        }
        if (v.ValueKind != JsonValueKind.String)
        {
            problems.Add($"{path}:{line}: key '{key}': found {v.ValueKind}, expected a string");
            return null;
        }
        return v.GetString();
    }

    private static (string, string)? Instruction(JsonElement root, string path, int line, List<string> problems, bool plain)
    {
        var instruction = Str(root, "instruction", path, line, problems);
        var input = Str(root, "input", path, line, problems, required: false) ?? "";
        var output = Str(root, "output", path, line, problems);
        if (instruction is null || output is null) return null;
        string prompt = plain
            ? (input.Length > 0 ? $"{instruction}\n{input}\n" : $"{instruction}\n")
            : (input.Length > 0 ? string.Format(AlpacaWithInput, instruction, input) : string.Format(AlpacaNoInput, instruction));
        return (prompt, output);
    }

    private static (string, string)? MultipleChoice(JsonElement root, string path, int line, List<string> problems)
    {
        var question = Str(root, "question", path, line, problems);
        if (!root.TryGetProperty("choices", out var ch) || ch.ValueKind != JsonValueKind.Array || ch.GetArrayLength() < 2
            || ch.EnumerateArray().Any(c => c.ValueKind != JsonValueKind.String))
        {
            problems.Add($"{path}:{line}: key 'choices': expected an array of at least two strings");
            return null;
        }
        var choices = ch.EnumerateArray().Select(c => c.GetString()!).ToArray();
        var answer = AnswerIndex(root, choices, path, line, problems);
        if (question is null || answer is null) return null;
        return (MultipleChoicePrompt(question), MultipleChoiceContinuation(choices[answer.Value]));
    }

    /// <summary>"answer" as a 0-based index, a letter (A, B, ...) or the text of a choice.</summary>
    public static int? AnswerIndex(JsonElement root, string[] choices, string path, int line, List<string> problems)
    {
        if (!root.TryGetProperty("answer", out var a))
        {
            problems.Add($"{path}:{line}: key 'answer' is missing");
            return null;
        }
        if (a.ValueKind == JsonValueKind.Number && a.TryGetInt32(out var idx) && idx >= 0 && idx < choices.Length) return idx;
        if (a.ValueKind == JsonValueKind.String)
        {
            var s = a.GetString()!;
            var byText = Array.IndexOf(choices, s);
            if (byText >= 0) return byText;
            if (s.Length == 1 && char.IsLetter(s[0]) && char.ToUpperInvariant(s[0]) - 'A' < choices.Length) return char.ToUpperInvariant(s[0]) - 'A';
        }
        problems.Add($"{path}:{line}: key 'answer': found {a.GetRawText()}, expected an index 0..{choices.Length - 1}, a letter or a choice's text");
        return null;
    }

    private static (string, string)? Text(JsonElement root, string path, int line, List<string> problems)
    {
        var text = Str(root, "text", path, line, problems);
        return text is null ? null : ("", text);
    }
}
