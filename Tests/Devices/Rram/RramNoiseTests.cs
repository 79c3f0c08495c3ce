using CimSim.Common.Noise;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using MathNet.Numerics.Distributions;

namespace CimSim.Tests.Devices.Rram;

/// <summary>Physical sanity of the non-idealities; statistical checks use exact distribution bounds at alpha = 1e-6.</summary>
public class RramNoiseTests
{
    private const double Alpha = 1e-6;

    /// <summary>Errors of the held integer weights: W_eff / s_o - q (digit units of the single 8-bit slice).</summary>
    private static double[] WeightErrors(RramLinearLayer layer, float[] w)
    {
        var eff = layer.EffectiveWeights();
        var scales = layer.WeightScales.ToArray();
        int inF = layer.InFeatures;
        var e = new double[eff.Length];
        for (int idx = 0; idx < eff.Length; idx++)
        {
            int o = idx / inF;
            e[idx] = eff[idx] / scales[o] - WeightQuantizer.Level(w[idx], scales[o], layer.Format.WeightQMax);
        }
        return e;
    }

    private static double Variance(double[] e)
    {
        double m = e.Average();
        return e.Sum(v => (v - m) * (v - m)) / (e.Length - 1);
    }

    /// <summary>G window 10..40 uS so that Gaussian noise of a few 0.1 uS never reaches a clip.</summary>
    private static RramSpec WithProgrammingNoise(double sigma) => RramTestSpecs.NoiseFree() with
    {
        Device = new RramDeviceSpec { GMinMicrosiemens = 10, GMaxMicrosiemens = 40 },
        Noise = RramTestSpecs.NoiseOff with { Programming = new ProgrammingNoiseSpec { Impl = ProgrammingNoiseModel.GaussianRelativeGmax, Sigma = sigma, Clip = false } },
    };

    [Test]
    public void Program_SigmaDoubled_WeightErrorVarianceQuadruplesWithinFBounds()
    {
        const int n = 96;
        var w = RramLinearLayerTests.RandomMatrix(n * n, 3);
        var e1 = WeightErrors(RramLinearLayer.Program(w, n, n, WithProgrammingNoise(0.002), 1, "a"), w);
        var e2 = WeightErrors(RramLinearLayer.Program(w, n, n, WithProgrammingNoise(0.004), 2, "a"), w);
        double ratio = Variance(e2) / Variance(e1) / 4;
        var f = new FisherSnedecor(e2.Length - 1, e1.Length - 1);
        Assert.That(ratio, Is.InRange(f.InverseCumulativeDistribution(Alpha / 2), f.InverseCumulativeDistribution(1 - Alpha / 2)));
    }

    [Test]
    public void Program_RelativeToGmaxNoise_ErrorVarianceMatchesTwoCellModelWithinChiSquareBounds()
    {
        const int n = 96;
        const double sigma = 0.003;
        var spec = WithProgrammingNoise(sigma);
        var w = RramLinearLayerTests.RandomMatrix(n * n, 4);
        var layer = RramLinearLayer.Program(w, n, n, spec, 5, "b");
        var e = WeightErrors(layer, w);
        // Differential pair: (eps+ - eps-) / dG with eps ~ N(0, (sigma G_max)^2) each.
        double sd = sigma * 40e-6 / layer.Format.ConductanceStepSiemens;
        double expected = 2 * sd * sd;
        double stat = (e.Length - 1) * Variance(e) / expected;
        var chi = new ChiSquared(e.Length - 1);
        Assert.That(stat, Is.InRange(chi.InverseCumulativeDistribution(Alpha / 2), chi.InverseCumulativeDistribution(1 - Alpha / 2)));
    }

    [Test]
    public void Program_PaperWeightNoisePerLayer_ErrorStdIsSigmaTimesMaxAbsW()
    {
        const int n = 96;
        const double sigma = 0.02;
        var spec = RramTestSpecs.NoiseFree() with
        {
            Array = new RramArraySpec { Rows = 16, Cols = 16, WeightQuantization = WeightQuantizationGranularity.PerTensor },
            Noise = RramTestSpecs.NoiseOff with { WeightNoise = new WeightNoiseSpec { Sigma = sigma, Scale = NoiseScale.Layer } },
        };
        var w = RramLinearLayerTests.RandomMatrix(n * n, 6, 0.3f);
        var layer = RramLinearLayer.Program(w, n, n, spec, 7, "c");
        var eff = layer.EffectiveWeights();
        var ideal = WeightQuantizer.Dequantized(w, n, n, layer.Format);
        var e = eff.Select((v, i) => (double)(v - ideal[i])).ToArray();
        double maxAbs = w.Max(Math.Abs);
        double stat = (e.Length - 1) * Variance(e) / Math.Pow(sigma * maxAbs, 2);
        var chi = new ChiSquared(e.Length - 1);
        Assert.That(stat, Is.InRange(chi.InverseCumulativeDistribution(Alpha / 2), chi.InverseCumulativeDistribution(1 - Alpha / 2)));
    }

