using CimSim.Simulator.Sweeps;

namespace CimSim.Tests.Simulator.Sweeps;

public class ParetoFrontTests
{
    [Test]
    public void Of_RandomSetsWithTies_EqualsBruteForceFront([Range(0, 19)] int seed)
    {
        var rng = new Random(seed);
        // Coarse integer coordinates force many exact ties and duplicates.
        var points = Enumerable.Range(0, rng.Next(1, 40)).Select(i => (Id: i, X: (double)rng.Next(0, 8), Y: (double)rng.Next(0, 8))).ToList();
        var brute = points.Where(p => !points.Any(q => q.X <= p.X && q.Y <= p.Y && (q.X < p.X || q.Y < p.Y))).Select(p => p.Id).Order();
        Assert.That(ParetoFront.Of(points, p => p.X, p => p.Y).Select(p => p.Id).Order(), Is.EqualTo(brute));
    }

    [Test]
    public void Of_EqualPoints_AllKept()
    {
        var points = new[] { ("a", 1.0, 2.0), ("b", 1.0, 2.0), ("c", 2.0, 1.0), ("d", 2.0, 2.0) };
        Assert.That(ParetoFront.Of(points, p => p.Item2, p => p.Item3).Select(p => p.Item1), Is.EqualTo(new[] { "a", "b", "c" }));
    }
}
