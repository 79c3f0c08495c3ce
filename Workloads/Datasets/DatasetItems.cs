namespace CimSim.Workloads.Datasets;

/// <summary>
/// One record of an evaluation or training data file. <see cref="Line"/> is the 1-based line of the file where the
/// record starts (JSONL: its line; a JSON list: the line of the element's opening brace), for error messages.
/// </summary>
public abstract record EvalItem(int Line);

/// <summary>{"text": ...}: scored by perplexity, KL and top-1 agreement; trained on every token.</summary>
public sealed record TextItem(int Line, string Text) : EvalItem(Line);

/// <summary>
/// A multiple-choice question scored by the log-likelihood of each continuation after the context, as
/// lm-evaluation-harness scores "acc": continuation k is <see cref="ContinuationPrefix"/> + <c>Choices[k]</c>
/// (default " ", lm-evaluation-harness's target delimiter), the context is <see cref="Question"/>.
/// </summary>
public sealed record ChoiceItem(int Line, string Question, IReadOnlyList<string> Choices, int Answer) : EvalItem(Line)
{
    /// <summary>Text between the context and each choice: " " for plain question/choices records, "the correct answer is " for LLM-Adapters records.</summary>
    public string ContinuationPrefix { get; init; } = " ";

    /// <summary>The context every continuation is scored after.</summary>
    public string Context => Question;

    /// <summary>The continuation scored for choice <paramref name="index"/>.</summary>
    public string Continuation(int index) => ContinuationPrefix + Choices[index];
}

/// <summary>Instruction data (LLM-Adapters / Alpaca: {"instruction", "input", "output"}): trained on the output after the prompt.</summary>
public sealed record InstructionItem(int Line, string Instruction, string Input, string Output) : EvalItem(Line);
