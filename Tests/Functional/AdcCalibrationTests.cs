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
        AdcCalibrationMethod method = AdcCalibrationMethod.Percentile, OffsetSubtraction subtraction = OffsetSubtraction.Analog)
    {
        var hw = FunctionalHardware.WithWeightNoiseSigma(new HardwareSpec(), 0);
        return hw with
        {
            Rram = hw.Rram with
            {
                Array = hw.Rram.Array with { Encoding = encoding, OffsetSubtraction = subtraction },
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
    public void RealisticAdcConfig_EightBitsCalibrated_KeepsTop1AboveNinetyPercent()
    {
        // hw-configs/realistic-adc.yaml (8-bit calibrated ADC, the default offset encoding with the reference column
        // subtracted before the ADC) without weight noise: the ADC's own cost.
        var shipped = HardwareConfigLoader.Load(Path.Combine(FixturePaths.RepoRoot, "hw-configs", "realistic-adc.yaml"));
        Assert.That((shipped.Rram.Adc.Ideal, shipped.Rram.Adc.Bits, shipped.Rram.Adc.Range.FullScale), Is.EqualTo((false, 8, AdcFullScaleMode.Calibrated)));
        Assert.That((shipped.Rram.Array.Encoding, shipped.Rram.Array.OffsetSubtraction), Is.EqualTo((WeightEncoding.Offset, OffsetSubtraction.Analog)));
        Assert.That(shipped.Rram.Array.Encoding, Is.EqualTo(new HardwareSpec().Rram.Array.Encoding), "the default encoding");
        var (top1, _) = Mean(FunctionalHardware.WithWeightNoiseSigma(shipped, 0), RramPath.BitAccurate, seeds: 3);
        Assert.That(top1, Is.GreaterThanOrEqualTo(0.9));
    }

    [Test]
    public void OffsetEncoding_AnalogSubtraction_BeatsDigitalSubtractionAtEightBits()
    {
        // Subtracting the reference column before the ADC removes the bias 2^7 sum_r c_r from what the ADC converts
        // (its range then spans the signal, not the number of active rows): the 8-bit error must drop well below the
        // digital-subtraction chip's, and reach the differential pair's (same signed sums, noise off).
        var analog = Mean(Adc(8, AdcFullScaleMode.Calibrated), RramPath.BitAccurate);
        var digital = Mean(Adc(8, AdcFullScaleMode.Calibrated, subtraction: OffsetSubtraction.Digital), RramPath.BitAccurate);
        var differential = Mean(Adc(8, AdcFullScaleMode.Calibrated, WeightEncoding.Differential), RramPath.BitAccurate);
        Assert.That(analog.Rms, Is.LessThan(0.6 * digital.Rms));
        Assert.That(analog.Top1, Is.GreaterThan(digital.Top1));
        Assert.That(analog.Rms, Is.EqualTo(differential.Rms).Within(0.1 * differential.Rms));
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

/// <summary>Prints the ADC table of docs/accuracy.md (explicit: about a minute).</summary>
public class AdcCalibrationTable
{
    [Test, Explicit("prints the table of docs/accuracy.md")]
    public void Print()
    {
        void Row(string label, HardwareSpec hw, RramPath path)
        {
            var r = Enumerable.Range(0, 3).Select(s => AdcCalibrationTests.CompareWithIdeal(hw, path, (ulong)s)).ToList();
            TestContext.Out.WriteLine($"| {label} | {r.Average(x => x.Top1):F3} ({r.Min(x => x.Top1):F3}-{r.Max(x => x.Top1):F3}) | {r.Average(x => x.RmsLogitError):F3} |");
        }
        Row("W8A8, ideal ADC, no noise", FunctionalHardware.WithWeightNoiseSigma(new HardwareSpec(), 0), RramPath.BitAccurate);
        const OffsetSubtraction analog = OffsetSubtraction.Analog, digital = OffsetSubtraction.Digital;
        foreach (var (enc, sub, mode, path) in new[]
        {
            (WeightEncoding.Offset, digital, AdcFullScaleMode.Max, RramPath.BitAccurate),
            (WeightEncoding.Offset, digital, AdcFullScaleMode.Calibrated, RramPath.BitAccurate),
            (WeightEncoding.Offset, analog, AdcFullScaleMode.Max, RramPath.BitAccurate),
            (WeightEncoding.Offset, analog, AdcFullScaleMode.Calibrated, RramPath.BitAccurate),
            (WeightEncoding.Offset, analog, AdcFullScaleMode.Calibrated, RramPath.Statistical),
            (WeightEncoding.Differential, analog, AdcFullScaleMode.Calibrated, RramPath.BitAccurate),
            (WeightEncoding.Differential, analog, AdcFullScaleMode.Calibrated, RramPath.Statistical),
        })
            foreach (var bits in new[] { 10, 8, 6, 4 })
            {
                string label = enc == WeightEncoding.Offset ? $"offset ({sub.ToString().ToLowerInvariant()} subtraction)" : "differential";
                Row($"{label}, {mode.ToString().ToLowerInvariant()}, {bits} bit, {FunctionalHardware.PathName(path)}", AdcCalibrationTests.Adc(bits, mode, enc, subtraction: sub), path);
            }
    }
}

/// <summary>Statistical path with and without the calibrated 8-bit ADC on one 2048 x 8192 layer, interleaved, best of 3 (explicit: timing).</summary>
public class AdcCalibrationSpeed
{
    [Test, Explicit("timing, for docs/accuracy.md")]
    public void Print()
    {
        const int inF = 2048, outF = 8192, prefill = 64, decode = 16;
        var w = new float[inF * outF];
        new CimSim.Devices.Numerics.Gaussian(CimSim.Common.Random.RandomStreams.Create(1, "w")).AddScaled(w, 0.02);
        var x = new float[prefill * inF];
        new CimSim.Devices.Numerics.Gaussian(CimSim.Common.Random.RandomStreams.Create(1, "x")).AddScaled(x, 1);
        var plain = RramLinearLayer.Program(w, outF, inF, new HardwareSpec().Rram, 0, "l");
        var adc = RramLinearLayer.Program(w, outF, inF, AdcCalibrationTests.Adc(8, AdcFullScaleMode.Calibrated).Rram with { Noise = new HardwareSpec().Rram.Noise }, 0, "l");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        adc.CalibrateAdc(x, prefill);
        TestContext.Out.WriteLine($"calibration of one layer on {prefill} tokens: {sw.Elapsed.TotalSeconds:F2} s");
        var y = new float[prefill * outF];
        (double Pre, double Dec) Time(RramLinearLayer l)
        {
            sw.Restart();
            l.Forward(x, y, prefill, RramPath.Statistical);
            double pre = sw.Elapsed.TotalSeconds;
            sw.Restart();
            for (int t = 0; t < decode; t++) l.Forward(x.AsSpan(t * inF, inF), y, 1, RramPath.Statistical);
            return (prefill / pre, decode / sw.Elapsed.TotalSeconds);
        }
        Time(plain); Time(adc);
        double bp = 0, bd = 0, ap = 0, ad = 0;
        for (int r = 0; r < 3; r++)
        {
            var p = Time(plain); var a = Time(adc);
            (bp, bd, ap, ad) = (Math.Max(bp, p.Pre), Math.Max(bd, p.Dec), Math.Max(ap, a.Pre), Math.Max(ad, a.Dec));
        }
        TestContext.Out.WriteLine($"statistical, ideal ADC: prefill {bp:F1} tokens/s, decode {bd:F1} tokens/s");
        TestContext.Out.WriteLine($"statistical, calibrated 8-bit ADC: prefill {ap:F1} tokens/s ({ap / bp:P0}), decode {ad:F1} tokens/s ({ad / bd:P0})");
    }
}

/// <summary>Top-1 and RMS logit error per seed of realistic-adc.yaml on the fixture, for docs/accuracy.md's lm_head calibration tokens (explicit: ~1 min).</summary>
public class AdcCalibrationSeedSpread
{
    [Test, Explicit("prints the per-seed figures of docs/accuracy.md")]
    public void Print()
    {
        var shipped = HardwareConfigLoader.Load(Path.Combine(FixturePaths.RepoRoot, "hw-configs", "realistic-adc.yaml"));
        var hw = FunctionalHardware.WithWeightNoiseSigma(shipped, 0);
        TestContext.Out.WriteLine($"lm_head calibration tokens: {AdcCalibrationPass.LmHeadTokens}");
        foreach (var path in new[] { RramPath.BitAccurate, RramPath.Statistical })
        {
            var r = Enumerable.Range(0, 5).Select(s => AdcCalibrationTests.CompareWithIdeal(hw, path, (ulong)s)).ToList();
            TestContext.Out.WriteLine($"{FunctionalHardware.PathName(path)}: top-1 {string.Join(" ", r.Select(x => x.Top1.ToString("F3")))} mean {r.Average(x => x.Top1):F3}; "
                + $"RMS {string.Join(" ", r.Select(x => x.RmsLogitError.ToString("F3")))} mean {r.Average(x => x.RmsLogitError):F3}");
        }
    }
}
