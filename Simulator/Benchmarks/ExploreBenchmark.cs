using System.Diagnostics;
using System.Globalization;
using CimSim.Devices.Rram;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Sweeps;

namespace CimSim.Simulator.Benchmarks;

/// <summary>
/// `cimsim bench explore` (issue 13: "quote both"): (1) accuracy evaluations per minute of a greedy exploration with
/// ADC bits on the tiny Llama stand-in (Tests/Fixtures/llama_f32, every design simulated and scored on 3 chip
/// instances); (2) simulate points per minute of explore-style designs (placement and mapping.adc_bits overrides) on
/// llama-3.2-1b, 512 + 512 tokens, 2 jobs. Both with the 1-minute load average, as the machine is shared.
/// Run from the repository root (the fixtures and hw-configs are read from there).
/// </summary>
public sealed class ExploreBenchmark : IBenchmark
{
    public string Name => "explore";

    public string Description => "Explore throughput: accuracy evaluations/min (greedy + ADC bits, tiny Llama fixture, 3 chip instances) and simulate points/min of placement/ADC-bits designs (llama-3.2-1b, 512+512, 2 jobs).";

    /// <summary>Issue 13's simulate goal (also `bench sweep`'s), points per minute on the 2-core machine.</summary>
    public const double SimulateGoalPerMinute = 100;

    public int Run(bool quick, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        var model = Path.Combine("Tests", "Fixtures", "llama_f32");
        var hwPath = new SimulationRequest().HardwarePath;
        if (!Directory.Exists(model) || !File.Exists(hwPath))
        {
            output.WriteLine($"bench explore: needs {model} and {hwPath}; run from the repository root");
            return 2;
        }
        const int jobs = 2;
        var seeds = quick ? 2 : 3;
        var dir = Directory.CreateTempSubdirectory("cimsim-bench-explore-").FullName;
        try
        {
            // Three texts scored by top-1 agreement with the ideal model (the loss is then finer than a 3-question quiz's).
            var data = Path.Combine(dir, "text.jsonl");
            File.WriteAllText(data, """
                {"text": "Crossbars compute a matrix-vector product in one read of the array."}
                {"text": "Noise in resistive memory changes the weights a little on every chip."}
                {"text": "The adapter lives in SRAM, the frozen weights in RRAM."}

                """);
            // (1) Accuracy evaluations: greedy over the default groups with ADC bits, as a user would run it.
            var request = new SimulationRequest { Model = model, PromptTokens = 16, GeneratedTokens = 16, Overrides = ["rram.noise.weight_noise.sigma=0.03", "rram.adc.ideal=false"] };
            var probe = new FunctionalAccuracyProbe(model, null, data, seeds, 0, RramPath.Statistical, 256);
            var evaluator = new SimulationPointEvaluator(request, probe);
            var options = new ExploreOptions
            {
                Strategy = ExploreStrategy.Greedy,
                Groups = PlacementGroup.ParseList(quick ? "q,down,lm_head" : PlacementGroup.DefaultList),
                AdcBits = [4, 6, 8],
                BaseAdcBits = 8,
                BudgetPoints = 10,
                TokensPerRun = 32,
            };
            var load0 = AccuracyBenchmark.LoadAverage();
            var sw = Stopwatch.StartNew();
            var result = new ExploreRunner(Path.Combine(dir, "acc"), options, evaluator.Identity(), evaluator).Run(new SweepRunOptions { Jobs = jobs });
            var accS = sw.Elapsed.TotalSeconds;
            var designs = result.Points.Count;
            output.WriteLine(string.Create(inv, $"explore greedy + --adc-bits 4,6,8 on {model} ({options.Groups.Count} groups, {seeds} chip instances, 16+16 tokens, {jobs} jobs, {Environment.ProcessorCount} cores visible): {designs} designs in {accS:0.00} s"));
            output.WriteLine(string.Create(inv, $"  {designs * 60 / accS:0.0} accuracy evaluations/min (designs), {designs * seeds * 60 / accS:0.0} chip-instance evaluations/min; load average {load0} -> {AccuracyBenchmark.LoadAverage()}"));

            // (2) Simulate points: explore-style designs on llama-3.2-1b without the accuracy probe.
            var tokens = quick ? 64 : 512;
            var grid = quick
                ? "mapping.placement.model.layers.*.mlp.down_proj: [rram, sram]\nmapping.adc_bits.model.layers.*.self_attn.q_proj: [4, 8]\n"
                : "mapping.placement.model.layers.*.mlp.down_proj: [rram, sram]\nmapping.adc_bits.model.layers.*.self_attn.q_proj: [4, 6, 8]\nmapping.adc_bits.lm_head: [6, 10]\n";
            var definition = SweepDefinition.Parse(grid, "bench-explore-grid");
            var simEvaluator = new SimulationPointEvaluator(new SimulationRequest { PromptTokens = tokens, GeneratedTokens = tokens });
            SimulationRunner.Run(new SimulationRequest { PromptTokens = 8, GeneratedTokens = 4 }); // JIT warm-up
            var load1 = AccuracyBenchmark.LoadAverage();
            sw.Restart();
            var summary = new SweepRunner(Path.Combine(dir, "sim"), definition, simEvaluator.Identity(), simEvaluator).Run(new SweepRunOptions { Jobs = jobs });
            var simS = sw.Elapsed.TotalSeconds;
            var perMinute = summary.Evaluated * 60 / simS;
            output.WriteLine(string.Create(inv, $"simulate llama-3.2-1b {tokens}+{tokens} tokens, {summary.Evaluated} placement/ADC-bits designs ({summary.Ok} ok) on {jobs} jobs: {simS:0.00} s, {perMinute:0.0} points/min; load average {load1} -> {AccuracyBenchmark.LoadAverage()}"));
            var ok = result.Answer is not null && summary.Ok == summary.Evaluated;
            output.WriteLine(string.Create(inv, $"goal: >= {SimulateGoalPerMinute} simulate points/min ({(perMinute >= SimulateGoalPerMinute ? "met" : "MISSED")}); explore answer {(result.Answer is null ? "MISSING" : "found")}"));
            return ok ? 0 : 1;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
