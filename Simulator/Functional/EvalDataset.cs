using System.Text.Json;
using CimSim.Common.Errors;

namespace CimSim.Simulator.Functional;

/// <summary>One evaluation record of a JSONL file: a text for perplexity, or a multiple-choice question.</summary>
public abstract record EvalItem(int Line);

/// <summary>{"text": ...}: scored by perplexity, KL and top-1 agreement.</summary>
public sealed record TextItem(int Line, string Text) : EvalItem(Line);

/// <summary>{"question", "choices", "answer"}: scored by the log-likelihood of each choice after the question.</summary>
public sealed record ChoiceItem(int Line, string Question, IReadOnlyList<string> Choices, int Answer) : EvalItem(Line);

/// <summary>
/// Reads evaluation JSONL: each non-empty line one object, either {"text": "..."} or
/// {"question": "...", "choices": ["...", ...], "answer": index | "choice text" | "A".."Z"}. Every bad line is
/// reported at once as FILE:LINE with what was found and expected.
/// </summary>
public static class EvalDataset
{
    public static IReadOnlyList<EvalItem> Load(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: data file not found (expected JSONL with {{\"text\"}} or {{\"question\",\"choices\",\"answer\"}} lines)");
        return Parse(File.ReadAllLines(path), path);
    }

    public static IReadOnlyList<EvalItem> Parse(IReadOnlyList<string> lines, string source)
    {
        var items = new List<EvalItem>();
        var problems = new List<string>();
        for (int i = 0; i < lines.Count; i++)
        {
            int line = i + 1;
            var text = lines[i].Trim();
            if (text.Length == 0) continue;
            try
            {
                using var doc = JsonDocument.Parse(text);
                var item = ParseItem(doc.RootElement, line, out var problem);
                if (item is not null) items.Add(item);
                else problems.Add($"{source}:{line}: {problem}");
            }
            catch (JsonException ex)
            {
                problems.Add($"{source}:{line}: not valid JSON ({ex.Message.Split(". ")[0]})");
            }
        }
        if (problems.Count > 0) throw new UserInputException($"{source}: {problems.Count} bad line(s)", problems);
        if (items.Count == 0) throw new UserInputException($"{source}: no records (expected JSONL lines with \"text\" or \"question\"/\"choices\"/\"answer\")");
        return items;
    }

    private static EvalItem? ParseItem(JsonElement e, int line, out string problem)
    {
        problem = "";
        if (e.ValueKind != JsonValueKind.Object)
        {
            problem = $"found a JSON {e.ValueKind}, expected an object";
            return null;
        }
        if (e.TryGetProperty("text", out var t))
        {
            if (t.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(t.GetString()))
            {
                problem = $"\"text\" is {t.GetRawText()}, expected a non-empty string";
                return null;
            }
            return new TextItem(line, t.GetString()!);
        }
        if (!e.TryGetProperty("question", out var q) || q.ValueKind != JsonValueKind.String)
        {
            problem = "expected {\"text\": string} or {\"question\": string, \"choices\": [string, ...], \"answer\": index}";
            return null;
        }
        if (!e.TryGetProperty("choices", out var c) || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() < 2
            || c.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
        {
            problem = $"\"choices\" is {(e.TryGetProperty("choices", out var cc) ? cc.GetRawText() : "missing")}, expected an array of at least 2 strings";
            return null;
        }
        var choices = c.EnumerateArray().Select(x => x.GetString()!).ToList();
        if (!e.TryGetProperty("answer", out var a))
        {
            problem = "\"answer\" is missing, expected the index of the right choice";
            return null;
        }
        int answer = -1;
        if (a.ValueKind == JsonValueKind.Number && a.TryGetInt32(out var idx)) answer = idx;
        else if (a.ValueKind == JsonValueKind.String)
        {
            var s = a.GetString()!;
            answer = choices.IndexOf(s);
            if (answer < 0 && s.Length == 1 && char.IsAsciiLetterUpper(s[0])) answer = s[0] - 'A';
            if (answer < 0 && int.TryParse(s, out var si)) answer = si;
        }
        if (answer < 0 || answer >= choices.Count)
        {
            problem = $"\"answer\" is {a.GetRawText()}, expected an index 0..{choices.Count - 1}, a letter A..{(char)('A' + choices.Count - 1)} or one of the choices";
            return null;
        }
        return new ChoiceItem(line, q.GetString()!, choices, answer);
    }
}
