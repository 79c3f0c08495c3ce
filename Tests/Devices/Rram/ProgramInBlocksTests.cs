using CimSim.Common.Noise;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;

namespace CimSim.Tests.Devices.Rram;

/// <summary>
/// <see cref="RramLinearLayer.ProgramInBlocks"/> (a large lm_head programmed from blocks of rows, no float32 copy of it)
/// against <see cref="RramLinearLayer.Program(float[], int, int, RramFormat, ulong, string, RramLayerStorage?)"/> of the
/// whole matrix: the same cells, scales and faults, bit for bit, for every weight-noise reference, quantisation
/// granularity and cell non-ideality whose quantities span rows (layer and tile maxima, per-tensor scales).
/// </summary>
public class ProgramInBlocksTests
{
    private static RramFormat Format(string config)
    {
        var rram = new HardwareSpec().Rram;
        var wn = rram.Noise.WeightNoise;
        rram = config switch
        {
            "default" => rram,
            "tile-48x40" => rram with { Noise = rram.Noise with { WeightNoise = wn with { TileRows = 40, TileCols = 48 } } },
            "tile-100x96" => rram with { Noise = rram.Noise with { WeightNoise = wn with { TileRows = 100, TileCols = 96 } } },
            "layer" => rram with { Noise = rram.Noise with { WeightNoise = wn with { Scale = NoiseScale.Layer } } },
            "weight" => rram with { Noise = rram.Noise with { WeightNoise = wn with { Scale = NoiseScale.Weight } } },
            "box-muller" => rram with { Noise = rram.Noise with { WeightNoise = wn with { Generator = NormalGenerator.BoxMuller } } },
            "per-tensor" => rram with { Array = rram.Array with { WeightQuantization = WeightQuantizationGranularity.PerTensor } },
            "two-slices-read-g" => rram with
            {
                Array = rram.Array with { BitsPerCell = 4 },
                Noise = rram.Noise with { Read = rram.Noise.Read with { Sigma = 0.02, RelativeTo = ReadNoiseScale.G } },
            },
            "cells" => rram with
            {
                Noise = rram.Noise with
                {
                    Programming = rram.Noise.Programming with { Impl = ProgrammingNoiseModel.GaussianRelativeGmax, Sigma = 0.01 },
                    StuckAt = rram.Noise.StuckAt with { RateGmin = 0.01, RateGmax = 0.01 },
                },
            },
            "no-weight-noise" => rram with { Noise = rram.Noise with { WeightNoise = wn with { Sigma = 0 } } },
            _ => throw new ArgumentException(config),
        };
        return new RramFormat(rram);
    }

    [TestCase("default", 100)]
    [TestCase("default", 1)]
    [TestCase("default", 1000)]
    [TestCase("tile-48x40", 100)]
    [TestCase("tile-100x96", 64)]
    [TestCase("layer", 70)]
    [TestCase("weight", 70)]
    [TestCase("box-muller", 130)]
    [TestCase("per-tensor", 64)]
    [TestCase("two-slices-read-g", 100)]
    [TestCase("cells", 100)]
    [TestCase("no-weight-noise", 100)]
    public void ProgramInBlocks_SameLayerAsProgramOfTheWholeMatrix(string config, int blockRows)
    {
        var f = Format(config);
        int outF = 300, inF = 70, tokens = 3;
        var w = RramLinearLayerTests.RandomMatrix(outF * inF, 5, 0.1f);
        // One row far larger than the rest: the per-tensor scale and the layer maximum come from a block other than the first.
        for (int i = 0; i < inF; i++) w[250 * inF + i] *= 9;
        var whole = RramLinearLayer.Program(w, outF, inF, f, 9, "rram/test");
        var blocksRead = new List<(int First, int Rows)>();
        var blocked = RramLinearLayer.ProgramInBlocks((first, destination) =>
        {
            blocksRead.Add((first, destination.Length / inF));
            w.AsSpan(first * inF, destination.Length).CopyTo(destination);
        }, outF, inF, f, 9, "rram/test", new RramLayerStorage(), blockRows);
        Assert.That(blocked.EffectiveWeights(), Is.EqualTo(whole.EffectiveWeights()));
        Assert.That(blocked.Faults, Is.EqualTo(whole.Faults));
        var x = RramLinearLayerTests.RandomMatrix(tokens * inF, 6);
        RramLinearLayerTests.AssertSameOutputs(whole, blocked, x, tokens);
        // Every block read twice (scales and references, then cells), whole rows, covering the matrix in order.
        Assert.That(blocksRead, Has.Count.EqualTo(2 * blocksRead.Select(b => b.First).Distinct().Count()));
        var firsts = blocksRead.Take(blocksRead.Count / 2).ToList();
        Assert.That(firsts.Sum(b => b.Rows), Is.EqualTo(outF));
        Assert.That(firsts.Select(b => b.First), Is.Ordered.Ascending);
        Assert.That(firsts.SkipLast(1).All(b => b.Rows % 64 == 0), "whole 64-row random chunks per block");
        if (blockRows < outF && config != "tile-100x96") Assert.That(firsts, Has.Count.GreaterThan(1), "the test is not vacuous");
    }

    [Test]
    public void ProgramInBlocks_BlocksHoldWholeTiles()
    {
        // 96-output tiles and 64-row chunks: blocks are multiples of 192 rows.
        var f = Format("tile-100x96");
        var firsts = new List<int>();
        RramLinearLayer.ProgramInBlocks((first, destination) => { firsts.Add(first); destination.Fill(0.01f); }, 500, 20, f, 1, "rram/x", null, 100);
        Assert.That(firsts.Distinct(), Is.EqualTo(new[] { 0, 192, 384 }));
    }
}
