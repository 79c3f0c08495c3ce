using System.Globalization;
using System.Text.Json.Nodes;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Devices.Rram;
using CimSim.Simulator.Cli;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Gpu;
using CimSim.Simulator.Lifecycle;
using CimSim.Simulator.Pipeline;

namespace CimSim.Tests.Lifecycle;

/// <summary>`cimsim lifecycle` (docs/lifecycle.md): swaps, drift over time, keys that only it reads, bad input.</summary>
public partial class LifecycleRunnerTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static LifecycleOptions Options(HardwareSpec hw, int adapters = 4) => new()
    {
        Request = new SimulationRequest { Hardware = hw, Model = "llama-3.2-1b", PromptTokens = 16, GeneratedTokens = 8, LoraRank = 4 },
        Months = 12,
        Adapters = adapters,
        SwapEvery = 100,
        RequestsPerDay = 1000,
    };

    [Test]
    public void Adapters_OneSlot_SwapEnergyIsBitsTimesYamlWriteEnergyPlusDramRead()
    {
        var hw = new HardwareSpec();
        var dev = new DeviceTables(hw);
        const long Weights = 1_000_000;
        var r = LifecycleRunner.Adapters(Options(hw), hw, Weights, 1, dev.Sram, dev.Dram, GpuSpecLoader.Load("a100-80gb"), 365);
        // Independent closed form from the YAML values: sram_cim.weight_bits x write_energy_pj_per_bit; dram.energy_pj_per_bit.
        double sramJ = Weights * 8 * 0.0016e-12, dramJ = Weights * 8 * 3.9e-12;
        Assert.That(r.SramWriteEnergyJ, Is.EqualTo(sramJ).Within(1e-12 * sramJ));
        Assert.That(r.DramReadEnergyJ, Is.EqualTo(dramJ).Within(1e-12 * dramJ));
        Assert.That(r.BytesPerAdapter, Is.EqualTo(Weights));
        // 4 adapters, 1 slot: every switch of 365 x 1000 requests / 100 swaps; plus the first load.
        Assert.That(r.Swaps, Is.EqualTo(3650));
        Assert.That(r.SwapsEnergyJ, Is.EqualTo(3651 * (sramJ + dramJ)).Within(1e-9 * 3651 * (sramJ + dramJ)));
        // The SRAM writes one 256-bit row per ns; the DRAM streams 2.56e11 B/s after 100 ns: the slower one stalls.
        Assert.That(r.SwapStallS, Is.EqualTo(Math.Max(Weights * 8 / (256 / 1e-9), 100e-9 + Weights / 2.56e11)).Within(1e-15));
    }

    [Test]
    public void Adapters_AllResident_CostNoSwap()
    {
        var hw = new HardwareSpec();
        var dev = new DeviceTables(hw);
        // 8 macros x 8192 weights hold 4 adapters of 16 Ki weights.
        var r = LifecycleRunner.Adapters(Options(hw, adapters: 4), hw, 16_384, 8, dev.Sram, dev.Dram, GpuSpecLoader.Load("a100-80gb"), 365);
        Assert.That(r.ResidentSlots, Is.EqualTo(4));
        Assert.That(r.Swaps, Is.Zero);
        Assert.That(r.SwapsEnergyJ, Is.EqualTo(4 * r.SwapEnergyJ).Within(1e-18), "only the first load of each adapter");
    }

    private static string Logits(HardwareSpec hw) => string.Join(",", LogitArray(hw).Select(x => x.ToString("R", CultureInfo.InvariantCulture)));

    private static float[] LogitArray(HardwareSpec hw)
    {
        var m = FunctionalModel.Load(FixturePaths.Of("llama_f32"), FunctionalHardware.Placer(hw, 1, RramPath.Statistical));
        return new InferenceSession(m, 4).Forward([1, 5, 9], lastOnly: true).ToArray();
    }

    private static HardwareSpec Drifting(params string[] more) => HardwareConfigLoader.ApplyOverrides(new HardwareSpec(),
    [
        "rram.noise.programming.impl=polynomial", "rram.noise.weight_noise.sigma=0", "rram.program_verify.enabled=true",
        "rram.noise.drift.enabled=true", "rram.noise.drift.nu_sigma=0.02", .. more,
    ]);

    [Test]
    public void AtAge_AtOrBeforeT0_EqualsTheFreshChip()
    {
        var hw = Drifting();
        var fresh = hw with { Rram = hw.Rram with { Noise = hw.Rram.Noise with { Drift = hw.Rram.Noise.Drift with { Enabled = false } } } };
        Assert.That(Logits(LifecycleRunner.AtAge(hw, 1)), Is.EqualTo(Logits(fresh)));
        Assert.That(Logits(LifecycleRunner.AtAge(hw, 20)), Is.EqualTo(Logits(fresh)));
    }

    [Test]
    public void AtAge_LaterTimes_ErrorAgainstTheFreshChipGrowsMonotonically()
    {
        var hw = Drifting();
        var fresh = LogitArray(LifecycleRunner.AtAge(hw, 1));
        var errors = LifecycleRunner.SampleTimes.Skip(1).Select(t =>
        {
            var l = LogitArray(LifecycleRunner.AtAge(hw, t.Seconds));
            return Math.Sqrt(l.Zip(fresh, (a, b) => (double)(a - b) * (a - b)).Sum());
        }).ToList();
        Assert.That(errors[0], Is.GreaterThan(0));
        for (int i = 1; i < errors.Count; i++) Assert.That(errors[i], Is.GreaterThan(errors[i - 1]), $"error at {LifecycleRunner.SampleTimes[i + 1].Label}");
    }

    [Test]
    public void Run_WithAccuracyFixture_FirstPointIsTheFreshChipAndNumbersAreFinite()
    {
        var hw = Drifting();
        var o = Options(hw) with { Months = 1, RefreshDays = 7, AccuracyModel = FixturePaths.Of("llama_f32"), AccuracyData = FixturePaths.Of("datasets/cimsim.jsonl"), Seeds = 2, MaxTokens = 16 };
        var r = LifecycleRunner.Run(o);
        var fresh = AccuracyRunner.Run(new AccuracyOptions
        {
            ModelDirectory = o.AccuracyModel!,
            Hardware = LifecycleRunner.AtAge(hw, 0),
            HardwareName = "x",
            Items = CimSim.Workloads.Datasets.DatasetReader.Load(o.AccuracyData!).Items,
            DataName = "x",
            Seeds = 2,
            MaxTokens = 16,
        });
        var first = r.Accuracy.First(p => p.Series == "no refresh");
        Assert.That(first.KlDivergence, Is.EqualTo(fresh.Levels[0].KlDivergence.Mean));
        Assert.That(r.Accuracy.Select(p => p.Series).Distinct().Count(), Is.EqualTo(2), "without and with refresh");
        Assert.That(r.Maintenance.Refreshes, Is.EqualTo(4), "30.4 days / 7");
        Assert.That(r.EnergyByPhaseJ["refreshes"], Is.EqualTo(4 * r.Programming.EnergyJ).Within(1e-9 * r.Programming.EnergyJ));
        Assert.That(r.Programming.MeanIterationsPerCell, Is.GreaterThan(1));
        var json = LifecycleReportWriter.ToJson(r);
        Assert.That(json, Does.Not.Contain("NaN").And.Not.Contain("Infinity"));
        LifecycleReportWriter.Write(r, _dir);
        Assert.That(new FileInfo(Path.Combine(_dir, "accuracy-over-time.png")).Length, Is.GreaterThan(1000));
        Assert.That(File.Exists(Path.Combine(_dir, "accuracy-over-time.svg")), Is.True);
    }

    private static readonly string[] LifecycleOnlyKeys =
    [
        "rram.program_verify.pulse_energy_pj", "rram.program_verify.pulse_s", "rram.program_verify.arrays_in_parallel_per_tile",
        "rram.program_verify.endurance_cycles", "rram.device.write_energy_pj", "rram.device.write_latency_s",
    ];

    [TestCaseSource(nameof(LifecycleOnlyKeys))]
    public void Run_KeyOnlyLifecycleReads_MovesTheLifecycleReport(string key)
    {
        bool pv = key.StartsWith("rram.program_verify.", StringComparison.Ordinal);
        var baseline = HardwareConfigLoader.ApplyOverrides(new HardwareSpec(),
            pv ? ["rram.program_verify.enabled=true", "rram.noise.programming.impl=polynomial"] : []);
        var info = ConfigSchema.AllKeys.Single(k => k.Path == key);
        var value = Convert.ToDouble(info.Property.GetValue(CimSim.Tests.Hardening.ConfigKeyEffectTests.Section(baseline, key)), CultureInfo.InvariantCulture);
        var perturbed = HardwareConfigLoader.With(baseline, key, (value * 2).ToString("R", CultureInfo.InvariantCulture));
        string Report(HardwareSpec hw)
        {
            var j = JsonNode.Parse(LifecycleReportWriter.ToJson(LifecycleRunner.Run(Options(hw))))!.AsObject();
            j.Remove("inputs");
            return j.ToJsonString();
        }
        Assert.That(Report(perturbed), Is.Not.EqualTo(Report(baseline)));
    }

    [TestCase("--months", "0")]
    [TestCase("--adapters", "0")]
    [TestCase("--swap-every", "-1")]
    [TestCase("--requests-per-day", "0")]
    [TestCase("--refresh", "-3")]
    [TestCase("--accuracy-model", "Fixtures/llama_f32")]
    [TestCase("--lora-rank", "0")]
    public void Cli_BadFlag_ExitsTwoAndWritesNothing(string flag, string value)
    {
        var outDir = Path.Combine(_dir, "out");
        var rc = CliApp.Run(["lifecycle", flag, value, "--prompt", "8", "--generate", "4", "--out", outDir]);
        Assert.That(rc, Is.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(outDir, "report.json")), Is.False);
    }

    [Test]
    public void Cli_SmallRun_WritesFiniteReport()
    {
        var outDir = Path.Combine(_dir, "out");
        var rc = CliApp.Run(["lifecycle", "--prompt", "8", "--generate", "4", "--months", "2", "--adapters", "3", "--refresh", "30", "--retune", "30",
            "-p", "rram.program_verify.enabled=true", "-p", "rram.noise.programming.impl=polynomial", "--out", outDir]);
        Assert.That(rc, Is.EqualTo(0));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!;
        Assert.That(json["energy_per_token_j"]!.GetValue<double>(), Is.GreaterThan(0));
        Assert.That(json["maintenance"]!["refreshes"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "report.md")), Does.Contain("Energy by phase of life"));
    }
}
