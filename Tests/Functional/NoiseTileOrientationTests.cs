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
