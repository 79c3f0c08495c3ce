using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Simulator.Reports;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Mapping;

public class FitAgreementTests
{
    [TestCase(0, true)]
    [TestCase(1, false)]
    public void SimulateAndMap_SameConfig_SameFitVerdictAndProblems(int maxChips, bool fits)
    {
        var hw = new HardwareSpec();
        hw = hw with { Chip = hw.Chip with { MaxChips = maxChips } };
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var map = Mapper.Map(hw, model, LoraSpec.FromFlags(4, "q,k,v,up,down"), new WorkloadSpec(1, 8, 4), new MapperOptions { ComputeWork = false });
        var report = SimulationRunner.Run(new SimulationRequest { Hardware = hw, ModelSpec = model, PromptTokens = 8, GeneratedTokens = 4 });
        Assert.Multiple(() =>
        {
            Assert.That(map.Chips, Is.GreaterThan(1), "qwen2.5-0.5b needs more than one 858 mm2 chip on the default design");
            Assert.That(map.Fits, Is.EqualTo(fits));
            Assert.That(report.MappingProblems, Is.EqualTo(map.Problems));
        });
    }
}
