using System.Diagnostics;
using System.Globalization;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Sweeps;

namespace CimSim.Simulator.Benchmarks;

/// <summary>
/// `cimsim bench sweep`: sweep throughput in points per minute for llama-3.2-1b, 512 + 512 tokens, on 2 jobs
/// (the default config with rram.adc.bits x rram.array.rows varied), beside the raw bound measured in the same
/// run: 2 x the rate of one bare SimulationRunner.Run, i.e. what the sweep machinery would reach with no overhead.
/// </summary>
public sealed class SweepBenchmark : IBenchmark
{
    public string Name => "sweep";

    public string Description => "Sweep points per minute (llama-3.2-1b, 512+512 tokens, 2 jobs) vs 2 x the bare simulate rate. Minimum 10 points/min.";

    public const double MinimumPointsPerMinute = 10;

    public int Run(bool quick, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        var tokens = quick ? 64 : 512;
        var request = new SimulationRequest { PromptTokens = tokens, GeneratedTokens = tokens };
        if (!File.Exists(request.HardwarePath))
        {
            output.WriteLine($"bench sweep: {request.HardwarePath} not found; run from the repository root");
            return 2;
        }
        const int jobs = 2;
        var grid = quick ? "rram.adc.bits: [6, 8]\nrram.array.rows: [64, 128]\n" : "rram.adc.bits: [4, 6, 8]\nrram.array.rows: [64, 128, 256]\n";
        var definition = SweepDefinition.Parse(grid, "bench-grid");
        var evaluator = new SimulationPointEvaluator(request);

        // Warm-up (JIT), then the raw bound: bare runs of the base config, serially; the faster of two counts.
        SimulationRunner.Run(request with { PromptTokens = 8, GeneratedTokens = 4 });
        var bareSeconds = double.PositiveInfinity;
        for (var i = 0; i < 2; i++)
        {
            var bare = Stopwatch.StartNew();
            SimulationRunner.Run(request with { Hardware = Devices.Config.HardwareConfigLoader.Load(request.HardwarePath) });
            bareSeconds = Math.Min(bareSeconds, bare.Elapsed.TotalSeconds);
        }
        var boundPerMinute = jobs * 60 / bareSeconds;

        var dir = Directory.CreateTempSubdirectory("cimsim-bench-sweep-").FullName;
        try
        {
            var sw = Stopwatch.StartNew();
            var summary = new SweepRunner(dir, definition, evaluator.Identity(), evaluator).Run(new SweepRunOptions { Jobs = jobs });
            sw.Stop();
            var perMinute = summary.Evaluated * 60 / sw.Elapsed.TotalSeconds;
            output.WriteLine(string.Create(inv, $"sweep llama-3.2-1b {tokens}+{tokens} tokens, {summary.Evaluated} points ({summary.Ok} ok) on {jobs} jobs ({Environment.ProcessorCount} cores visible): wall {sw.Elapsed.TotalSeconds:0.00} s"));
            output.WriteLine(string.Create(inv, $"throughput {perMinute:0.0} points/min; bound 2 x bare simulate ({bareSeconds:0.000} s each) = {boundPerMinute:0.0} points/min; ratio {perMinute / boundPerMinute:0.00}"));
            output.WriteLine(string.Create(inv, $"goal: >= {MinimumPointsPerMinute} points/min ({(perMinute >= MinimumPointsPerMinute ? "met" : "MISSED")})"));
            return perMinute >= MinimumPointsPerMinute ? 0 : 1;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
