namespace CimSim.Common.Text;

/// <summary>"Did you mean ...?" for every name the user types (config keys, presets, model and GPU presets).</summary>
public static class NameSuggestion
{
    /// <summary>
    /// The candidate nearest to <paramref name="found"/> by edit distance (case-insensitive) when it is close enough,
    /// else the candidate that contains it or is contained in it ("isaac" for "isaac-32nm"), else null.
    /// </summary>
    public static string? Nearest(string found, IEnumerable<string> candidates, bool allowContains = true)
    {
        var list = candidates.ToList();
        var f = found.Trim().ToLowerInvariant();
        string? best = null;
        var bestD = int.MaxValue;
        foreach (var c in list)
        {
            var d = EditDistance(f, c.ToLowerInvariant());
            if (d < bestD) (best, bestD) = (c, d);
        }
        if (best is not null && bestD <= Math.Max(2, Math.Min(f.Length, best.Length) / 2)) return best;
        if (!allowContains || f.Length < 3) return null;
        return list.FirstOrDefault(c => c.Contains(f, StringComparison.OrdinalIgnoreCase) || f.Contains(c.ToLowerInvariant(), StringComparison.Ordinal));
    }

    /// <summary>" (did you mean 'x'?)" or "".</summary>
    public static string DidYouMean(string found, IEnumerable<string> candidates) =>
        Nearest(found, candidates) is { } n ? $" (did you mean '{n}'?)" : "";

    /// <summary>Levenshtein distance.</summary>
    public static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    /// <summary>A short, clearly delimited excerpt of text the user gave (never a whole line of an unrelated file).</summary>
    public static string Excerpt(string text, int maxChars = 32)
    {
        var oneLine = text.ReplaceLineEndings(" ");
        return oneLine.Length <= maxChars ? $"'{oneLine}'" : $"'{oneLine[..maxChars]}...' ({oneLine.Length} characters)";
    }
}
