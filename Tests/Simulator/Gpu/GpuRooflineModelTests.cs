using CimSim.Common.Errors;
using CimSim.Simulator.Gpu;
using CimSim.Simulator.Scheduling;
using CimSim.Tests.Simulator.Scheduling;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Simulator.Gpu;

public class GpuRooflineModelTests
{
    private static OperatorGraph Llama2_7B(int prompt, int generate) =>
        new(SchedulingFixtures.Llama2_7B, null, new WorkloadSpec(1, prompt, generate));

    [Test]
    public void Evaluate_Llama2_7B_A100_MatchesNemoDecodeLatencyWithin25Percent()
    {
        // REFERENCES.md section 5: NeMo, Llama-2-7B, A100 80 GB SXM, batch 1, 128 in / 20 out: 234 ms total, ~10.8 ms per decode token.
        var gpu = GpuSpecLoader.Load("a100-80gb");
        var r = GpuRooflineModel.Evaluate(gpu, new LayerProgram(Llama2_7B(128, 20)));
        Assert.That(r.TpotS, Is.EqualTo(10.8e-3).Within(25).Percent);
        Assert.That(r.LatencyS, Is.EqualTo(234e-3).Within(25).Percent);
    }

    [Test]
    public void Evaluate_Llama2_7B_A100_MatchesMlEnergyJoulesPerTokenWithin50Percent()
    {
        // REFERENCES.md section 5: ML.ENERGY, Llama-2-7b-chat, batch 1: ~4.35 J per generated token (prefill included).
        var gpu = GpuSpecLoader.Load("a100-80gb");
        var r = GpuRooflineModel.Evaluate(gpu, new LayerProgram(Llama2_7B(256, 256)));
        Assert.That(r.EnergyJ / 256, Is.EqualTo(4.35).Within(50).Percent);
    }

    [Test]
    public void Evaluate_ComputeEnergy_IsMacsTimesTdpOverInt8MacRate()
    {
        var gpu = GpuSpecLoader.Load("a100-80gb");
        var r = GpuRooflineModel.Evaluate(gpu, new LayerProgram(Llama2_7B(16, 4)));
        Assert.That(gpu.ComputeEnergyPjPerMac, Is.EqualTo(400.0 / (624e12 / 2) * 1e12).Within(1e-9));
        Assert.That(r.ComputeEnergyJ, Is.EqualTo(r.Macs * gpu.ComputeEnergyPjPerMac * 1e-12).Within(1e-12));
        Assert.That(r.EnergyJ, Is.GreaterThan(r.LatencyS * gpu.IdleW), "board energy includes at least idle power");
        Assert.That(r.EnergyJ, Is.LessThanOrEqualTo(r.LatencyS * gpu.TdpW * (1 + 1e-12)));
    }

    [Test]
    public void Evaluate_H200_FasterThanA100OnMemoryBoundDecode()
    {
        var shape = Llama2_7B(32, 8);
        var a = GpuRooflineModel.Evaluate(GpuSpecLoader.Load("a100-80gb"), new LayerProgram(shape));
        var h = GpuRooflineModel.Evaluate(GpuSpecLoader.Load("h200"), new LayerProgram(shape));
        Assert.That(h.TpotS, Is.LessThan(a.TpotS));
    }

    [Test]
    public void Load_AllPresets_Parse()
    {
        Assert.That(GpuSpecLoader.PresetNames, Is.SupersetOf(new[] { "a100-40gb", "a100-80gb", "h100-sxm", "h200" }));
        foreach (var n in GpuSpecLoader.PresetNames) Assert.That(GpuSpecLoader.Load(n).Name, Is.EqualTo(n));
    }

    [Test]
    public void Parse_BadPreset_ReportsEveryProblem()
    {
        var yaml = "name: x\ndisplay_name: X\npeak_tflop: 3\nmemory_bandwidth_gb_s: abc\ntdp_w: 10\nidle_w: 20\n";
        var ex = Assert.Throws<UserInputException>(() => GpuSpecLoader.Parse(yaml, "bad.yaml"))!;
        Assert.That(ex.Problems, Has.Some.Contains("unknown key 'peak_tflop'").And.Some.Contains("did you mean 'peak_tflops'"));
        Assert.That(ex.Problems, Has.Some.Contains("memory_bandwidth_gb_s: found 'abc'"));
        Assert.That(ex.Problems, Has.Some.Contains("missing key 'peak_int8_tops'"));
        Assert.That(ex.Problems, Has.Some.Contains("idle_w 20 exceeds tdp_w 10"));
    }

    [Test]
    public void Load_UnknownName_IsUserError()
    {
        Assert.Throws<UserInputException>(() => GpuSpecLoader.Load("no-such-gpu"));
    }
}
