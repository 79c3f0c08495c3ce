using CimSim.Training.Noise;
using static TorchSharp.torch;

namespace CimSim.Training.Tests.Noise;

public class GaussianWeightNoiseTests
{
    [Test]
    public void Scale_TileScope_IsMaxAbsOfEachTile()
    {
        var w = zeros(5, 7);
        w[0, 0] = tensor(2f);
        w[4, 6] = tensor(-3f);
        w[1, 5] = tensor(0.5f);
        var scale = GaussianWeightNoise.FromFlags(0.01, "tile", 4).Scale(w);
        Assert.That(scale[0, 0].item<float>(), Is.EqualTo(2f));
        Assert.That(scale[3, 3].item<float>(), Is.EqualTo(2f));
        Assert.That(scale[0, 4].item<float>(), Is.EqualTo(0.5f));
        Assert.That(scale[4, 0].item<float>(), Is.EqualTo(0f));
        Assert.That(scale[4, 5].item<float>(), Is.EqualTo(3f));
    }

    [Test]
    public void Sample_LayerScope_HasRequestedStd()
    {
        using var g = new Generator(1);
        var w = randn(new long[] { 256, 256 }, generator: g);
        var noise = GaussianWeightNoise.FromFlags(0.02, "layer", 64).Sample("m", w, g)!;
        var expected = 0.02 * w.abs().max().item<float>();
        Assert.That(noise.std().item<float>(), Is.EqualTo(expected).Within(0.02 * expected));
        Assert.That(Math.Abs(noise.mean().item<float>()), Is.LessThan(0.01 * expected));
    }

    [Test]
    public void Sample_TileScope_StdIsSigmaTimesEachTilesMax()
    {
        using var g = new Generator(2);
        var w = randn(new long[] { 128, 128 }, generator: g);
        w[0, 0] = tensor(10f);
        var noise = GaussianWeightNoise.FromFlags(0.02, "tile", 64).Sample("m", w, g)!;
        foreach (var (r, c) in new[] { (0, 0), (0, 64), (64, 0), (64, 64) })
        {
            var tile = w[TensorIndex.Slice(r, r + 64), TensorIndex.Slice(c, c + 64)];
            var expected = 0.02 * tile.abs().max().item<float>();
            var std = noise[TensorIndex.Slice(r, r + 64), TensorIndex.Slice(c, c + 64)].std().item<float>();
            Assert.That(std, Is.EqualTo(expected).Within(0.05 * expected), $"tile at ({r},{c})");
        }
    }
}
