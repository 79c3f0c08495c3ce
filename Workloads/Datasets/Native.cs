using System.Text.Json;

namespace CimSim.Workloads.Datasets;

/// <summary>CimSim's own JSONL records: {"text": string} and {"question": string, "choices": [string, ...], "answer": ...}.</summary>
internal static class Native
{
    internal static bool IsText(JsonElement e) => e.TryGetProperty("text", out _);

    internal static bool IsQuestion(JsonElement e) => e.TryGetProperty("question", out _);

    internal static EvalItem? Read(JsonRecord r, out string problem)
    {
        problem = "";
        var e = r.Value;
        if (IsQuestion(e)) return ReadQuestion(r, e, ref problem);
        var t = e.GetProperty("text");
        if (t.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(t.GetString()))
        {
            problem = $"\"text\" is {t.GetRawText()}, expected a non-empty string";
            return null;
        }
        return new TextItem(r.Line, t.GetString()!);
    }

    private static ChoiceItem? ReadQuestion(JsonRecord r, JsonElement e, ref string problem)
    {
        var q = e.GetProperty("question");
        if (q.ValueKind != JsonValueKind.String)
        {
            problem = $"\"question\" is {q.GetRawText()}, expected a string";
            return null;
        }
        var choices = Choices(e, ref problem);
        if (choices is null) return null;
        if (!e.TryGetProperty("answer", out var a))
        {
            problem = "\"answer\" is missing, expected the index of the right choice";
            return null;
        }
        var answer = AnswerSyntax.Parse(a, choices, out problem);
        return answer is null ? null : new ChoiceItem(r.Line, q.GetString()!, choices, answer.Value);
    }

    /// <summary>"choices" as a list of at least two strings, or null with the problem.</summary>
    internal static List<string>? Choices(JsonElement e, ref string problem)
    {
        if (!e.TryGetProperty("choices", out var c) || c.ValueKind != JsonValueKind.Array || c.GetArrayLength() < 2
            || c.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
        {
            problem = $"\"choices\" is {(e.TryGetProperty("choices", out var cc) ? cc.GetRawText() : "missing")}, expected an array of at least 2 strings";
            return null;
        }
        return c.EnumerateArray().Select(x => x.GetString()!).ToList();
    }
}
