using CimSim.Devices.Config;
using CimSim.Devices.Rram;

namespace CimSim.Tests.Devices.Rram;

public class RramLinearLayerTests
{
    internal static float[] RandomMatrix(int n, int seed, float scale = 1f)
    {
        var r = new System.Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)((r.NextDouble() * 2 - 1) * scale);
        return a;
    }

    /// <summary>Both paths of <paramref name="actual"/> give <paramref name="expected"/>'s outputs exactly on x (noise stream 4).</summary>
    internal static void AssertSameOutputs(RramLinearLayer expected, RramLinearLayer actual, float[] x, int tokens)
    {
        foreach (var path in new[] { RramPath.Statistical, RramPath.BitAccurate })
        {
            var y1 = new float[tokens * expected.OutFeatures];
            var y2 = new float[tokens * expected.OutFeatures];
            expected.Forward(x, y1, tokens, path, 4);
            actual.Forward(x, y2, tokens, path, 4);
            Assert.That(y2, Is.EqualTo(y1), path.ToString());
        }
    }

    /// <summary>The exact integer product, dequantised with the same float operations as the kernel.</summary>
    internal static float[] ExactReference(RramLinearLayer layer, float[] w, float[] x, int tokens)
    {
        var s = layer.Format;
        int outF = layer.OutFeatures, inF = layer.InFeatures;
        var xq = new float[x.Length];
        var a = InputQuantizer.Quantize(x, tokens, inF, s, xq);
        var scales = layer.WeightScales.ToArray();
        var y = new float[tokens * outF];
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < outF; o++)
            {
                long acc = 0;
                for (int i = 0; i < inF; i++)
                    acc += (long)xq[t * inF + i] * WeightQuantizer.Level(w[o * inF + i], scales[o], s.WeightQMax);
                Assert.That(Math.Abs(acc), Is.LessThan(1 << 24), "test sizes must keep float sums exact");
                float v = acc;
                v *= scales[o];
                v *= a[t];
                y[t * outF + o] = v;
            }
        return y;
    }

    private static IEnumerable<TestCaseData> ExactCases()
    {
        foreach (var enc in new[] { WeightEncoding.Differential, WeightEncoding.Offset })
            foreach (var (bpc, dac) in new[] { (8, 8), (1, 1), (2, 1), (4, 2), (3, 8) })
                foreach (var adc in new[] { 0, 24 })
                    yield return new TestCaseData(enc, bpc, dac, adc);
    }

    [TestCaseSource(nameof(ExactCases))]
    public void Forward_NoiseOffIdealAdc_BothPathsEqualExactIntegerProduct(WeightEncoding enc, int bitsPerCell, int dacBits, int adcBits)
    {
        var format = RramTestSpecs.NoiseFree(enc, bitsPerCell, dacBits, adcBits);
        const int outF = 13, inF = 37, tokens = 5;
        var w = RandomMatrix(outF * inF, 1);
        var x = RandomMatrix(tokens * inF, 2, 3f);
        var layer = RramLinearLayer.Program(w, outF, inF, format, 7, "test");
        var expected = ExactReference(layer, w, x, tokens);
        foreach (var path in new[] { RramPath.BitAccurate, RramPath.Statistical })
        {
            var y = new float[tokens * outF];
            layer.Forward(x, y, tokens, path);
            Assert.That(y, Is.EqualTo(expected), path.ToString());
        }
    }

    /// <summary>
    /// The bit-accurate kernel keeps its tile buffer per thread: a layer with 8 DAC steps after one with a single step,
    /// both on one thread (one work item each: it runs on the calling thread), still equals the exact integer product
    /// (the buffer sized for one step used to be kept and overrun).
    /// </summary>
    [Test]
    public void Forward_BitAccurateMoreStepsAfterFewerOnOneThread_EqualsExactIntegerProduct()
    {
        const int outF = 256, inF = 64, tokens = 32;
        var w = RandomMatrix(outF * inF, 1);
        var x = RandomMatrix(tokens * inF, 2, 3f);
        var oneStep = RramLinearLayer.Program(w, outF, inF, RramTestSpecs.NoiseFree(WeightEncoding.Differential, 8, 8, 0), 7, "test");
        var eightSteps = RramLinearLayer.Program(w, outF, inF, RramTestSpecs.NoiseFree(WeightEncoding.Differential, 8, 1, 0), 7, "test");
        Assert.That((oneStep.Format.DacSteps, eightSteps.Format.DacSteps), Is.EqualTo((1, 8)));
        var expected = ExactReference(eightSteps, w, x, tokens);
        var y = new float[tokens * outF];
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                oneStep.Forward(x, new float[tokens * outF], tokens, RramPath.BitAccurate);
                eightSteps.Forward(x, y, tokens, RramPath.BitAccurate);
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        Assert.That(error, Is.Null);
        Assert.That(y, Is.EqualTo(expected));
    }

    /// <summary>
    /// Per-channel weight scales of a layer whose rows run as several tasks (300 rows of 1000): each row's max|W| / Q,
    /// Q = 2^(8-1) - 1 = 127, from a closed form over that row alone; per tensor, every row the whole matrix's.
    /// </summary>
    [Test]
    public void Scales_ManyRows_EachRowItsOwnMaximum()
    {
        const int outF = 300, inF = 1000;
        var rng = new Random(4);
        var w = new float[outF * inF];
        for (int k = 0; k < w.Length; k++) w[k] = (float)(rng.NextDouble() - 0.5) * (1 + k / inF);
        var perChannel = new RramFormat(new RramSpec());
        Assert.That(perChannel.WeightQMax, Is.EqualTo(127));
        var scales = WeightQuantizer.Scales(w, outF, inF, perChannel);
        float all = 0;
        for (int o = 0; o < outF; o++)
        {
            float m = 0;
            for (int i = 0; i < inF; i++) m = Math.Max(m, Math.Abs(w[o * inF + i]));
            all = Math.Max(all, m);
            Assert.That(scales[o], Is.EqualTo(m / 127f), $"row {o}");
        }
        var perTensor = new RramFormat(new RramSpec { Array = new RramArraySpec { WeightQuantization = WeightQuantizationGranularity.PerTensor } });
        Assert.That(WeightQuantizer.Scales(w, outF, inF, perTensor), Is.All.EqualTo(all / 127f));
    }

    /// <summary>
    /// The bit-accurate kernel runs tokens and outputs in tiles (32 tokens, 256 outputs): on a layer spanning several of
    /// each, with partial tiles and a partial row block, and a lossy 6-bit ADC, every output equals the model's
    /// definition evaluated element by element here: sum over row blocks, then DAC steps (1-bit, two's complement:
    /// the top step weighs -2^7), of 2^k ADC(sum over the block's rows of bit_k(xq) q), then scaled by s_o and the input scale.
    /// </summary>
    [Test]
    public void Forward_BitAccurateLossyAdcAcrossTiles_EqualsElementwiseDefinition()
    {
        var format = new RramFormat(RramTestSpecs.NoiseFree(WeightEncoding.Differential, bitsPerCell: 8, dacBits: 1, adcBits: 6));
        const int outF = 2 * 256 + 13, inF = 8 * 16 + 9, tokens = 32 + 7;
        var w = RandomMatrix(outF * inF, 3);
        var x = RandomMatrix(tokens * inF, 4, 2f);
        var layer = RramLinearLayer.Program(w, outF, inF, format, 7, "tiles");
        Assert.That(layer.AdcPerStep.All(a => !a.IsLossless), "a lossy ADC on every step");
        var y = new float[tokens * outF];
        layer.Forward(x, y, tokens, RramPath.BitAccurate);

        var xq = new float[x.Length];
        var inputScales = InputQuantizer.Quantize(x, tokens, inF, format, xq);
        var scales = layer.WeightScales.ToArray();
        int rows = format.ArrayRows, blocks = (inF + rows - 1) / rows;
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < outF; o++)
            {
                float acc = 0;
                for (int rb = 0; rb < blocks; rb++)
                    for (int k = 0; k < 8; k++)
                    {
                        long p = 0;
                        for (int i = rb * rows; i < Math.Min(inF, (rb + 1) * rows); i++)
                        {
                            int v = (int)xq[t * inF + i], bit = k < 7 ? (v >> k) & 1 : v >> 7;
                            p += (long)bit * WeightQuantizer.Level(w[o * inF + i], scales[o], format.WeightQMax);
                        }
                        acc += (1 << k) * layer.AdcPerStep[k].Convert(p);
                    }
                float expected = acc;
                expected *= scales[o];
                expected *= inputScales[t];
                if (y[t * outF + o] != expected)
                    Assert.Fail($"token {t}, output {o}: kernel {y[t * outF + o]}, definition {expected}");
            }
    }
}
