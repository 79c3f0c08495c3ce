using System.Diagnostics;
using System.Globalization;
using CimSim.Simulator.Reports;

namespace CimSim.Simulator.Benchmarks;

/// <summary>`cimsim bench simulate`: wall time and events/s of the default run (Llama-3.2-1B, 512 + 512 tokens, default config).</summary>
public sealed class SimulateBenchmark : IBenchmark
{
    public string Name => "simulate";

    public string Description => "Wall time and events/s of the default simulate run (llama-3.2-1b, 512+512 tokens, hw-configs/default.yaml). Minimum < 60 s, target < 10 s.";

    public int Run(bool quick, TextWriter output)
    {
        var req = new SimulationRequest { PromptTokens = quick ? 64 : 512, GeneratedTokens = quick ? 64 : 512 };
        // Warm-up on a tiny run so the JIT is not billed to the measurement.
        SimulationRunner.Run(req with { PromptTokens = 8, GeneratedTokens = 4 });
        var sw = Stopwatch.StartNew();
        var report = SimulationRunner.Run(req);
        sw.Stop();
        var s = sw.Elapsed.TotalSeconds;
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"simulate {report.Inputs.Model} {req.PromptTokens}+{req.GeneratedTokens} tokens, batch {req.Batch}: wall {s:0.000} s"));
        output.WriteLine(string.Create(inv, $"events {report.Cim.Events}, tasks {report.Cim.Tasks}, {report.Cim.Events / s:0} events/s, {report.Cim.Tasks / s:0} tasks/s"));
        output.WriteLine(string.Create(inv, $"simulated {report.Cim.Cycles} cycles ({report.Cim.LatencyS * 1e3:0.###} ms of chip time): {report.Cim.Cycles / s:0} cycles/s"));
        output.WriteLine(string.Create(inv, $"goal: < 60 s minimum ({(s < 60 ? "met" : "MISSED")}), < 10 s target ({(s < 10 ? "met" : "missed")})"));
        return s < 60 ? 0 : 1;
    }
}
