using System.Diagnostics;
using System.Globalization;
using CimSim.Devices.Config;
using CimSim.Simulator.Lifecycle;
using CimSim.Simulator.Pipeline;

namespace CimSim.Simulator.Benchmarks;

/// <summary>
/// `cimsim bench lifecycle`: a 1-year, 4-adapter lifecycle of Llama-3.2-1B (program-and-verify with the polynomial
/// programming-noise model, monthly refresh, drift on), accuracy points on the tiny stand-in model of the test fixtures
/// when they are present (Tests/Fixtures/llama_f32 + datasets/cimsim.jsonl, run from the repository root); target &lt; 60 s.
/// </summary>
public sealed class LifecycleBenchmark : IBenchmark
{
    public string Name => "lifecycle";

    public string Description => "Wall time of a 1-year, 4-adapter Llama-3.2-1B lifecycle with accuracy points on the tiny stand-in (target < 60 s).";

    public int Run(bool quick, TextWriter output)
    {
        var hw = HardwareConfigLoader.ApplyOverrides(new HardwareSpec(),
        [
            "rram.program_verify.enabled=true", "rram.noise.programming.impl=polynomial", "rram.noise.weight_noise.sigma=0",
            "rram.noise.drift.enabled=true", "rram.noise.drift.nu_sigma=0.02",
        ]);
        string model = Path.Combine("Tests", "Fixtures", "llama_f32"), data = Path.Combine("Tests", "Fixtures", "datasets", "cimsim.jsonl");
        bool accuracy = Directory.Exists(model) && File.Exists(data);
        var options = new LifecycleOptions
        {
            Request = new SimulationRequest { Hardware = hw, HardwarePath = "default + program-verify, drift", Model = "llama-3.2-1b", PromptTokens = quick ? 64 : 512, GeneratedTokens = quick ? 64 : 512 },
            Months = 12,
            Adapters = 4,
            SwapEvery = 100,
            RefreshDays = 30,
            RetuneDays = 90,
            AccuracyModel = accuracy ? model : null,
            AccuracyData = accuracy ? data : null,
            Seeds = quick ? 2 : 3,
        };
        var sw = Stopwatch.StartNew();
        var r = LifecycleRunner.Run(options);
        double s = sw.Elapsed.TotalSeconds;
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"lifecycle llama-3.2-1b, 12 months, 4 adapters, swap every 100, refresh 30 d: {s:0.0} s ({(accuracy ? r.Accuracy.Count + " accuracy points" : "no fixtures here: no accuracy points")})"));
        output.WriteLine(string.Create(inv, $"  programming: {r.Programming.MeanIterationsPerCell:G4} pulses/cell, {r.Programming.EnergyJ:G4} J, {r.Programming.TimeS:G4} s; residual {r.Programming.ResidualStdUs:G4} uS (one pulse {r.Programming.SinglePulseStdUs:G4} uS)"));
        output.WriteLine(string.Create(inv, $"  energy per served token: chip {r.EnergyPerTokenJ * 1e3:G4} mJ, GPU {r.GpuEnergyPerTokenJ * 1e3:G4} mJ"));
        output.WriteLine(string.Create(inv, $"  goal: < 60 s ({(s < 60 ? "met" : "MISSED")})"));
        return s < 60 ? 0 : 1;
    }
}