    [Test]
    public void Program_StuckAtRates_ObservedCountsWithinBinomialBounds()
    {
        const int n = 128;
        const double p0 = 0.01, p1 = 0.004;
        var spec = RramTestSpecs.NoiseFree() with { Noise = RramTestSpecs.NoiseOff with { StuckAt = new StuckAtSpec { RateGmin = p0, RateGmax = p1 } } };
        var w = RramLinearLayerTests.RandomMatrix(n * n, 8);
        var f = RramLinearLayer.Program(w, n, n, spec, 9, "d").Faults;
        Assert.That(f.Cells, Is.EqualTo(2L * n * n), "differential pair: two cells per weight");
        foreach (var (count, p) in new[] { (f.StuckAtGmin, p0), (f.StuckAtGmax, p1) })
        {
            var bin = new Binomial(p, (int)f.Cells);
            Assert.That(bin.CumulativeDistribution(count), Is.GreaterThan(Alpha / 2), $"count {count} too low");
            Assert.That(1 - bin.CumulativeDistribution(count - 1), Is.GreaterThan(Alpha / 2), $"count {count} too high");
        }
    }

    [Test]
    public void Program_StuckAtGmax_WeightsMoveToFullScale()
    {
        var spec = RramTestSpecs.NoiseFree(WeightEncoding.Offset) with { Noise = RramTestSpecs.NoiseOff with { StuckAt = new StuckAtSpec { RateGmax = 1 } } };
        var w = RramLinearLayerTests.RandomMatrix(8 * 8, 10);
        var layer = RramLinearLayer.Program(w, 8, 8, spec, 1, "e");
        var eff = layer.EffectiveWeights();
        // Offset encoding: a cell at G_max reads digit 255, i.e. q = 255 - 128 = 127.
        for (int i = 0; i < eff.Length; i++) Assert.That(eff[i], Is.EqualTo(127 * layer.WeightScales[i / 8]).Within(1e-6));
    }

    [Test]
    public void Program_Drift_ScalesConductanceByPowerLaw()
    {
        const double nu = 0.05, t = 86400, t0 = 20;
        var spec = RramTestSpecs.NoiseFree(WeightEncoding.Offset) with
        {
            Device = new RramDeviceSpec { GMinMicrosiemens = 0, GMaxMicrosiemens = 40 },
            Noise = RramTestSpecs.NoiseOff with { Drift = new DriftSpec { Enabled = true, Nu = nu, NuSigma = 0, T0Seconds = t0, TSeconds = t } },
        };
        var w = new float[] { 1f, -1f, 0.5f, 0f };
        var layer = RramLinearLayer.Program(w, 1, 4, spec, 1, "f");
        var eff = layer.EffectiveWeights();
        double factor = Math.Pow(t / t0, -nu);
        for (int i = 0; i < w.Length; i++)
        {
            int q = WeightQuantizer.Level(w[i], layer.WeightScales[0], 127);
            // Offset encoding, analog subtraction: the reference column (offset level 128) drifts by the same factor.
            double expected = q * factor * layer.WeightScales[0];
            Assert.That(eff[i], Is.EqualTo(expected).Within(1e-4));
        }
    }

    [Test]
    public void Program_IrDrop_FartherCellsLoseMoreCurrent()
    {
        var spec = RramTestSpecs.NoiseFree(WeightEncoding.Offset, rows: 16) with
        {
            Noise = RramTestSpecs.NoiseOff with { IrDrop = new IrDropSpec { Enabled = true, WireResistanceOhmPerCell = 50 } },
        };
        var w = Enumerable.Repeat(1f, 16).ToArray(); // one output, 16 inputs = 16 rows of one column, all at G_max
        var layer = RramLinearLayer.Program(w, 1, 16, spec, 1, "g");
        var eff = layer.EffectiveWeights();
        // Row 0 is farthest from the sense node at the bottom: it loses the most.
        for (int r = 1; r < 16; r++) Assert.That(eff[r], Is.GreaterThan(eff[r - 1]));
        Assert.That(eff[15], Is.LessThan(layer.WeightScales[0] * 127));
    }

