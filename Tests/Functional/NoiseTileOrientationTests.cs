using CimSim.Common.Numerics;
using CimSim.Common.Random;
using CimSim.Devices.Config;
using CimSim.Devices.Numerics;
using CimSim.Devices.Rram;
using CimSim.Simulator.Functional;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Functional;

public class NoiseTileOrientationTests
{
    private const int OutF = 256, InF = 64, TileInputs = 32, TileOutputs = 128;

    /// <summary>Outputs 0..63 small, the rest 10x larger: a 128-output tile always holds large rows, a 32-output tile may not.</summary>
    internal static float[] Weights()
    {
        var w = new float[OutF * InF];
        new Gaussian(RandomStreams.Create(5, "tile-orientation")).AddScaled(w, 1.0);
        for (int o = 0; o < OutF; o++)
            for (int i = 0; i < InF; i++) w[o * InF + i] *= o < 64 ? 0.1f : 1f;
        return w;
    }

    [Test]
    public void TileMaxAbs_NonSquareTile_RowsAreInputs()
    {
        var w = Weights();
        var perTile = TileMaxAbs.PerTile(w, OutF, InF, TileInputs, TileOutputs);
        Assert.That(TileMaxAbs.Grid(OutF, InF, TileInputs, TileOutputs), Is.EqualTo((2, 2)));
        // Independent closed form: tile (bo, bi) covers outputs [128 bo, 128 bo + 128) and inputs [32 bi, 32 bi + 32).
        for (int bo = 0; bo < 2; bo++)
            for (int bi = 0; bi < 2; bi++)
            {
                float m = 0;
                for (int o = bo * 128; o < bo * 128 + 128; o++)
                    for (int i = bi * 32; i < bi * 32 + 32; i++) m = Math.Max(m, Math.Abs(w[o * InF + i]));
                Assert.That(perTile[bo * 2 + bi], Is.EqualTo(m));
            }
    }

    /// <summary>
    /// A matrix large enough that its rows of tiles run as several tasks, with partial tiles on both edges (1000 outputs
    /// in tiles of 32, 300 inputs in tiles of 64): every tile's maximum against the closed form over its own weights.
    /// </summary>
    [Test]
    public void TileMaxAbs_ManyRowsOfTilesWithPartialEdges_EveryTileItsOwnMaximum()
    {
        const int outF = 1000, inF = 300, ti = 64, to = 32;
        var w = new float[outF * inF];
        new Gaussian(RandomStreams.Create(9, "tile-max-parallel")).AddScaled(w, 1.0);
        for (int o = 0; o < outF; o++) w[o * inF + o % inF] *= 1 + o; // a distinct largest weight in many tiles
        var perTile = TileMaxAbs.PerTile(w, outF, inF, ti, to);
        var (outputTiles, inputTiles) = TileMaxAbs.Grid(outF, inF, ti, to);
        Assert.That((outputTiles, inputTiles), Is.EqualTo((32, 5)));
        for (int bo = 0; bo < outputTiles; bo++)
            for (int bi = 0; bi < inputTiles; bi++)
            {
                float m = 0;
                for (int o = bo * to; o < Math.Min(outF, bo * to + to); o++)
                    for (int i = bi * ti; i < Math.Min(inF, bi * ti + ti); i++) m = Math.Max(m, Math.Abs(w[o * inF + i]));
                Assert.That(perTile[bo * inputTiles + bi], Is.EqualTo(m), $"tile ({bo}, {bi})");
            }
    }

    [Test]
    public void Profile_NonSquareTile_RecoversTheDeviceSigma()
    {
        const double sigma = 0.02;
        var spec = new RramSpec { Noise = new RramNoiseSpec { WeightNoise = new WeightNoiseSpec { Sigma = sigma, TileRows = TileInputs, TileCols = TileOutputs } } };
        var w = Weights();
        var layer = RramLinearLayer.Program(w, OutF, InF, spec, 3, "rram/m");
        var fit = NoiseProfileBuilder.Measure("m", 0, LinearModule.QProj, w, layer.EffectiveWeights(), OutF, InF, TileInputs, TileOutputs, false, 1 << 20, layer.Faults).Fit;
        // Device: e = sigma z max|W of its tile| plus W8 rounding (~0.0023 of the tile max): std within sampling error
        // (16384 weights: 0.6 % relative) of sqrt(0.02^2 + 0.0023^2) = 0.0201. The transposed tiling would read ~0.14.
        Assert.That(fit.Sigma, Is.InRange(0.0195, 0.0210));
        Assert.That((fit.TileInputs, fit.TileOutputs), Is.EqualTo((TileInputs, TileOutputs)));
    }
}
