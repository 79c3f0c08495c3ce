using CimSim.Common.Errors;

namespace CimSim.Workloads.Datasets;

/// <summary>The layouts <see cref="DatasetReader"/> reads (docs/workloads.md, "Evaluation and training data").</summary>
public enum DatasetFormat
{
    /// <summary>Detected from the file: a JSON list is LLM-Adapters; JSONL lines are classified by their keys.</summary>
    Auto,

    /// <summary>CimSim's JSONL: {"text"}, {"question", "choices", "answer"} and (training only) {"instruction", "input", "output"} lines.</summary>
    Jsonl,

    /// <summary>LLM-Adapters' JSON list (dataset/*/test.json, commonsense_170k.json): {"instruction", "input", "output", "answer"}.</summary>
    LlmAdapters,

    /// <summary>lm-evaluation-harness multiple choice: --log_samples records {"arguments", "target"} or processed docs {"query", "choices", "gold"}.</summary>
    LmEval,
}

/// <summary>What the records are read for: evaluation makes LLM-Adapters records multiple-choice questions, training keeps them as instructions.</summary>
public enum DatasetUse
{
    Evaluation,
    Training,
}

/// <summary>How to read a data file.</summary>
/// <param name="Format">The layout, or Auto.</param>
/// <param name="Use">Evaluation or training.</param>
/// <param name="PlainPrompt">Instruction prompts as "{instruction}\n" instead of the Alpaca template LLM-Adapters trains with.</param>
public sealed record DatasetOptions(DatasetFormat Format = DatasetFormat.Auto, DatasetUse Use = DatasetUse.Evaluation, bool PlainPrompt = false)
{
    /// <summary>The names `--format` accepts.</summary>
    public static readonly IReadOnlyList<string> FormatNames = ["auto", "jsonl", "llm-adapters", "lm-eval"];

    /// <summary>Parses a `--format` value.</summary>
    public static DatasetFormat ParseFormat(string name) => name.Trim().ToLowerInvariant() switch
    {
        "auto" => DatasetFormat.Auto,
        "jsonl" => DatasetFormat.Jsonl,
        "llm-adapters" => DatasetFormat.LlmAdapters,
        "lm-eval" => DatasetFormat.LmEval,
        _ => throw new UserInputException($"--format: '{name}' is not a data format; expected one of {string.Join(", ", FormatNames)}"),
    };
}
