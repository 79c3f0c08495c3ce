using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Devices.Rram;
using CimSim.Simulator.Cli;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Lifecycle;
using CimSim.Simulator.Pipeline;
using CimSim.Workloads.NoiseProfiles;

namespace CimSim.Tests.Lifecycle;

/// <summary>
/// `cimsim lifecycle` re-tuning route (--emit-profiles, --retuned-adapter) and global drift compensation
/// (rram.noise.drift.compensation; docs/lifecycle.md).
/// </summary>
public partial class LifecycleRunnerTests
{
    /// <summary>One month with accuracy points on the llama fixture, 2 chips (a few seconds).</summary>
    private static LifecycleOptions AccuracyRun(HardwareSpec hw) => Options(hw, adapters: 2) with
    {
        Months = 1,
        AccuracyModel = FixturePaths.Of("llama_f32"),
        AccuracyData = FixturePaths.Of("datasets/cimsim.jsonl"),
        Seeds = 2,
        MaxTokens = 16,
    };

    [Test]
    public void Run_RetunedAdapter_AddsExactlyTheRetunedRowAndLeavesTheOthersUnchanged()
    {
        var o = AccuracyRun(Drifting());
        var lora = FixturePaths.Of("llama_f32_lora");
        var without = LifecycleRunner.Run(o);
        var with = LifecycleRunner.Run(o with { RetunedAdapters = [$"1day={lora}"] });
        var others = with.Accuracy.Where(p => p.Series != LifecycleRunner.RetunedSeries).ToList();
        Assert.That(others, Is.EqualTo(without.Accuracy), "rows without re-tuning are unchanged");
        var retuned = with.Accuracy.Where(p => p.Series == LifecycleRunner.RetunedSeries).ToList();
        Assert.That(retuned.Select(p => p.Label), Is.EqualTo(new[] { "1 day" }), "one row, at the ingested age only");
        var before = without.Accuracy.Single(p => p.Series == "no refresh" && p.Label == "1 day");
        Assert.That(retuned[0].AgeS, Is.EqualTo(before.AgeS));
        // The ingested adapter is what the chip ran: the same chips (seeds 0, 1) at age 1 day with that adapter, scored
        // against the base model on ideal devices, as `cimsim accuracy` computes it.
        var direct = AccuracyRunner.Run(new AccuracyOptions
        {
            ModelDirectory = o.AccuracyModel!,
            AdapterDirectory = lora,
            SeparateReference = true,
            Hardware = LifecycleRunner.AtAge(o.Request.Hardware!, LifecycleRunner.SecondsPerDay),
            HardwareName = "x",
            Items = CimSim.Workloads.Datasets.DatasetReader.Load(o.AccuracyData!).Items,
            DataName = "x",
            Seeds = 2,
            MaxTokens = 16,
        });
        Assert.That(retuned[0].KlDivergence, Is.EqualTo(direct.Levels[0].KlDivergence.Mean));
        Assert.That(retuned[0].KlDivergence, Is.Not.EqualTo(before.KlDivergence), "the adapter changes the chip's output");
        Assert.That(LifecycleReportWriter.ToMarkdown(with), Does.Contain("With and without re-tuning"));
    }

    [TestCase("2h")]
    [TestCase("1year")]
    [TestCase("1day")]
    public void Validate_WrongAgeOrMismatchedAdapter_NamesTheOption(string age)
    {
        // 1-month deployment: 2h is no accuracy age, 1year lies beyond it; the gemma2 adapter does not fit llama_f32.
        var path = age == "1day" ? FixturePaths.Of("gemma2_f32_lora") : FixturePaths.Of("llama_f32_lora");
        var o = AccuracyRun(Drifting()) with { RetunedAdapters = [$"{age}={path}"] };
        var ex = Assert.Throws<UserInputException>(() => LifecycleRunner.Validate(o))!;
        Assert.That(string.Join("\n", ex.Problems), Does.Contain("--retuned-adapter " + age + "="));
    }

