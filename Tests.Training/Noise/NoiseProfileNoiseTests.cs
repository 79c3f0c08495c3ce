using CimSim.Common.Errors;
using CimSim.Common.Noise;
using CimSim.Training.Noise;
using CimSim.Workloads.NoiseProfiles;

namespace CimSim.Training.Tests.Noise;

public class NoiseProfileNoiseTests
{
    [Test]
    public void FromFit_TileGaussian_KeepsSigmaMeanAndTile()
    {
        var fit = new NoiseModel { Kind = "gaussian", Scale = NoiseScale.Tile, Sigma = 0.013, Mean = 0.001, TileInputs = 128, TileOutputs = 32 };
        var n = NoiseProfileNoise.FromFit(fit, "test");
        Assert.That(n.Model, Is.EqualTo(fit));
    }

    [Test]
    public void FromFit_UnknownKind_NamesIt()
    {
        var fit = new NoiseModel { Kind = "laplace", Sigma = 0.01 };
        Assert.That(() => NoiseProfileNoise.FromFit(fit, "p.json: recommended"),
            Throws.InstanceOf<UserInputException>().With.Message.Contains("laplace"));
    }

    [Test]
    public void CheckModules_ProfileNamesAModuleTheModelLacks_UserErrorNamingIt()
    {
        // Issue 14, defect 6: unknown modules were accepted silently (the recommended fit then applied everywhere).
        Assert.That(() => NoiseProfileNoise.CheckModules(["model.layers.99.mlp.foo_proj"], ["model.layers.0.self_attn.q_proj"], "p.json"),
            Throws.InstanceOf<UserInputException>().With.Message.Contains("model.layers.99.mlp.foo_proj"));
    }
}
