using CimSim.Common.Errors;
using CimSim.Common.Noise;
using CimSim.Common.Numerics;
using CimSim.Training.Noise;
using CimSim.Workloads.Models;
using CimSim.Workloads.NoiseProfiles;
using static TorchSharp.torch;

namespace CimSim.Training.Tests.Noise;

public class ProfileCheckTests
{
    private static ModuleNoise Module(string name, int inF, int outF, double outputSigma = 0) => new()
    {
        Name = name,
        Layer = 0,
        Module = name[(name.LastIndexOf('.') + 1)..],
        InFeatures = inF,
        OutFeatures = outF,
        WeightErrorTile = new ErrorStatistics { Quantiles = new Quantiles(0, 0, 0, 0, 0, 0, 0) },
        WeightErrorLayer = new ErrorStatistics { Quantiles = new Quantiles(0, 0, 0, 0, 0, 0, 0) },
        TileStd = new TileSpread(1, 0, 0, 0, 0, 0, 0),
        StuckAt = new StuckAtCounts(0, 0, 0),
        Fit = new NoiseModel { Sigma = 0.01, OutputSigmaRel = outputSigma },
    };

    /// <summary>A profile of exactly the tiny model's projections, optionally with one changed.</summary>
    private static NoiseProfile Profile(ModelSpec spec, Func<ModuleNoise, ModuleNoise>? change = null)
    {
        var modules = new List<ModuleNoise>();
        for (int l = 0; l < spec.NumLayers; l++)
            foreach (var m in LinearModules.All)
            {
                var (inF, outF) = spec.Shape(m);
                var mod = Module(m.HfPath(l), inF, outF);
                modules.Add(change?.Invoke(mod) ?? mod);
            }
        return new NoiseProfile
        {
            Source = new NoiseProfileSource { Hardware = "hw.yaml", Model = spec.Name, Weights = "checkpoint" },
            Recommended = new NoiseModel { Sigma = 0.01 },
            Modules = modules,
        };
    }

    [Test]
    public void CheckAgainst_MatchingProfile_NoWarnings()
    {
        var spec = TinyModels.Spec();
        Assert.That(new NoiseProfileNoise(Profile(spec), "p.json").CheckAgainst(spec, false, false), Is.Empty);
    }

    [Test]
    public void CheckAgainst_OtherShapeAndName_RefusedNamingEachMismatch()
    {
        var spec = TinyModels.Spec();
        var profile = Profile(spec, m => m.Name == "model.layers.1.mlp.up_proj" ? m with { OutFeatures = 128 } : m);
        profile = profile with { Modules = [.. profile.Modules, Module("model.layers.7.self_attn.q_proj", 32, 32)] };
        var ex = Assert.Throws<UserInputException>(() => new NoiseProfileNoise(profile, "p.json").CheckAgainst(spec, false, false))!;
        var text = ex.Message + string.Join("\n", ex.Problems);
        Assert.That(text, Does.Contain("model.layers.1.mlp.up_proj").And.Contains("out 128").And.Contains("model.layers.7.self_attn.q_proj").And.Contains("--allow-partial-profile"));
    }

    [Test]
    public void CheckAgainst_MissingModulesWithAllowPartial_WarnsAndUsesRecommended()
    {
        var spec = TinyModels.Spec();
        var profile = Profile(spec);
        profile = profile with { Modules = profile.Modules.Where(m => !m.Name.StartsWith("model.layers.1.", StringComparison.Ordinal)).ToList() };
        var noise = new NoiseProfileNoise(profile, "p.json");
        Assert.That(() => noise.CheckAgainst(spec, false, false), Throws.InstanceOf<UserInputException>());
        Assert.That(noise.CheckAgainst(spec, true, false), Has.Count.EqualTo(1).And.Some.Contains("7 projection(s)"));
    }

    [Test]
    public void CheckAgainst_OutputNoise_RefusedUnlessIgnored()
    {
        var spec = TinyModels.Spec();
        var profile = Profile(spec, m => m with { Fit = m.Fit with { OutputSigmaRel = 0.03 } });
        var noise = new NoiseProfileNoise(profile, "p.json");
        Assert.That(() => noise.CheckAgainst(spec, false, false), Throws.InstanceOf<UserInputException>().With.Message.Contains("output (ADC) noise").And.Message.Contains("--ignore-output-noise"));
        Assert.That(noise.CheckAgainst(spec, false, true), Has.Some.Contains("ignored"));
    }

    [Test]
    public void Sample_NonSquareProfileTile_ScaleIsTheSharedTileMaxAndStdIsSigma()
    {
        // Device -> profile -> trainer: a profile fit with 32 input x 128 output tiles (rows = inputs), on a 256 x 64 W.
        const int outF = 256, inF = 64;
        var fit = new NoiseModel { Sigma = 0.02, TileInputs = 32, TileOutputs = 128 };
        var noise = NoiseProfileNoise.FromFit(fit, "p.json");
        using var g = new Generator(11);
        var w = randn(new long[] { outF, inF }, generator: g);
        w[TensorIndex.Slice(0, 64)] *= 0.1f;
        var host = w.data<float>().ToArray();
        var expected = TileMaxAbs.PerWeight(host, outF, inF, 32, 128);
        var scale = noise.Scale(w).contiguous().data<float>().ToArray();
        Assert.That(scale, Is.EqualTo(expected));
        var sample = noise.Sample("m", w, g)!.contiguous().data<float>().ToArray();
        double s2 = 0;
        for (int i = 0; i < sample.Length; i++) s2 += Math.Pow(sample[i] / expected[i], 2);
        // 16384 draws: the std's sampling error is 0.02 / sqrt(2 x 16384) = 0.6 %.
        Assert.That(Math.Sqrt(s2 / sample.Length), Is.EqualTo(0.02).Within(0.02 * 0.025));
    }
}
