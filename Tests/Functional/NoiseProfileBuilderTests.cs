using CimSim.Common.Noise;
using CimSim.Devices.Config;
using CimSim.Simulator.Functional;
using CimSim.Workloads.NoiseProfiles;

namespace CimSim.Tests.Functional;

public class NoiseProfileBuilderTests
{
    private static NoiseProfile Profile(double sigma, string model = "llama_f32", int probe = 4) => NoiseProfileBuilder.Build(new NoiseProfileOptions
    {
        Hardware = FunctionalHardware.WithWeightNoiseSigma(new HardwareSpec(), sigma),
        HardwareName = "default spec",
        Model = FixturePaths.Of(model),
        Seed = 1,
        ProbeTokens = probe,
    });

    [Test]
    public void Build_AdcBitsOnOneModule_OnlyItsAdcErrorGrows()
    {
        // mapping.adc_bits: the profile's ADC probe converts that module at 4 bits, as the chip does; the others are unchanged.
        const string q0 = "model.layers.0.self_attn.q_proj";
        NoiseProfile Build(params string[] extra) => NoiseProfileBuilder.Build(new NoiseProfileOptions
        {
            Hardware = HardwareConfigLoader.ApplyOverrides(new HardwareSpec(), ["rram.adc.ideal=false", .. extra]),
            HardwareName = "adc",
            Model = FixturePaths.Of("llama_f32"),
            Seed = 1,
            ProbeTokens = 4,
        });
        var before = Build();
        var after = Build($"mapping.adc_bits.{q0}=4");
        Assert.Multiple(() =>
        {
            Assert.That(after.Find(q0)!.OutputError!.AdcStdRel, Is.GreaterThan(2 * before.Find(q0)!.OutputError!.AdcStdRel));
            foreach (var m in before.Modules.Where(m => m.Name != q0))
                Assert.That(after.Find(m.Name)!.OutputError!.AdcStdRel, Is.EqualTo(m.OutputError!.AdcStdRel), m.Name);
        });
    }

    [Test]
    public void Build_PaperWeightNoise_FitRecoversSigma()
    {
        var p = Profile(0.02);
        Assert.That(p.Modules, Has.Count.EqualTo(14));
        Assert.That(p.Modules[0].Name, Is.EqualTo("model.layers.0.self_attn.q_proj"));
        Assert.That(p.Source.Weights, Is.EqualTo("checkpoint"));
        // The device adds N(0, (0.02 max|W_tile|)^2) on top of W8 quantisation (std ~ 1/(127 sqrt 12) of the row max): the fit sees both.
        Assert.That(p.Recommended.Sigma, Is.InRange(0.019, 0.022));
        Assert.That(p.Recommended.Scale, Is.EqualTo(NoiseScale.Tile));
        foreach (var m in p.Modules)
        {
            Assert.That(m.WeightErrorLayer.Std, Is.LessThanOrEqualTo(m.WeightErrorTile.Std * 1.0001), m.Name);
            Assert.That(m.WeightErrorTile.Quantiles.P05, Is.LessThan(0).And.GreaterThan(-0.05), m.Name);
            Assert.That(m.OutputError!.TotalStdRel, Is.GreaterThan(0), m.Name);
        }
    }

    [Test]
    public void Build_NoWeightNoise_LeavesOnlyQuantisationError()
    {
        var quiet = Profile(0, probe: 0);
        Assert.That(quiet.Recommended.Sigma, Is.GreaterThan(0).And.LessThan(0.005));
        Assert.That(quiet.Modules.All(m => m.OutputError is null), Is.True);
    }

    [Test]
    public void Build_Profile_RoundTripsThroughJson()
    {
        var p = Profile(0.01, "qwen2_f32", probe: 2);
        var back = NoiseProfileJson.Parse(NoiseProfileJson.Serialize(p), "mem");
        Assert.That(back.Recommended, Is.EqualTo(p.Recommended));
        Assert.That(back.Modules.Select(m => m.Name), Is.EqualTo(p.Modules.Select(m => m.Name)));
    }
}
