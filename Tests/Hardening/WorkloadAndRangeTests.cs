using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Memory;
using CimSim.Simulator.Reports;
using CimSim.Tests.Simulator.Scheduling;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Hardening;

/// <summary>Issue 14, defects 4 (workload bounds), 5 (values without upper bounds) and 8 (buffer timings ignored).</summary>
[NonParallelizable]
public class WorkloadAndRangeTests
{
    private static SimulationReport Simulate(HardwareSpec hw, int prompt = 8, int generate = 3, int batch = 1) => SimulationRunner.Run(new SimulationRequest
    {
        Hardware = hw,
        ModelSpec = SchedulingFixtures.TinyModel,
        PromptTokens = prompt,
        GeneratedTokens = generate,
        Batch = batch,
        LoraRank = 4,
    });

    [Test]
    public void Simulate_PromptPastMaxPositionEmbeddings_RejectedAsSweepDoes()
    {
        // The 128-position model of the issue, 512 + 512 tokens: sweep rejected it, simulate ran silently.
        var small = SchedulingFixtures.TinyModel with { MaxPositionEmbeddings = 128 };
        var ex = Assert.Throws<UserInputException>(() => SimulationRunner.Run(new SimulationRequest { ModelSpec = small, Hardware = new HardwareSpec(), PromptTokens = 512, GeneratedTokens = 512 }));
        Assert.That(ex!.Message, Does.Contain("max_position_embeddings (128)"));
    }

    [Test]
    public void SimulateCli_PromptOfOneBillion_Exit2Immediately()
    {
        var (code, _, err) = InProcessCli.Run("simulate", "--hw", InProcessCli.HwConfig(), "--model", "qwen2.5-0.5b", "--prompt", "1000000000", "--generate", "1", "--out", Path.Combine(Path.GetTempPath(), "cimsim-never"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("max_position_embeddings"));
    }

    [Test]
    public void Check_BatchAboveLimit_RejectedBeforeSimulating()
    {
        var ex = Assert.Throws<UserInputException>(() => SimulationBudget.Check(new WorkloadSpec(100_000, 8, 2), SchedulingFixtures.TinyModel));
        Assert.That(ex!.Message, Does.Contain($"at most {SimulationBudget.MaxBatch}"));
    }

    [Test]
    public void EstimatedBytes_QwenBatch1000_WithinAFifthOfTheMeasuredPeak()
    {
        // Measured with GNU time: qwen2.5-0.5b, 64 + 16 tokens, batch 1000 peaked at 152 MB (SimulationBudget's fit).
        var qwen = ModelCatalog.Preset("qwen2.5-0.5b");
        var estimate = SimulationBudget.EstimatedBytes(new WorkloadSpec(1000, 64, 16), qwen);
        Assert.That(estimate / 152e6, Is.InRange(0.8, 1.2));
    }

    [Test]
    public void Load_GMaxOf1e308WithGMinZero_RejectedWithTheUpperBound()
    {
        var ex = Assert.Throws<UserInputException>(() => HardwareConfigLoader.ApplyOverrides(new HardwareSpec(), ["rram.device.g_max_us=1e308", "rram.device.g_min_us=0"]));
        Assert.That(ex!.Message, Does.Contain("rram.device.g_max_us").And.Contain("<= 1E+6"));
    }

    [Test]
    public void EveryNumericKey_HasAFiniteUpperAndLowerBound()
    {
        var keys = ConfigSchema.AllKeys.Where(k => Nullable.GetUnderlyingType(k.Property.PropertyType) is null
            && (k.Property.PropertyType == typeof(double) || k.Property.PropertyType == typeof(int) || k.Property.PropertyType == typeof(long)
                || (ConfigSchema.IsList(k.Property.PropertyType, out var e) && e != typeof(string)))).ToList();
        Assert.That(keys, Is.Not.Empty);
        foreach (var k in keys)
        {
            Assert.That(ConfigRanges.HasCeiling(k.Key.Unit) || !double.IsNaN(k.Key.Max), Is.True,
                $"{k.Path}: unit '{k.Key.Unit}' has no ceiling in ConfigRanges and the key declares no Max");
            Assert.That(double.IsFinite(ConfigRanges.UpperBound(k.Key)) && double.IsFinite(ConfigRanges.LowerBound(k.Key)), Is.True, k.Path);
        }
    }

    /// <summary>Every number key at its upper bound, alone: the report is finite or the run fails with a user error.</summary>
    [Test]
    public void Simulate_EachNumericKeyAtItsUpperBound_FiniteReportOrUserError()
    {
        var failures = new List<string>();
        foreach (var k in ConfigSchema.AllKeys.Where(k => k.Property.PropertyType == typeof(double)))
        {
            HardwareSpec hw;
            try
            {
                hw = HardwareConfigLoader.With(new HardwareSpec(), k.Path, ConfigRanges.UpperBound(k.Key).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (UserInputException)
            {
                continue; // a cross-key rule refuses the extreme value: fine
            }
            try
            {
                ReportWriter.ToJson(Simulate(hw));
            }
            catch (UserInputException)
            {
                // refused clearly (e.g. a non-finite result): fine
            }
            catch (Exception ex)
            {
                failures.Add($"{k.Path}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void BufferModel_DefaultGlobalBuffer_PortRateAndLatencyFromTheConfigNumbers()
    {
        // 128 GB/s over 4 ports at 1 GHz = 256 bit per cycle per port (= the 256-bit access width); 2 ns = 2 cycles.
        var b = new BufferModel(new HardwareSpec().Buffer);
        Assert.That(b.BitsPerCyclePerPort(1e9), Is.EqualTo(256));
        Assert.That(b.LatencyCycles(1e9), Is.EqualTo(2));
    }

    [TestCase("buffer.latency_s", "2e-7")]
    [TestCase("buffer.bandwidth_bytes_per_s", "1e9")]
    [TestCase("buffer.ports", "1024")]
    [TestCase("tile_buffer.latency_s", "2e-7")]
    [TestCase("tile_buffer.bandwidth_bytes_per_s", "1e9")]
    [TestCase("tile_buffer.ports", "64")]
    public void Simulate_SlowerBuffer_LongerLatency(string key, string value)
    {
        var baseline = Simulate(new HardwareSpec()).Cim.LatencyS;
        var slower = Simulate(HardwareConfigLoader.With(new HardwareSpec(), key, value)).Cim.LatencyS;
        Assert.That(slower, Is.GreaterThan(baseline));
    }
}
