using System.Text.Json;

namespace CimSim.Workloads.Datasets;

/// <summary>
/// lm-evaluation-harness multiple choice (github.com/EleutherAI/lm-evaluation-harness), two layouts:
/// <list type="bullet">
/// <item>the per-sample log of `lm_eval --log_samples` (samples_TASK_DATE.jsonl): "arguments" holds one
/// (context, continuation) pair per choice, as {"gen_args_0": {"arg_0": ctx, "arg_1": cont}, ...} (v0.4) or
/// [[ctx, cont], ...] (older), and "target" the right choice. These are exactly the strings lm-eval scored, few-shot
/// examples and task template included, so CimSim scores the same pairs.</item>
/// <item>processed docs {"query", "choices", "gold"} (the harness's ARC/HellaSwag/PIQA `_process_doc` output):
/// context "query", continuation " " + choice.</item>
/// </list>
/// "target"/"gold" follow <see cref="AnswerSyntax"/> against the choices (continuations without the " " delimiter).
/// </summary>
public static class LmEvalFormat
{
    internal static bool IsSample(JsonElement e) => e.TryGetProperty("arguments", out _);

    internal static bool IsDoc(JsonElement e) => e.TryGetProperty("query", out _) && e.TryGetProperty("choices", out _);

    internal static EvalItem? Read(JsonRecord r, out string problem)
    {
        problem = "";
        var e = r.Value;
        return IsSample(e) ? ReadSample(r, e, ref problem) : ReadDoc(r, e, ref problem);
    }

    private static ChoiceItem? ReadSample(JsonRecord r, JsonElement e, ref string problem)
    {
        var pairs = new List<(string Context, string Continuation)>();
        var args = e.GetProperty("arguments");
        IEnumerable<JsonElement> entries = args.ValueKind switch
        {
            JsonValueKind.Object => args.EnumerateObject().Select(p => p.Value),
            JsonValueKind.Array => args.EnumerateArray(),
            _ => [],
        };
        foreach (var entry in entries)
        {
            var parts = entry.ValueKind switch
            {
                JsonValueKind.Object => entry.EnumerateObject().Select(p => p.Value).ToList(),
                JsonValueKind.Array => entry.EnumerateArray().ToList(),
                _ => [],
            };
            if (parts.Count < 2 || parts[0].ValueKind != JsonValueKind.String || parts[1].ValueKind != JsonValueKind.String)
            {
                problem = $"\"arguments\" entry {entry.GetRawText()} is not a (context, continuation) pair of strings; only loglikelihood (multiple_choice) samples can be scored";
                return null;
            }
            pairs.Add((parts[0].GetString()!, parts[1].GetString()!));
        }
        if (pairs.Count < 2)
        {
            problem = "\"arguments\" has fewer than two (context, continuation) pairs, expected one per choice of a multiple_choice task";
            return null;
        }
        if (pairs.Any(p => p.Context != pairs[0].Context))
        {
            problem = "\"arguments\" pairs have different contexts; expected one context shared by every choice";
            return null;
        }
        bool delimited = pairs.All(p => p.Continuation.StartsWith(' '));
        var choices = pairs.Select(p => delimited ? p.Continuation[1..] : p.Continuation).ToList();
        if (!e.TryGetProperty("target", out var target))
        {
            problem = "\"target\" is missing, expected the right choice";
            return null;
        }
        var answer = AnswerSyntax.Parse(target, choices, out problem);
        if (answer is null)
        {
            problem = problem.Replace("\"answer\"", "\"target\"", StringComparison.Ordinal);
            return null;
        }
        return new ChoiceItem(r.Line, pairs[0].Context, choices, answer.Value) { ContinuationPrefix = delimited ? " " : "" };
    }

    private static ChoiceItem? ReadDoc(JsonRecord r, JsonElement e, ref string problem)
    {
        var q = e.GetProperty("query");
        if (q.ValueKind != JsonValueKind.String)
        {
            problem = $"\"query\" is {q.GetRawText()}, expected a string";
            return null;
        }
        var choices = Native.Choices(e, ref problem);
        if (choices is null) return null;
        var key = e.TryGetProperty("gold", out _) ? "gold" : "label";
        if (!e.TryGetProperty(key, out var gold))
        {
            problem = "\"gold\" is missing, expected the index of the right choice";
            return null;
        }
        var answer = AnswerSyntax.Parse(gold, choices, out problem);
        if (answer is null)
        {
            problem = problem.Replace("\"answer\"", $"\"{key}\"", StringComparison.Ordinal);
            return null;
        }
        return new ChoiceItem(r.Line, q.GetString()!, choices, answer.Value);
    }
}
