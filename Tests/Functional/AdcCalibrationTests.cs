using System.Numerics.Tensors;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Simulator.Functional;

namespace CimSim.Tests.Functional;

public class AdcCalibrationTests
{
    private static readonly int[][] Prompts =
    [
        [1, 17, 42, 200, 5, 99, 3, 250, 77, 13, 64, 128, 31, 8, 190, 222],
        [72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10, 84, 104],
        [9, 240, 33, 150, 61, 2, 118, 87, 45, 201, 166, 12, 99, 54, 230, 7],
    ];

    /// <summary>Default geometry, no weight noise (the ADC's own effect), ADC as given.</summary>
    internal static HardwareSpec Adc(int bits, AdcFullScaleMode mode, WeightEncoding encoding = WeightEncoding.Offset,
        AdcCalibrationMethod method = AdcCalibrationMethod.Percentile)
    {
        var hw = FunctionalHardware.WithWeightNoiseSigma(new HardwareSpec(), 0);
        return hw with
        {
            Rram = hw.Rram with
            {
                Array = hw.Rram.Array with { Encoding = encoding },
                Adc = hw.Rram.Adc with { Ideal = false, Bits = bits, Range = hw.Rram.Adc.Range with { FullScale = mode, Calibration = method } },
            },
        };
    }

    /// <summary>Top-1 agreement and RMS logit error of a chip against exact float products, over three 16-token prompts.</summary>
    internal static (double Top1, double RmsLogitError) CompareWithIdeal(HardwareSpec hw, RramPath path, ulong seed, string fixture = "llama_f32")
    {
        var ideal = FunctionalModel.Load(FixturePaths.Of(fixture), IdealPlacer.Instance);
        var chip = FunctionalModel.Load(FixturePaths.Of(fixture), FunctionalHardware.Placer(hw, seed, path));
        int vocab = ideal.Spec.VocabSize, agree = 0, rows = 0;
        double err = 0;
        foreach (var p in Prompts)
        {
            var a = new InferenceSession(ideal, p.Length).Forward(p);
            var b = new InferenceSession(chip, p.Length).Forward(p);
            for (int t = 0; t < p.Length; t++)
            {
                var ra = a.AsSpan(t * vocab, vocab);
                var rb = b.AsSpan(t * vocab, vocab);
                if (TensorPrimitives.IndexOfMax(ra) == TensorPrimitives.IndexOfMax(rb)) agree++;
                for (int j = 0; j < vocab; j++) err += (ra[j] - rb[j]) * (double)(ra[j] - rb[j]);
                rows++;
            }
        }
        return ((double)agree / rows, Math.Sqrt(err / ((double)rows * vocab)));
    }

    private static (double Top1, double Rms) Mean(HardwareSpec hw, RramPath path, int seeds = 2)
    {
        var r = Enumerable.Range(0, seeds).Select(s => CompareWithIdeal(hw, path, (ulong)s)).ToList();
        return (r.Average(x => x.Top1), r.Average(x => x.RmsLogitError));
    }

    [Test]
    public void Calibrated_FewerBits_ErrorGrowsMonotonically()
    {
        var rms = new[] { 10, 8, 6, 4 }.Select(b => Mean(Adc(b, AdcFullScaleMode.Calibrated), RramPath.BitAccurate)).ToList();
        // Each two bits fewer multiplies the step by 4: the RMS logit error must grow at every step, and top-1 never improve.
        for (int i = 1; i < rms.Count; i++)
        {
            Assert.That(rms[i].Rms, Is.GreaterThan(1.5 * rms[i - 1].Rms), $"RMS logit error at step {i}");
            Assert.That(rms[i].Top1, Is.LessThanOrEqualTo(rms[i - 1].Top1 + 0.05), $"top-1 at step {i}");
        }
    }

    [Test]
    public void Calibrated_EightBitsDifferential_KeepsTop1AboveNinetyPercent()
    {
        var (top1, _) = Mean(Adc(8, AdcFullScaleMode.Calibrated, WeightEncoding.Differential), RramPath.BitAccurate, seeds: 3);
        Assert.That(top1, Is.GreaterThanOrEqualTo(0.9));
    }

    [Test]
    public void Calibrated_EightBits_BeatsMaxRangeByAFactorOfTwo()
    {
        var calibrated = Mean(Adc(8, AdcFullScaleMode.Calibrated), RramPath.BitAccurate);
        var max = Mean(Adc(8, AdcFullScaleMode.Max), RramPath.BitAccurate);
        Assert.That(calibrated.Rms, Is.LessThan(0.5 * max.Rms));
        Assert.That(calibrated.Top1, Is.GreaterThan(max.Top1));
    }

    [Test]
    public void Statistical_CalibratedAdc_MatchesBitAccurateErrorWithinFortyPercent()
    {
        // The statistical path adds the calibrated groups' measured conversion MSE as Gaussian output noise.
        foreach (var bits in new[] { 8, 6 })
        {
            var bit = Mean(Adc(bits, AdcFullScaleMode.Calibrated), RramPath.BitAccurate);
            var stat = Mean(Adc(bits, AdcFullScaleMode.Calibrated), RramPath.Statistical);
            Assert.That(stat.Rms / bit.Rms, Is.InRange(0.6, 1.4), $"{bits} bits: statistical {stat.Rms}, bit-accurate {bit.Rms}");
        }
    }

    [Test]
    public void Calibrated_SameSeed_IdenticalLogits()
    {
        var hw = Adc(6, AdcFullScaleMode.Calibrated);
        var a = CompareWithIdeal(hw, RramPath.BitAccurate, 7);
        var b = CompareWithIdeal(hw, RramPath.BitAccurate, 7);
        Assert.That(a, Is.EqualTo(b));
    }
}
