namespace CimSim.Common.Errors;

/// <summary>
/// A mistake in what the user gave us (a config, a model directory, a flag): reported as a clear message,
/// never as a stack trace. Simulator bugs stay ordinary exceptions (gem5's fatal vs panic).
/// </summary>
public class UserInputException : Exception
{
    public UserInputException(string message) : base(message) => Problems = [message];

    public UserInputException(string summary, IReadOnlyList<string> problems)
        : base(summary + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
        => Problems = problems;

    public UserInputException(string message, Exception inner) : base(message, inner) => Problems = [message];

    public UserInputException() : this("invalid input") { }

    /// <summary>Every problem found, one line each (file, path or line, found, expected).</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Process exit code for a user mistake (2, as `cimsim validate` documents).</summary>
    public const int ExitCode = 2;
}
