using System.Text.Json;
using CimSim.Devices.Config;
using CimSim.Simulator.Reports;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Simulator.Reports;

public class ReportWriterTests
{
    private static SimulationRequest Small() => new()
    {
        Hardware = new HardwareSpec(),
        ModelSpec = ModelCatalog.Preset("qwen2.5-0.5b"),
        Model = "qwen2.5-0.5b",
        PromptTokens = 8,
        GeneratedTokens = 3,
    };

    [Test]
    public void WriteAll_SameInputs_ByteIdenticalOutputs()
    {
        var root = Path.Combine(Path.GetTempPath(), "cimsim-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            var a = ReportWriter.WriteAll(SimulationRunner.Run(Small()), Path.Combine(root, "a"));
            var b = ReportWriter.WriteAll(SimulationRunner.Run(Small()), Path.Combine(root, "b"));
            Assert.That(a.Select(Path.GetFileName), Is.EqualTo(b.Select(Path.GetFileName)));
            Assert.That(a.Select(Path.GetFileName), Does.Contain("energy_breakdown.png").And.Contain("energy_per_layer.png").And.Contain("latency_by_phase.png"));
            for (var i = 0; i < a.Count; i++)
                Assert.That(File.ReadAllBytes(b[i]), Is.EqualTo(File.ReadAllBytes(a[i])), Path.GetFileName(a[i]));
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    [Test]
    public void ToJson_HasRequiredKeysAndConsistentRatios()
    {
        var report = SimulationRunner.Run(Small());
        using var doc = JsonDocument.Parse(ReportWriter.ToJson(report));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("schema_version").GetInt32(), Is.EqualTo(SimulationReport.SchemaVersion));
        var cim = root.GetProperty("cim");
        foreach (var k in new[] { "latency_s", "ttft_s", "tpot_s", "energy_j", "area_mm2", "cycles", "events" })
            Assert.That(cim.TryGetProperty(k, out _), Is.True, k);
        Assert.That(cim.GetProperty("energy_breakdown_j").EnumerateObject().Select(p => p.Name),
            Is.SupersetOf(new[] { "rram_array", "dac", "adc", "shift_add", "sram_cim", "tile_buffer", "global_buffer", "interconnect", "link", "digital_unit", "dram", "leakage" }));
        var gpu = root.GetProperty("baselines").GetProperty("a100-80gb");
        foreach (var k in new[] { "latency_s", "tpot_s", "energy_j", "compute_energy_j" })
            Assert.That(gpu.TryGetProperty(k, out _), Is.True, k);
        var ratios = root.GetProperty("ratios");
        Assert.That(ratios.GetProperty("energy_vs_gpu").GetDouble(),
            Is.EqualTo(cim.GetProperty("energy_j").GetDouble() / gpu.GetProperty("energy_j").GetDouble()).Within(1e-9).Percent);
        Assert.That(ratios.GetProperty("compute_energy_vs_gpu").GetDouble(),
            Is.EqualTo(cim.GetProperty("energy_j").GetDouble() / gpu.GetProperty("compute_energy_j").GetDouble()).Within(1e-9).Percent);
        Assert.That(ratios.GetProperty("latency_vs_gpu").GetDouble(),
            Is.EqualTo(cim.GetProperty("latency_s").GetDouble() / gpu.GetProperty("latency_s").GetDouble()).Within(1e-9).Percent);
    }
}
