using System.Diagnostics;
using System.Globalization;
using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Simulator.Benchmarks;

/// <summary>
/// `cimsim bench mapping`: maps Llama-3.1-8B (LoRA r=4 on q,k,v,up,down) with its full operator graph for 512 + 512
/// tokens on the default hardware, and reports the wall time beside the raw bound measured in the same run: one
/// bare walk over every operator of every step (the graph enumeration the mapper's work totals need anyway).
/// </summary>
public sealed class MappingBenchmark : IBenchmark
{
    public string Name => "mapping";

    public string Description => "Wall time of mapping llama-3.1-8b with its full operator graph, 512+512 tokens (target < 1 s), beside a bare graph walk.";

    public int Run(bool quick, TextWriter output)
    {
        var model = ModelCatalog.Preset("llama-3.1-8b");
        var lora = LoraSpec.Paper;
        var workload = quick ? new WorkloadSpec(1, 64, 64) : new WorkloadSpec(1, 512, 512);
        var hw = new HardwareSpec();
        // Warm-up on a tiny workload so the JIT is not billed to the measurement.
        Mapper.Map(hw, model, lora, new WorkloadSpec(1, 4, 4));

        const int Repeats = 3;
        var best = double.MaxValue;
        MappingResult? result = null;
        for (var i = 0; i < Repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            result = Mapper.Map(hw, model, lora, workload);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }

        var walkBest = double.MaxValue;
        long ops = 0, macs = 0;
        for (var i = 0; i < Repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            var g = new OperatorGraph(model, lora, workload);
            ops = 0;
            macs = 0;
            foreach (var step in g.Steps)
            {
                foreach (var op in g.Operators(step))
                {
                    ops++;
                    macs += op.Macs;
                }
            }
            walkBest = Math.Min(walkBest, sw.Elapsed.TotalSeconds);
        }

        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"mapping {model.Name} + LoRA r={lora.Rank} ({string.Join(",", lora.Targets.Select(t => t.ShortName()))}), {workload.PromptTokens}+{workload.GeneratedTokens} tokens, batch {workload.Batch}"));
        output.WriteLine(string.Create(inv, $"  {result!.RramArrays:N0} RRAM arrays, {result.SramMacros:N0} SRAM macros, {result.Tiles:N0} tiles, {ops:N0} operators, {macs:N0} MACs"));
        output.WriteLine(string.Create(inv, $"  Mapper.Map with work totals: {best * 1e3:0.0} ms (best of {Repeats})"));
        output.WriteLine(string.Create(inv, $"  bare graph walk (raw bound): {walkBest * 1e3:0.0} ms, {ops / walkBest / 1e6:0.0} M operators/s; map / walk = {best / walkBest:0.00}"));
        output.WriteLine(string.Create(inv, $"  goal: < 1 s ({(best < 1 ? "met" : "MISSED")})"));
        return best < 1 ? 0 : 1;
    }
}
