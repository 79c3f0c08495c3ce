using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using CimSim.Common.Errors;

namespace CimSim.Common.Cli;

/// <summary>
/// Runs a parsed command line for both programs (cimsim and the trainer) with one error policy: a user mistake (a
/// flag that does not parse, a non-finite or negative number, a <see cref="UserInputException"/>, an I/O failure on a
/// path the user named) prints one "error: ..." block in words and exits 2; only simulator bugs remain exceptions.
/// </summary>
public static partial class CliRunner
{
    /// <summary>
    /// Adds the numeric-flag rule to every option of <paramref name="root"/> and its subcommands: floating-point
    /// values must be finite, integer values non-negative (no flag of either program takes a negative count, seed
    /// or size). Call once after the command tree is built.
    /// </summary>
    public static void AddNumericRules(Command root)
    {
        foreach (var option in AllOptions(root))
        {
            var t = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
            if (t == typeof(double) || t == typeof(float))
                option.Validators.Add(r => CheckTokens(r, (string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsFinite(d), "a finite number"));
            else if (t == typeof(int) || t == typeof(long))
                option.Validators.Add(r => CheckTokens(r, (string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l < 0, "a whole number >= 0"));
        }
    }

    /// <summary>Invokes <paramref name="parse"/>; returns the exit code (0 ok, 2 user mistake, the action's own code otherwise).</summary>
    public static int Invoke(ParseResult parse, TextWriter? error = null)
    {
        error ??= Console.Error;
        if (parse.Errors.Count > 0)
        {
            var lines = parse.Errors.Select(e => Describe(e.Message)).Distinct().ToList();
            error.WriteLine("error: " + (lines.Count == 1 ? lines[0] : "invalid command line" + string.Concat(lines.Select(l => Environment.NewLine + "  - " + l))));
            error.WriteLine("(see --help for the options)");
            return UserInputException.ExitCode;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (Unwrap(ex) is UserInputException uie)
        {
            error.WriteLine("error: " + uie.Message);
            return UserInputException.ExitCode;
        }
        catch (Exception ex) when (Unwrap(ex) is IOException or UnauthorizedAccessException)
        {
            // Reading or writing a path the user named failed (disk full, permissions); .NET's message names the path.
            error.WriteLine("error: " + Unwrap(ex).Message);
            return UserInputException.ExitCode;
        }
    }

    /// <summary>System.CommandLine's messages in words: no .NET type names (System.UInt64), the expected form instead.</summary>
    public static string Describe(string message)
    {
        var m = CannotParse().Match(message);
        if (!m.Success) return message;
        var what = m.Groups["type"].Value switch
        {
            "System.Int32" => $"a whole number from 0 to {int.MaxValue}",
            "System.Int64" => $"a whole number from 0 to {long.MaxValue}",
            "System.UInt64" => $"a whole number from 0 to {ulong.MaxValue}",
            "System.UInt32" => $"a whole number from 0 to {uint.MaxValue}",
            "System.Double" or "System.Single" => "a finite number such as 0.01 or 1e-3",
            "System.Boolean" => "true or false",
            var other => other.StartsWith("System.", StringComparison.Ordinal) ? "a " + other["System.".Length..].ToLowerInvariant() : other,
        };
        return $"{m.Groups["opt"].Value}: found '{m.Groups["value"].Value}'; expected {what}";
    }

    [GeneratedRegex(@"Cannot parse argument '(?<value>.*)' for (?:option|command|argument) '(?<opt>[^']*)' as expected type '(?<type>[^']*)'")]
    private static partial Regex CannotParse();

    private static void CheckTokens(OptionResult r, Func<string, bool> bad, string expected)
    {
        foreach (var t in r.Tokens)
            if (bad(t.Value)) r.AddError($"{r.Option.Name}: found '{t.Value}'; expected {expected}");
    }

    private static IEnumerable<Option> AllOptions(Command c) => c.Options.Concat(c.Subcommands.SelectMany(AllOptions));

    private static Exception Unwrap(Exception ex)
    {
        while (ex is TargetInvocationException or AggregateException && ex.InnerException is not null) ex = ex.InnerException!;
        return ex;
    }
}
