using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Mapping;
using CimSim.Simulator.Functional;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Functional;

public class FunctionalPlanTests
{
    private static readonly int[] Tokens = [1, 17, 42, 200, 5, 99, 3, 250];

    private static HardwareSpec Noisy(ComputeTarget w0, ComputeTarget lmHead)
    {
        var hw = FunctionalHardware.WithWeightNoiseSigma(new HardwareSpec(), 0.05);
        return hw with { Mapping = hw.Mapping with { W0 = w0, LmHead = lmHead } };
    }

    private static float[] Logits(ILinearPlacer placer) =>
        new InferenceSession(FunctionalModel.Load(FixturePaths.Of("llama_f32"), placer)).Forward(Tokens);

    [Test]
    public void Infer_W0AndLmHeadOnSram_ExactlyTheIdealLogits()
    {
        var chip = Logits(FunctionalHardware.Placer(Noisy(ComputeTarget.Sram, ComputeTarget.Sram), 3, RramPath.Statistical));
        Assert.That(chip, Is.EqualTo(Logits(IdealPlacer.Instance)));
    }

    [Test]
    public void Infer_OnlyLmHeadOnRram_HasDeviceError()
    {
        var placer = FunctionalHardware.Placer(Noisy(ComputeTarget.Sram, ComputeTarget.Rram), 3, RramPath.Statistical);
        var model = FunctionalModel.Load(FixturePaths.Of("llama_f32"), placer);
        Assert.That(model.LmHead, Is.InstanceOf<RramLinear>());
        Assert.That(model.Projections.Select(p => p.Weights), Is.All.InstanceOf<IdealLinear>());
        var chip = new InferenceSession(model).Forward(Tokens);
        var ideal = Logits(IdealPlacer.Instance);
        double err = chip.Zip(ideal, (a, b) => Math.Abs(a - b)).Max();
        Assert.That(err, Is.GreaterThan(1e-3));
    }

    [Test]
    public void FunctionalPlan_FromMappingResult_CarriesEveryTarget()
    {
        var hw = Noisy(ComputeTarget.Rram, ComputeTarget.Digital);
        var spec = ModelCatalog.Resolve(FixturePaths.Of("llama_f32"));
        var mapping = Mapper.Map(hw, spec, null, new WorkloadSpec(1, 1, 1));
        var plan = FunctionalPlan.From(mapping);
        for (int l = 0; l < spec.NumLayers; l++)
            foreach (var m in LinearModules.All)
                Assert.That(plan.TargetOf(m.HfPath(l)), Is.EqualTo(mapping.Placement(l, m).Target));
        Assert.That(plan.TargetOf(FunctionalPlan.LmHeadName), Is.EqualTo(ComputeTarget.Digital));
    }

    [Test]
    public void Infer_OneModuleOnSramByPlan_ZeroErrorThereOnly()
    {
        var hw = Noisy(ComputeTarget.Rram, ComputeTarget.Digital);
        var spec = ModelCatalog.Resolve(FixturePaths.Of("llama_f32"));
        var targets = new Dictionary<string, ComputeTarget>();
        for (int l = 0; l < spec.NumLayers; l++)
            foreach (var m in LinearModules.All) targets[m.HfPath(l)] = ComputeTarget.Rram;
        const string onSram = "model.layers.1.mlp.up_proj";
        targets[onSram] = ComputeTarget.Sram;
        targets[FunctionalPlan.LmHeadName] = ComputeTarget.Digital;
        var ideal = FunctionalModel.Load(FixturePaths.Of("llama_f32"), IdealPlacer.Instance);
        var chip = FunctionalModel.Load(FixturePaths.Of("llama_f32"), FunctionalHardware.Placer(hw, 3, RramPath.Statistical, new FunctionalPlan(targets)));
        var observer = new ModuleErrorObserver(ideal);
        new InferenceSession(chip) { Observer = observer }.Forward(Tokens);
        var errors = observer.Modules.Results().ToDictionary(r => r.Name, r => r.RelativeError);
        Assert.That(errors[onSram], Is.EqualTo(0.0));
        Assert.That(errors.Where(kv => kv.Key != onSram).Select(kv => kv.Value), Is.All.GreaterThan(1e-3));
    }
}

public class NoiseProfilePlanTests
{
    [Test]
    public void Build_W0OnSram_EveryModuleListedWithZeroError()
    {
        var hw = FunctionalHardware.WithWeightNoiseSigma(new HardwareSpec(), 0.05);
        hw = hw with { Mapping = hw.Mapping with { W0 = ComputeTarget.Sram } };
        var profile = NoiseProfileBuilder.Build(new NoiseProfileOptions { Hardware = hw, HardwareName = "test", Model = FixturePaths.Of("llama_f32"), ProbeTokens = 0 });
        Assert.That(profile.Modules, Has.Count.EqualTo(14));
        Assert.That(profile.Modules.Select(m => m.Fit.Sigma), Is.All.EqualTo(0.0));
        Assert.That(profile.Notes, Has.Some.Contains("mapped off RRAM"));
    }
}