    [TestCase(RramPath.Statistical)]
    [TestCase(RramPath.BitAccurate)]
    public void Forward_SameSeed_IdenticalAndDifferentSeedDiffers(RramPath path)
    {
        var spec = WithProgrammingNoise(0.01) with
        {
            Adc = new AdcSpec { Ideal = false, Bits = 6 },
            Noise = WithProgrammingNoise(0.01).Noise with { Read = new ReadNoiseSpec { Sigma = 0.01 } },
        };
        var w = RramLinearLayerTests.RandomMatrix(24 * 40, 11);
        var x = RramLinearLayerTests.RandomMatrix(3 * 40, 12);
        float[] Run(ulong seed)
        {
            var layer = RramLinearLayer.Program(w, 24, 40, spec, seed, "h");
            var y = new float[3 * 24];
            layer.Forward(x, y, 3, path);
            return y;
        }
        Assert.That(Run(1), Is.EqualTo(Run(1)));
        Assert.That(Run(1), Is.Not.EqualTo(Run(2)));
    }

    [TestCase(ReadNoiseScale.Gmax)]
    [TestCase(ReadNoiseScale.G)]
    public void Forward_ReadNoiseIdealAdc_PathsHaveTheSameErrorVarianceWithinFBounds(ReadNoiseScale scale)
    {
        // Gaussian read noise per cell per read sums to a Gaussian per output with the same variance in both paths.
        const int outF = 64, inF = 48, tokens = 8;
        var spec = RramTestSpecs.NoiseFree(dacBits: 2) with
        {
            Noise = RramTestSpecs.NoiseOff with { Read = new ReadNoiseSpec { Sigma = 0.02, RelativeTo = scale } },
        };
        var w = RramLinearLayerTests.RandomMatrix(outF * inF, 13);
        var layer = RramLinearLayer.Program(w, outF, inF, spec, 1, "i");
        var exact = RramLinearLayerTests.ExactReference(layer, w, RramLinearLayerTests.RandomMatrix(tokens * inF, 14), tokens);
        var x = RramLinearLayerTests.RandomMatrix(tokens * inF, 14);
        double[] Errors(RramPath path)
        {
            var errs = new List<double>();
            for (ulong rep = 0; rep < 8; rep++)
            {
                var y = new float[tokens * outF];
                layer.Forward(x, y, tokens, path, rep);
                errs.AddRange(y.Select((v, i) => (double)(v - exact[i])));
            }
            return errs.ToArray();
        }
        var eb = Errors(RramPath.BitAccurate);
        var es = Errors(RramPath.Statistical);
        double ratio = Variance(es) / Variance(eb);
        var f = new FisherSnedecor(es.Length - 1, eb.Length - 1);
        Assert.That(ratio, Is.InRange(f.InverseCumulativeDistribution(Alpha / 2), f.InverseCumulativeDistribution(1 - Alpha / 2)));
    }

    [Test]
    public void Forward_MoreAdcBits_LowersError()
    {
        const int outF = 32, inF = 128, tokens = 8;
        var w = RramLinearLayerTests.RandomMatrix(outF * inF, 15);
        var x = RramLinearLayerTests.RandomMatrix(tokens * inF, 16);
        double previous = double.MaxValue;
        foreach (var bits in new[] { 4, 6, 8, 10, 12 })
        {
            var spec = RramTestSpecs.NoiseFree(dacBits: 1, rows: 64) with { Adc = new AdcSpec { Ideal = false, Bits = bits } };
            var layer = RramLinearLayer.Program(w, outF, inF, spec, 1, "j");
            var exact = RramLinearLayerTests.ExactReference(layer, w, x, tokens);
            var y = new float[tokens * outF];
            layer.Forward(x, y, tokens, RramPath.BitAccurate);
            double rmse = Math.Sqrt(y.Select((v, i) => Math.Pow(v - exact[i], 2)).Average());
            Assert.That(rmse, Is.LessThan(previous), $"{bits}-bit ADC");
            previous = rmse;
        }
    }

    [Test]
    public void Forward_ClippingAdcRange_CountsClippedConversions()
    {
        var spec = RramTestSpecs.NoiseFree(dacBits: 4, rows: 16) with
        {
            Adc = new AdcSpec { Ideal = false, Bits = 8, Range = new AdcRangeSpec { FullScale = AdcFullScaleMode.Fraction, ClipFraction = 0.01 } },
        };
        var w = RramLinearLayerTests.RandomMatrix(16 * 16, 17);
        var x = RramLinearLayerTests.RandomMatrix(4 * 16, 18);
        var layer = RramLinearLayer.Program(w, 16, 16, spec, 1, "k");
        layer.Forward(x, new float[4 * 16], 4, RramPath.BitAccurate);
        var (conversions, clipped) = layer.AdcStatistics;
        Assert.That(conversions, Is.EqualTo(1L * 2 * 4 * 16), "1 block x 2 steps x 4 tokens x 16 outputs");
        Assert.That(clipped, Is.GreaterThan(0));
    }
}
