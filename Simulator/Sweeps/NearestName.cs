namespace CimSim.Simulator.Sweeps;

/// <summary>"Did you mean ...?" for a mistyped name: the candidate at the smallest edit distance, if close enough.</summary>
public static class NearestName
{
    /// <summary>The nearest candidate, or null when none is within a third of the name's length (at least 2 edits).</summary>
    public static string? Find(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Distance(name.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance || (d == bestDistance && string.CompareOrdinal(c, best) < 0))
            {
                best = c;
                bestDistance = d;
            }
        }
        return best is not null && bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    /// <summary>Levenshtein distance (insertions, deletions, substitutions).</summary>
    public static int Distance(string a, string b)
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
}
