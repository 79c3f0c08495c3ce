using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Simulator.Cli;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Mapping;

public class MapCommandTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "cimsim-map-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "hw.yaml"), "name: map-test\n");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    [Test]
    public void Run_Map_WritesMappingJsonWithRequiredKeys()
    {
        var rc = CliApp.Run(["map", "--hw", Path.Combine(_dir, "hw.yaml"), "--model", "qwen2.5-0.5b", "--lora-rank", "8",
            "--lora-targets", "q,v", "--prompt", "8", "--generate", "4", "--out", _dir]);
        Assert.That(rc, Is.EqualTo(0));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "mapping.json")));
        var root = doc.RootElement;
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("params").GetProperty("total").GetInt64(),
                Is.EqualTo(model.ParameterCount + LoraSpec.FromFlags(8, "q,v").ParameterCount(model)));
            Assert.That(root.GetProperty("params").GetProperty("sram").GetInt64(), Is.EqualTo(LoraSpec.FromFlags(8, "q,v").ParameterCount(model)));
            Assert.That(root.GetProperty("params").GetProperty("rram").GetInt64(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("rram").GetProperty("arrays").GetInt64(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("sram").GetProperty("macros").GetInt64(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("utilisation").GetDouble(), Is.InRange(0.0, 1.0));
            Assert.That(root.GetProperty("area_mm2").GetDouble(), Is.GreaterThan(0));
        });
    }

    [Test]
    public void Run_MapUnknownModel_ExitsWithUserErrorCode()
    {
        var rc = CliApp.Run(["map", "--hw", Path.Combine(_dir, "hw.yaml"), "--model", Path.Combine(_dir, "missing"), "--out", _dir]);
        Assert.That(rc, Is.EqualTo(UserInputException.ExitCode));
    }
}
