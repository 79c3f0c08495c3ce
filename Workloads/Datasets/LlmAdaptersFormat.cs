using System.Text.Json;

namespace CimSim.Workloads.Datasets;

/// <summary>
/// LLM-Adapters records (Hu et al., EMNLP 2023, github.com/AGI-Edgerunners/LLM-Adapters): {"instruction", "input",
/// "output", "answer"}. The eight commonsense test sets (dataset/{boolq, piqa, social_i_qa, hellaswag, winogrande,
/// ARC-Easy, ARC-Challenge, openbookqa}/test.json) list the choices in the instruction and end it with
/// "Answer format: answer1/answer2/..." (true/false, solution1/2, option1/2, ending1..4); "answer" is the right label.
/// LLM-Adapters generates and extracts the first label; CimSim scores the same choice by log-likelihood: the context
/// is the Alpaca prompt the adapter was trained with (finetune.py), continuation k is the record's "output" with its
/// label replaced by label k ("the correct answer is answer3").
/// </summary>
public static class LlmAdaptersFormat
{
    /// <summary>LLM-Adapters finetune.py template (with input).</summary>
    public const string AlpacaWithInput =
        "Below is an instruction that describes a task, paired with an input that provides further context. " +
        "Write a response that appropriately completes the request.\n\n### Instruction:\n{0}\n\n### Input:\n{1}\n\n### Response:\n";

    /// <summary>LLM-Adapters finetune.py template (without input).</summary>
    public const string AlpacaNoInput =
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n" +
        "### Instruction:\n{0}\n\n### Response:\n";

    /// <summary>What LLM-Adapters' training outputs put before the label.</summary>
    public const string DefaultAnswerPrefix = "the correct answer is ";

    private const string AnswerFormatMarker = "Answer format:";

    /// <summary>The prompt of an instruction: the Alpaca template, or "{instruction}\n[{input}\n]" when plain.</summary>
    public static string Prompt(string instruction, string input, bool plain) => plain
        ? (input.Length > 0 ? $"{instruction}\n{input}\n" : $"{instruction}\n")
        : (input.Length > 0 ? string.Format(AlpacaWithInput, instruction, input) : string.Format(AlpacaNoInput, instruction));

    /// <summary>The labels of the instruction's last "Answer format: a/b/..." line, or empty when there is none.</summary>
    public static IReadOnlyList<string> Labels(string instruction)
    {
        int at = instruction.LastIndexOf(AnswerFormatMarker, StringComparison.Ordinal);
        if (at < 0) return [];
        var rest = instruction[(at + AnswerFormatMarker.Length)..];
        int end = rest.IndexOf('\n');
        if (end >= 0) rest = rest[..end];
        return rest.Split('/', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    internal static EvalItem? Read(JsonRecord r, DatasetOptions options, out string problem)
    {
        problem = "";
        var e = r.Value;
        var instruction = Field(e, "instruction", required: true, ref problem);
        var input = Field(e, "input", required: false, ref problem) ?? "";
        var output = Field(e, "output", required: options.Use == DatasetUse.Training, ref problem);
        if (problem.Length > 0) return null;
        if (options.Use == DatasetUse.Training) return new InstructionItem(r.Line, instruction!, input, output!);

        var labels = Labels(instruction!);
        if (labels.Count < 2)
        {
            problem = $"the instruction has no \"{AnswerFormatMarker} label1/label2/...\" line with at least two labels, so its choices are unknown";
            return null;
        }
        if (!e.TryGetProperty("answer", out var a) || a.ValueKind != JsonValueKind.String)
        {
            problem = $"\"answer\" is {(e.TryGetProperty("answer", out var aa) ? aa.GetRawText() : "missing")}, expected one of the labels {string.Join("/", labels)}";
            return null;
        }
        var answer = a.GetString()!;
        int index = labels.ToList().IndexOf(answer);
        if (index < 0)
        {
            problem = $"\"answer\" is \"{answer}\", expected one of the labels {string.Join("/", labels)} of the instruction's answer format";
            return null;
        }
        // The record's own output fixes the words before the label ("the correct answer is answer3").
        var prefix = output is not null && output.EndsWith(answer, StringComparison.Ordinal) ? output[..^answer.Length] : DefaultAnswerPrefix;
        return new ChoiceItem(r.Line, Prompt(instruction!, input, options.PlainPrompt), labels, index) { ContinuationPrefix = prefix };
    }

    private static string? Field(JsonElement e, string key, bool required, ref string problem)
    {
        if (!e.TryGetProperty(key, out var v))
        {
            if (required && problem.Length == 0) problem = $"\"{key}\" is missing, expected a string";
            return null;
        }
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (problem.Length == 0) problem = $"\"{key}\" is {v.GetRawText()}, expected a string";
        return null;
    }
}
