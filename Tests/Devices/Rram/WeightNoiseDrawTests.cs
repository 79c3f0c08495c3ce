using CimSim.Common.Noise;
using CimSim.Common.Random;
using CimSim.Devices.Config;
using CimSim.Devices.Numerics;
using CimSim.Devices.Rram;
using MathNet.Numerics.Distributions;

namespace CimSim.Tests.Devices.Rram;

/// <summary>
/// The programming fast path for chips without cell non-idealities (CellProgrammer.ProgramExactCells): with the polar
/// generator it holds the same chip as the cell-by-cell loop (which read noise relative to G selects, without changing the
/// stored weights); with box-muller the weight noise keeps its law (sigma x tile max|W|) on different draws.
/// </summary>
public class WeightNoiseDrawTests
{
    private const double Alpha = 1e-6;

    private static RramSpec Spec(WeightEncoding encoding, int bitsPerCell, NoiseScale scale, NormalGenerator generator = NormalGenerator.Polar,
        double readSigma = 0, double mean = 0) => RramTestSpecs.NoiseFree(encoding, bitsPerCell) with
        {
            Array = new RramArraySpec { Rows = 16, Cols = 16, BitsPerCell = bitsPerCell, WeightBits = 8, Encoding = encoding },
            Noise = RramTestSpecs.NoiseOff with
            {
                WeightNoise = new WeightNoiseSpec { Sigma = 0.03, Scale = scale, TileRows = 16, TileCols = 16, Generator = generator },
                Read = new ReadNoiseSpec { Sigma = readSigma, RelativeTo = ReadNoiseScale.G },
            },
        };

    // 150 outputs: three random chunks of 64 rows, the last partial; 45 inputs: the vectorised row loop leaves a tail of 5.
    [TestCase(WeightEncoding.Offset, 8, NoiseScale.Tile)]
    [TestCase(WeightEncoding.Offset, 4, NoiseScale.Layer)]
    [TestCase(WeightEncoding.Differential, 8, NoiseScale.Weight)]
    [TestCase(WeightEncoding.Differential, 2, NoiseScale.Tile)]
    public void Polar_FastPathHoldsTheSameChipAsTheCellByCellLoop(WeightEncoding encoding, int bitsPerCell, NoiseScale scale)
    {
        const int outF = 150, inF = 45;
        var w = RramLinearLayerTests.RandomMatrix(outF * inF, 21, 0.2f);
        for (int i = 0; i < inF; i++) w[3 * inF + i] = 0; // a zero row: scale 0, no draws
        var fast = RramLinearLayer.Program(w, outF, inF, Spec(encoding, bitsPerCell, scale), 9, "layer");
        var cells = RramLinearLayer.Program(w, outF, inF, Spec(encoding, bitsPerCell, scale, readSigma: 0.01), 9, "layer");
        Assert.That(fast.EffectiveWeights(), Is.EqualTo(cells.EffectiveWeights()));
        Assert.That(fast.Faults, Is.EqualTo(cells.Faults));
    }

    [Test]
    public void Polar_WeightNoiseIsTheScalarExpressionOnTheReferenceStream()
    {
        // One 8-bit differential slice: the stored weight is q + (float)(sigma z (max|W| / s_o)), then s_o times
        // that; z from the scalar polar method on MathNet's stream of each 64-row chunk, one draw per weight of every row
        // with a positive scale. 45 inputs: the vectorised loop and its scalar tail of 5; row 3 is zero (no draws).
        const int outF = 150, inF = 45;
        const double sigma = 0.03; // Spec's
        var w = RramLinearLayerTests.RandomMatrix(outF * inF, 24, 0.2f);
        for (int i = 0; i < inF; i++) w[3 * inF + i] = 0;
        var layer = RramLinearLayer.Program(w, outF, inF, Spec(WeightEncoding.Differential, 8, NoiseScale.Layer), 11, "polar");
        Assert.That(layer.Format.SlicesPerWeight, Is.EqualTo(1));
        var scales = WeightQuantizer.Scales(w, outF, inF, layer.Format);
        float layerMax = w.Max(Math.Abs);
        var expected = new float[outF * inF];
        for (int o0 = 0; o0 < outF; o0 += 64)
        {
            var z = new Gaussian(RandomStreams.Create(11, $"polar/rows{o0}/weight-noise"));
            for (int o = o0; o < Math.Min(outF, o0 + 64); o++)
            {
                float reference = layerMax / scales[o];
                for (int i = 0; i < inF; i++)
                {
                    float stored = WeightQuantizer.Level(w[o * inF + i], scales[o], layer.Format.WeightQMax);
                    if (scales[o] > 0) stored += (float)(sigma * z.Next() * reference);
                    expected[o * inF + i] = stored * scales[o];
                }
            }
        }
        Assert.That(layer.EffectiveWeights(), Is.EqualTo(expected));
    }

