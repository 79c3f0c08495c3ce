using System.Diagnostics;

namespace CimSim.Simulator.Benchmarks;

/// <summary>Timing shared by the benchmarks: the best of several runs after one warm-up (the least disturbed by other load).</summary>
internal static class BenchTiming
{
    /// <summary>Shortest wall time in seconds of <paramref name="repeats"/> timed runs after one warm-up.</summary>
    public static double BestSeconds(Action run, int repeats)
    {
        run();
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }
}
