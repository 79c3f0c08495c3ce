using CimSim.Common.Errors;

namespace CimSim.Simulator.Functional;

public static class TokenList
{
    /// <summary>Parses "1,17,42" (spaces allowed); a bad entry is named with its position.</summary>
    public static int[] Parse(string text, string flag = "--tokens")
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UserInputException($"{flag} '{text}': expected comma-separated token ids, e.g. 1,17,42");
        var result = new int[parts.Length];
        var problems = new List<string>();
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out result[i]) || result[i] < 0)
                problems.Add($"{flag} entry {i + 1} is '{parts[i]}', expected a non-negative integer token id");
        if (problems.Count > 0) throw new UserInputException($"{flag}: invalid token list", problems);
        return result;
    }
}
