using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Mapping;

public class PlacementTests
{
    private static readonly MapperOptions NoWork = new() { ComputeWork = false };

    private static HardwareSpec Load(string mappingYaml, params string[] overrides)
        => HardwareConfigLoader.LoadText("name: t\nchip:\n  max_area_mm2: 0\nmapping:\n" + mappingYaml, "t.yaml", overrides);

    [Test]
    public void Load_PlacementMap_KeepsOrderAndTargets()
    {
        var hw = Load("  placement:\n    model.layers.0.*: sram\n    lm_head: digital\n");
        Assert.That(hw.Mapping.Placement.Rules.Select(r => (r.Pattern, r.Target)),
            Is.EqualTo(new[] { ("model.layers.0.*", ComputeTarget.Sram), ("lm_head", ComputeTarget.Digital) }));
    }

    [Test]
    public void Load_UnknownTarget_NamesLineAndPattern()
    {
        var ex = Assert.Throws<UserInputException>(() => Load("  placement:\n    model.layers.0.*: sramm\n"))!;
        Assert.That(ex.Problems.Single(), Does.StartWith("t.yaml:6:23: mapping.placement.model.layers.0.*:").And.Contain("did you mean 'sram'"));
    }

    [Test]
    public void Load_PatternMatchingNoModule_IsAnErrorAtItsLine()
    {
        var ex = Assert.Throws<UserInputException>(() => Load("  placement:\n    model.layer.0.*: sram\n"))!;
        Assert.That(ex.Problems.Single(), Does.StartWith("t.yaml:6:5:").And.Contain("matches no projection"));
    }

    [Test]
    public void Load_DottedOverride_BindsAsOnePattern()
    {
        var hw = Load("  w0: rram\n", "mapping.placement.model.layers.*.self_attn.q_proj=sram", "mapping.placement.lm_head=sram");
        Assert.That(hw.Mapping.Placement.Rules.Select(r => r.Pattern), Is.EqualTo(new[] { "model.layers.*.self_attn.q_proj", "lm_head" }));
        Assert.That(HardwareConfigLoader.LoadText(HardwareSpecWriter.ToYaml(hw), "dump.yaml"), Is.EqualTo(hw), "dump round-trips");
    }

    [Test]
    public void Map_LayerZeroOnSram_MovesExactlyThoseWeightsAndArrays()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var baseHw = Load("  w0: rram\n");
        var hw = Load("  placement:\n    model.layers.0.*: sram\n");
        var a = Mapper.Map(baseHw, model, LoraSpec.Paper, WorkloadSpec.Default, NoWork);
        var b = Mapper.Map(hw, model, LoraSpec.Paper, WorkloadSpec.Default, NoWork);
        long layer0Weights = 0, layer0Arrays = 0, layer0Macros = 0;
        foreach (var m in LinearModules.All)
        {
            var (k, n) = model.Shape(m);
            layer0Weights += (long)k * n;
            layer0Arrays += (k + 63) / 64 * ((n + 62) / 63);                  // 64 x 64 arrays, 63 outputs (offset encoding)
            layer0Macros += (k + 255) / 256 * ((n + 31) / 32);                    // 256 x 256 macros, 32 weights a row; full blocks do not pack
        }
        Assert.Multiple(() =>
        {
            Assert.That(b.ParamsSram - a.ParamsSram, Is.EqualTo(layer0Weights));
            Assert.That(a.ParamsRram - b.ParamsRram, Is.EqualTo(layer0Weights));
            Assert.That(a.RramArrays - b.RramArrays, Is.EqualTo(layer0Arrays));
            Assert.That(b.SramWeightMacros - a.SramWeightMacros, Is.EqualTo(layer0Macros));
            Assert.That(LinearModules.All.All(m => b.Placement(0, m).Target == ComputeTarget.Sram && b.Placement(1, m).Target == ComputeTarget.Rram));
            Assert.That(b.TargetOf("model.layers.0.mlp.down_proj.weight"), Is.EqualTo(ComputeTarget.Sram));
            Assert.That(b.TargetOf("model.layers.1.mlp.down_proj"), Is.EqualTo(ComputeTarget.Rram));
            Assert.That(b.PlacementOf("model.layers.0.self_attn.q_proj.lora_A")!.Target, Is.EqualTo(ComputeTarget.Sram));
            Assert.That(b.Warnings, Is.Empty);
        });
    }

    [Test]
    public void Map_FirstMatchWins_AndUnusedPatternsWarn()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var hw = Load("  placement:\n    model.layers.*.self_attn.q_proj: digital\n    model.layers.3.*: sram\n    model.layers.90.*: sram\n");
        var r = Mapper.Map(hw, model, null, WorkloadSpec.Default, NoWork);
        Assert.Multiple(() =>
        {
            Assert.That(r.Placement(3, LinearModule.QProj).Target, Is.EqualTo(ComputeTarget.Digital));
            Assert.That(r.Placement(3, LinearModule.KProj).Target, Is.EqualTo(ComputeTarget.Sram));
            Assert.That(r.Placement(4, LinearModule.KProj).Target, Is.EqualTo(ComputeTarget.Rram));
            Assert.That(r.LmHead.Target, Is.EqualTo(ComputeTarget.Rram), "lm_head follows mapping.lm_head");
            Assert.That(r.Warnings.Single(), Does.Contain("'model.layers.90.*' matches no frozen matrix"));
        });
    }

    [Test]
    public void TargetOf_UnknownName_Throws()
    {
        var r = Mapper.Map(new HardwareSpec(), ModelCatalog.Preset("qwen2.5-0.5b"), null, WorkloadSpec.Default, NoWork);
        Assert.That(() => r.TargetOf("model.layers.99.mlp.up_proj"), Throws.ArgumentException);
        Assert.That(r.TargetOf("lm_head"), Is.EqualTo(ComputeTarget.Rram));
    }
}
