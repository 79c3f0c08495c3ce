using System.Text.Json;
using System.Text.Json.Nodes;
using CimSim.Common.Errors;
using CimSim.Common.Noise;
using CimSim.Devices.Config;
using CimSim.Workloads.NoiseProfiles;

namespace CimSim.Tests.Workloads.NoiseProfiles;

public class NoiseProfileJsonTests
{
    internal static NoiseProfile Sample()
    {
        var q = new Quantiles(-0.03, -0.02, -0.01, 0, 0.01, 0.02, 0.03);
        var stats = new ErrorStatistics { RelativeTo = NoiseScale.Tile, Mean = 1e-4, Std = 0.011, Quantiles = q, MaxAbs = 0.05 };
        return new NoiseProfile
        {
            Generator = "cimsim test",
            Source = new NoiseProfileSource { Hardware = "hw.yaml", Model = "llama-3.2-1b", Weights = "random", RandomWeights = "N(0, 0.02)", Seed = 7, ProbeTokens = 8 },
            Recommended = new NoiseModel { Sigma = 0.011, OutputSigmaRel = 0.002 },
            Modules =
            [
                new ModuleNoise
                {
                    Name = "model.layers.0.self_attn.q_proj", Layer = 0, Module = "q_proj", InFeatures = 64, OutFeatures = 64, MaxAbsWeight = 0.3,
                    WeightErrorTile = stats, WeightErrorLayer = stats with { RelativeTo = NoiseScale.Layer },
                    TileStd = new TileSpread(1, 0.011, 0, 0.011, 0.011, 0.011, 0.011), TileStdValues = [0.011],
                    StuckAt = new StuckAtCounts(8192, 3, 1),
                    OutputError = new OutputError { AdcStdRel = 0.001, TotalStdRel = 0.02, TotalSnrDb = 34, ProbedOutputs = 64 },
                    Fit = new NoiseModel { Sigma = 0.011, Mean = 1e-4 },
                },
            ],
            Notes = ["random weights"],
        };
    }

    [Test]
    public void NoiseModel_DeviceConfigRecord_WritesTheVersion1FitKeysAndReadsBackEqual()
    {
        // One record from chip to trainer: rram.noise.weight_noise (YAML tile_rows / tile_cols = inputs / outputs) is
        // the profile's fit, with the keys and scale names version-1 profiles have always had.
        var device = new WeightNoiseSpec { Sigma = 0.02, Scale = NoiseScale.Layer, TileRows = 32, TileCols = 128 }.Model;
        var json = JsonNode.Parse(JsonSerializer.Serialize(device, NoiseProfileJson.Options))!.ToJsonString();
        Assert.That(json, Is.EqualTo("""{"kind":"gaussian","scale":"layer_max_abs","sigma":0.02,"mean":0,"output_sigma_rel":0,"tile_rows":32,"tile_columns":128}"""));
        Assert.That(NoiseProfileJson.Parse(NoiseProfileJson.Serialize(Sample() with { Recommended = device })).Recommended, Is.EqualTo(device));
    }

    [Test]
    public void WriteThenRead_Profile_RoundTrips()
    {
        var dir = FixturePaths.NewScratch();
        try
        {
            var path = Path.Combine(dir, "p.json");
            var p = Sample();
            NoiseProfileJson.Write(path, p);
            var text = File.ReadAllText(path);
            Assert.That(text, Does.Contain("\"weight_error_tile\"").And.Contain("\"format\": \"cimsim-noise-profile\"").And.Contain("\"p95\""));
            var back = NoiseProfileJson.Read(path);
            Assert.That(back.Recommended, Is.EqualTo(p.Recommended));
            Assert.That(back.Source, Is.EqualTo(p.Source));
            var m = back.Find("model.layers.0.self_attn.q_proj")!;
            Assert.That(m.StuckAt.FractionGmin, Is.EqualTo(3.0 / 8192));
            Assert.That(m.WeightErrorTile.Quantiles, Is.EqualTo(p.Modules[0].WeightErrorTile.Quantiles));
            Assert.That(m.TileStdValues, Is.EqualTo(new[] { 0.011 }));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Parse_FutureVersion_SaysWhichVersionsAreRead()
    {
        var text = NoiseProfileJson.Serialize(Sample()).Replace("\"version\": 1", "\"version\": 9");
        var ex = Assert.Throws<UserInputException>(() => NoiseProfileJson.Parse(text, "p.json"))!;
        Assert.That(ex.Message, Does.Contain("p.json").And.Contain("$.version is 9"));
    }

    [Test]
    public void Parse_UnknownScale_NamesJsonPath()
    {
        var text = NoiseProfileJson.Serialize(Sample()).Replace("\"scale\": \"tile_max_abs\"", "\"scale\": \"per_row\"");
        var ex = Assert.Throws<UserInputException>(() => NoiseProfileJson.Parse(text, "p.json"))!;
        Assert.That(ex.Message, Does.Contain("$.recommended.scale").And.Contain("per_row"));
    }
}