    [Test]
    public void Validate_RetunedAdapterOtherModulesThanDeployed_NamesTheOption()
    {
        // The deployed adapter adapts some modules; an adapter with none of them rewrites other SRAM.
        var o = AccuracyRun(Drifting()) with { AccuracyAdapter = FixturePaths.Of("llama_f32_lora"), RetunedAdapters = ["1h=" + FixturePaths.Of("trainer_halora_adapter")] };
        var ex = Assert.Throws<UserInputException>(() => LifecycleRunner.Validate(o))!;
        Assert.That(string.Join("\n", ex.Problems), Does.Contain("--retuned-adapter 1h="));
    }

    [TestCase("5h")]
    [TestCase("1day")]
    public void Cli_BadRetunedAdapter_ExitsTwoAndWritesNothing(string age)
    {
        var outDir = Path.Combine(_dir, "out");
        var path = age == "1day" ? FixturePaths.Of("gemma2_f32_lora") : FixturePaths.Of("llama_f32_lora");
        var rc = CliApp.Run(["lifecycle", "--prompt", "8", "--generate", "4", "--months", "1", "--accuracy-model", FixturePaths.Of("llama_f32"),
            "--data", FixturePaths.Of("datasets/cimsim.jsonl"), "--retuned-adapter", $"{age}={path}", "--out", outDir]);
        Assert.That(rc, Is.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(outDir, "report.json")), Is.False);
    }

    [Test]
    public void EmitProfiles_OneProfilePerAge_MeasuredOnTheDriftedChip()
    {
        var o = AccuracyRun(Drifting()) with { EmitProfiles = Path.Combine(_dir, "profiles") };
        var files = LifecycleRunner.EmitProfiles(o, o.Request.Hardware!);
        Assert.That(files.Select(Path.GetFileName), Is.EqualTo(new[] { "profile-1s.json", "profile-1h.json", "profile-1day.json", "profile-1month.json" }));
        var std = files.Select(f => NoiseProfileJson.Read(f).Recommended.Sigma).ToList();
        // The 1 s chip is the fresh one (programming residual only); drift adds error at every later age.
        for (int i = 1; i < std.Count; i++) Assert.That(std[i], Is.GreaterThan(std[i - 1]), Path.GetFileName(files[i]));
        // The same chip as `cimsim noise-profile --seed 0` at that age.
        var direct = NoiseProfileBuilder.Build(new NoiseProfileOptions
        {
            Hardware = LifecycleRunner.AtAge(o.Request.Hardware!, 3600),
            HardwareName = "x",
            Model = o.AccuracyModel!,
            Seed = 0,
            ProbeTokens = 0,
        });
        Assert.That(std[1], Is.EqualTo(direct.Recommended.Sigma));
    }

    private static float[] BitAccurateLogits(HardwareSpec hw)
    {
        var m = FunctionalModel.Load(FixturePaths.Of("llama_f32"), FunctionalHardware.Placer(hw, 1, RramPath.BitAccurate));
        return new InferenceSession(m, 4).Forward([1, 5, 9], lastOnly: true).ToArray();
    }

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());

    private const double OneYearS = 365.2425 * LifecycleRunner.SecondsPerDay;

    [Test]
    public void Compensation_OneYear_ErrorAgainstTheFreshChipIsLowerThanWithout()
    {
        // nu 0.05 +- 0.005 (seeded chip): the common decay dominates the error and compensation removes it. With a wider
        // spread of nu the offset level's dispersion dominates and compensation amplifies it (docs/lifecycle.md, measured).
        var fresh = BitAccurateLogits(LifecycleRunner.AtAge(Drifting("rram.noise.drift.nu_sigma=0.005"), 1));
        double without = Distance(BitAccurateLogits(LifecycleRunner.AtAge(Drifting("rram.noise.drift.nu_sigma=0.005"), OneYearS)), fresh);
        double with = Distance(BitAccurateLogits(LifecycleRunner.AtAge(Drifting("rram.noise.drift.nu_sigma=0.005", "rram.noise.drift.compensation=true"), OneYearS)), fresh);
        Assert.That(with, Is.LessThan(without));
    }

    [Test]
    public void Compensation_CommonNu_RestoresTheFreshChip()
    {
        // Every cell drifts by the same s = (t/t0)^-nu: the reference read measures exactly 1/s, so the compensated chip is
        // the undrifted one (up to float rounding); uncompensated it is s times smaller.
        string[] common = ["rram.noise.drift.nu_sigma=0", "rram.noise.drift.compensation_period_s=86400"];
        var fresh = BitAccurateLogits(LifecycleRunner.AtAge(Drifting(common), 1));
        var comp = BitAccurateLogits(LifecycleRunner.AtAge(Drifting([.. common, "rram.noise.drift.compensation=true"]), 100 * LifecycleRunner.SecondsPerDay));
        var raw = BitAccurateLogits(LifecycleRunner.AtAge(Drifting(common), 100 * LifecycleRunner.SecondsPerDay));
        double scale = fresh.Select(Math.Abs).Max();
        Assert.That(Distance(comp, fresh), Is.LessThan(1e-4 * scale * Math.Sqrt(fresh.Length)));
        Assert.That(Distance(raw, fresh), Is.GreaterThan(1e-2 * scale));
    }

    [Test]
    public void Compensation_NoReferenceReadYet_EqualsTheUncompensatedChip()
    {
        // Period 10 days, age 1 day: the last reference read is the one right after programming (alpha = 1).
        var hw = LifecycleRunner.AtAge(Drifting("rram.noise.drift.compensation_period_s=864000"), LifecycleRunner.SecondsPerDay);
        var comp = hw with { Rram = hw.Rram with { Noise = hw.Rram.Noise with { Drift = hw.Rram.Noise.Drift with { Compensation = true } } } };
        Assert.That(BitAccurateLogits(comp), Is.EqualTo(BitAccurateLogits(hw)));
    }

    [Test]
    public void Run_Compensation_PricesOneReferenceReadPerArrayPerPeriodFromTheArrayModel()
    {
        var hw = HardwareConfigLoader.ApplyOverrides(new HardwareSpec(), ["rram.noise.drift.enabled=true", "rram.noise.drift.compensation=true"]);
        var o = AccuracyRun(hw) with { Months = 12, RefreshDays = 0, AccuracyModel = null, AccuracyData = null };
        var r = LifecycleRunner.Run(o);
        // One read after programming + floor(12 months / 1 h) = 1 + floor(365.2425 x 24) = 8766 reads of every array.
        Assert.That(r.Maintenance.CompensationReads, Is.EqualTo(1 + 8765));
        var a = new DeviceTables(hw).Rram;
        // One array: rows x cols cells at full read voltage (V^2 G_mean t), rows DAC drives, every channel sampled and converted.
        double v = hw.Rram.Device.ReadVoltageVolts, g = (hw.Rram.Device.GMinMicrosiemens + hw.Rram.Device.GMaxMicrosiemens) / 2 * 1e-6;
        double cellPj = v * v * g * hw.Rram.Device.ReadPulseSeconds * 1e12;
        double perArrayPj = 64.0 * 64 * cellPj + 64 * a.Dac.EnergyPicojoulesPerDrive + a.AdcChannels * (hw.Rram.Adc.SampleHold.EnergyPicojoules + a.Adc.EnergyPicojoulesPerConversion);
        double expectJ = 8766 * r.Programming.Arrays * perArrayPj * 1e-12;
        Assert.That(r.EnergyByPhaseJ["drift_compensation_reads"], Is.EqualTo(expectJ).Within(1e-9 * expectJ));
        var off = LifecycleRunner.Run(o with { Request = o.Request with { Hardware = HardwareConfigLoader.ApplyOverrides(hw, ["rram.noise.drift.compensation=false"]) } });
        Assert.That(off.EnergyByPhaseJ["drift_compensation_reads"], Is.Zero);
        Assert.That(r.Maintenance.CompensationDowntimeS, Is.EqualTo(8766 * (a.AnalogPhaseSeconds + a.ConversionPhaseSeconds)).Within(1e-12));
        Assert.That(r.Serving.Utilisation, Is.GreaterThan(off.Serving.Utilisation));
    }
}
