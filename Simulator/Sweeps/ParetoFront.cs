namespace CimSim.Simulator.Sweeps;

/// <summary>Two-objective Pareto fronts (both objectives minimised; negate one to maximise it).</summary>
public static class ParetoFront
{
    /// <summary>True when a is no worse than b in both objectives and better in at least one.</summary>
    public static bool Dominates((double X, double Y) a, (double X, double Y) b) =>
        a.X <= b.X && a.Y <= b.Y && (a.X < b.X || a.Y < b.Y);

    /// <summary>
    /// The items no other item dominates, ordered by x then y (ties by input order). Equal points are all kept:
    /// two designs with the same cost and accuracy are both worth listing. O(n log n): sort by x, then y, and
    /// keep an item when its y beats every y of strictly smaller x, or equals the last kept point exactly.
    /// </summary>
    public static IReadOnlyList<T> Of<T>(IEnumerable<T> items, Func<T, double> x, Func<T, double> y)
    {
        var sorted = items.Select((item, i) => (item, X: x(item), Y: y(item), i))
            .OrderBy(p => p.X).ThenBy(p => p.Y).ThenBy(p => p.i).ToList();
        var front = new List<T>();
        var bestY = double.PositiveInfinity;
        (double X, double Y)? last = null;
        foreach (var p in sorted)
        {
            if (p.Y < bestY || (last is { } l && l.X == p.X && l.Y == p.Y))
            {
                front.Add(p.item);
                bestY = Math.Min(bestY, p.Y);
                last = (p.X, p.Y);
            }
        }
        return front;
    }

    /// <summary>
    /// The items no other item dominates over any number of minimised objectives (no worse in all, better in one),
    /// in input order; equal items are all kept. O(n^2 k): explorations hold thousands of points, not millions.
    /// </summary>
    public static IReadOnlyList<T> OfMany<T>(IReadOnlyList<T> items, params Func<T, double>[] objectives)
    {
        var v = items.Select(item => objectives.Select(f => f(item)).ToArray()).ToList();
        bool Dominated(int i) => v.Where((_, j) => j != i).Any(o =>
            o.Zip(v[i]).All(p => p.First <= p.Second) && o.Zip(v[i]).Any(p => p.First < p.Second));
        return items.Where((_, i) => !Dominated(i)).ToList();
    }
}
