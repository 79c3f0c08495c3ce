using System.Globalization;
using System.Text.Json;

namespace CimSim.Workloads.Datasets;

/// <summary>
/// The one accepted syntax of a multiple-choice "answer" (docs/workloads.md): a JSON integer is the 0-based index
/// of the right choice; a string is the exact text of one choice or a single letter A, B, ... (either case) naming
/// it by position. A string that reads both ways to different choices, and a numeric string (0- or 1-based? WinoGrande
/// writes "1" for the first option, CimSim once read it as the second), are rejected with the fix in the message.
/// </summary>
public static class AnswerSyntax
{
    /// <summary>The index of the right choice, or null with <paramref name="problem"/> saying what was found and expected.</summary>
    public static int? Parse(JsonElement answer, IReadOnlyList<string> choices, out string problem)
    {
        problem = "";
        int n = choices.Count;
        string expected = $"expected a JSON integer 0..{n - 1}, a letter A..{(char)('A' + Math.Min(n, 26) - 1)} or the text of one choice";
        if (answer.ValueKind == JsonValueKind.Number)
        {
            if (answer.TryGetInt32(out var i) && i >= 0 && i < n) return i;
            problem = $"\"answer\" is {answer.GetRawText()}, {expected}";
            return null;
        }
        if (answer.ValueKind != JsonValueKind.String)
        {
            problem = $"\"answer\" is a JSON {answer.ValueKind}, {expected}";
            return null;
        }
        var s = answer.GetString()!;
        int byText = -1;
        for (int k = 0; k < n; k++)
        {
            if (choices[k] != s) continue;
            if (byText >= 0)
            {
                problem = $"\"answer\" \"{s}\" is the text of choices {byText} and {k}; write the index as a JSON integer";
                return null;
            }
            byText = k;
        }
        int byLetter = s.Length == 1 && char.IsAsciiLetter(s[0]) && char.ToUpperInvariant(s[0]) - 'A' < n ? char.ToUpperInvariant(s[0]) - 'A' : -1;
        if (byText >= 0 && byLetter >= 0 && byText != byLetter)
        {
            problem = $"\"answer\" \"{s}\" is ambiguous: the text of choice {byText} and the letter of choice {byLetter}; write the index as a JSON integer";
            return null;
        }
        if (byText >= 0) return byText;
        if (byLetter >= 0) return byLetter;
        problem = int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? $"\"answer\" is the string \"{s}\": a numeric string is ambiguous (0- or 1-based?); write the 0-based index as a JSON integer"
            : $"\"answer\" is \"{s}\", {expected}";
        return null;
    }
}