    [TestCase(WeightEncoding.Offset, 8)]
    [TestCase(WeightEncoding.Differential, 4)]
    public void BoxMuller_CellByCellLoopDrawsTheSameWeightNoiseAsTheFastPath(WeightEncoding encoding, int bitsPerCell)
    {
        const int outF = 130, inF = 45;
        var w = RramLinearLayerTests.RandomMatrix(outF * inF, 23, 0.2f);
        var fast = RramLinearLayer.Program(w, outF, inF, Spec(encoding, bitsPerCell, NoiseScale.Tile, NormalGenerator.BoxMuller), 4, "layer");
        var cells = RramLinearLayer.Program(w, outF, inF, Spec(encoding, bitsPerCell, NoiseScale.Tile, NormalGenerator.BoxMuller, readSigma: 0.01), 4, "layer");
        var polar = RramLinearLayer.Program(w, outF, inF, Spec(encoding, bitsPerCell, NoiseScale.Tile, readSigma: 0.01), 4, "layer");
        Assert.That(cells.EffectiveWeights(), Is.EqualTo(fast.EffectiveWeights()));
        Assert.That(cells.EffectiveWeights(), Is.Not.EqualTo(polar.EffectiveWeights()), "the generator key acts with cell non-idealities on too");
    }

    [Test]
    public void BoxMuller_WeightErrorIsSigmaTimesTileMaxWithinChiSquareBounds_OnOtherDrawsThanPolar()
    {
        const int n = 160;
        const double sigma = 0.03;
        var w = RramLinearLayerTests.RandomMatrix(n * n, 22, 0.3f);
        var spec = Spec(WeightEncoding.Offset, 8, NoiseScale.Tile, NormalGenerator.BoxMuller);
        var layer = RramLinearLayer.Program(w, n, n, spec, 3, "bm");
        var eff = layer.EffectiveWeights();
        var ideal = WeightQuantizer.Dequantized(w, n, n, layer.Format);
        // Tile of output o, input i: 16 x 16 blocks; the error is N(0, (sigma max|W|_tile)^2) in weight units.
        double stat = 0;
        for (int o = 0; o < n; o++)
            for (int i = 0; i < n; i++)
            {
                double tileMax = 0;
                for (int oo = o / 16 * 16; oo < o / 16 * 16 + 16; oo++)
                    for (int ii = i / 16 * 16; ii < i / 16 * 16 + 16; ii++) tileMax = Math.Max(tileMax, Math.Abs(w[oo * n + ii]));
                double e = eff[o * n + i] - ideal[o * n + i];
                stat += e * e / Math.Pow(sigma * tileMax, 2);
            }
        var chi = new ChiSquared(n * n);
        Assert.That(stat, Is.InRange(chi.InverseCumulativeDistribution(Alpha / 2), chi.InverseCumulativeDistribution(1 - Alpha / 2)));
        var polar = RramLinearLayer.Program(w, n, n, Spec(WeightEncoding.Offset, 8, NoiseScale.Tile), 3, "bm").EffectiveWeights();
        Assert.That(eff, Is.Not.EqualTo(polar), "box-muller draws differ from the polar stream's");
        Assert.That(RramLinearLayer.Program(w, n, n, spec, 3, "bm").EffectiveWeights(), Is.EqualTo(eff), "same seed, same chip");
    }
}
