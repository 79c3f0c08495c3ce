using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Simulator.Functional;
using CimSim.Workloads.Datasets;

namespace CimSim.Tests.Functional;

public class DevicePathTests
{
    private static readonly int[] Tokens = [1, 17, 42, 200, 5, 99, 3, 250];

    private static HardwareSpec NoiseFree()
    {
        var hw = FunctionalHardware.WithWeightNoiseSigma(new HardwareSpec(), 0);
        return hw with { Rram = hw.Rram with { Adc = hw.Rram.Adc with { Ideal = true } } };
    }

    private static float[] Logits(HardwareSpec? hw, RramPath path, ulong seed = 0)
    {
        var m = FunctionalModel.Load(FixturePaths.Of("qwen2_f32"), FunctionalHardware.Placer(hw, seed, path), FixturePaths.Of("qwen2_f32_lora"));
        return new InferenceSession(m).Forward(Tokens);
    }

    private static double RelativeError(float[] a, float[] reference)
    {
        double e = 0, s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            e += (a[i] - reference[i]) * (double)(a[i] - reference[i]);
            s += reference[i] * (double)reference[i];
        }
        return Math.Sqrt(e / s);
    }

    [Test]
    public void Forward_NoNoiseIdealAdc_BitAccurateAndStatisticalAgree()
    {
        var hw = NoiseFree();
        var stat = Logits(hw, RramPath.Statistical);
        var bit = Logits(hw, RramPath.BitAccurate);
        var ideal = Logits(null, RramPath.Statistical);
        // Both paths compute the same integer products of the same quantised operands: only float rounding differs.
        Assert.That(RelativeError(bit, stat), Is.LessThan(1e-5));
        // ... and both differ from the float model by the W8/A8 quantisation error only, which is small but not zero.
        var quantisation = RelativeError(stat, ideal);
        Assert.That(quantisation, Is.GreaterThan(1e-5).And.LessThan(0.05));
    }

    [Test]
    public void Forward_SameSeed_SameLogits_OtherSeed_OtherChip()
    {
        var hw = FunctionalHardware.WithWeightNoiseSigma(new HardwareSpec(), 0.02);
        var a = Logits(hw, RramPath.Statistical, 5);
        var b = Logits(hw, RramPath.Statistical, 5);
        var c = Logits(hw, RramPath.Statistical, 6);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(RelativeError(c, a), Is.GreaterThan(1e-4));
    }

    [Test]
    public void Accuracy_GrowingSigma_GrowsOutputErrorAndKl()
    {
        var report = AccuracyRunner.Run(new AccuracyOptions
        {
            ModelDirectory = FixturePaths.Of("llama_f32"),
            Hardware = new HardwareSpec(),
            HardwareName = "default spec",
            Items = [new TextItem(1, "Noise grows with sigma, and so does the error of every layer.")],
            DataName = "inline",
            Seeds = 2,
            Sigmas = [0.005, 0.01, 0.02, 0.04],
        });
        var moduleError = report.Levels.Select(l => l.Modules.Average(m => m.RelativeError)).ToList();
        var kl = report.Levels.Select(l => l.KlDivergence.Mean!.Value).ToList();
        for (int i = 1; i < moduleError.Count; i++)
        {
            Assert.That(moduleError[i], Is.GreaterThan(moduleError[i - 1]), $"module error at sigma {report.Levels[i].Sigma}");
            Assert.That(kl[i], Is.GreaterThan(kl[i - 1]), $"KL at sigma {report.Levels[i].Sigma}");
        }
        // Once the noise dominates the W8/A8 quantisation floor, the output error is proportional to sigma.
        Assert.That(moduleError[3] / moduleError[2], Is.InRange(1.6, 2.4));
        Assert.That(report.Levels[0].Modules, Has.Count.EqualTo(14));
        Assert.That(report.Levels[0].DecoderLayers, Has.Count.EqualTo(2));
    }

    [Test]
    public void Accuracy_SameOptions_ByteIdenticalReport()
    {
        AccuracyOptions Options() => new()
        {
            ModelDirectory = FixturePaths.Of("llama_f32"),
            AdapterDirectory = FixturePaths.Of("llama_f32_lora"),
            Hardware = new HardwareSpec(),
            HardwareName = "default spec",
            Items = [new TextItem(1, "abc def"), new ChoiceItem(2, "1+1=", ["2", "3"], 0)],
            DataName = "inline",
            Seeds = 2,
            Path = RramPath.BitAccurate,
        };
        var a = AccuracyReportWriter.ToJson(AccuracyRunner.Run(Options()));
        var b = AccuracyReportWriter.ToJson(AccuracyRunner.Run(Options()));
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Does.Contain("\"choice_accuracy\"").And.Contain("\"top1_agreement\""));
    }
}
