using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Simulator.Reports;
using CimSim.Tests.Simulator.Scheduling;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Mapping;

/// <summary>The mapping's plan (per-module placement, chip cuts) priced through the scheduler's counts and the device tables.</summary>
public class PlacementPricingTests
{
    internal const int Prompt = 8, Generate = 4;
    internal const long LayerTokens = Prompt + Generate - 1;
    private static readonly string[] RramComponents = ["rram_array", "dac", "adc", "shift_add"];

    /// <summary>A simulate run of <see cref="Prompt"/> + <see cref="Generate"/> tokens without LoRA (also used by AdcBitsOverrideTests).</summary>
    internal static SimulationReport Run(HardwareSpec spec, ModelSpec model) => SimulationRunner.Run(new SimulationRequest
    {
        Hardware = spec,
        ModelSpec = model,
        Model = model.Name,
        PromptTokens = Prompt,
        GeneratedTokens = Generate,
        LoraRank = 0,
    });

    private static HardwareSpec With(params PlacementRule[] rules)
    {
        var d = new HardwareSpec();
        return d with
        {
            Chip = d.Chip with { MaxAreaSquareMillimetres = 0 },
            Mapping = d.Mapping with
            {
                LmHead = ComputeTarget.Digital,
                Attention = DynamicMatmulTarget.Digital,
                Placement = new PlacementRules(new EquatableArray<PlacementRule>(rules)),
            },
        };
    }

    [Test]
    public void Run_OneModuleOnSram_MovesExactlyItsEnergyFromRramToSram()
    {
        var model = SchedulingFixtures.TinyModel;
        const string q0 = "model.layers.0.self_attn.q_proj";
        var all = Run(With(), model).Cim;                                                            // every W0 on RRAM
        var moved = Run(With(new PlacementRule(q0, ComputeTarget.Sram)), model).Cim;                 // q_proj of layer 0 on SRAM
        var only = Run(With(new PlacementRule(q0, ComputeTarget.Rram), new PlacementRule("*", ComputeTarget.Sram)), model).Cim; // only it on RRAM
        var (k, n) = model.Shape(LinearModule.QProj);
        Assert.Multiple(() =>
        {
            // SRAM gains the closed form of that matrix's MACs x the macro's energy per MAC.
            Assert.That(moved.EnergyBreakdownJ["sram_cim"] - all.EnergyBreakdownJ["sram_cim"],
                Is.EqualTo(LayerTokens * k * n * new HardwareSpec().SramCim.EnergyPicojoulesPerMac * 1e-12).Within(1e-9).Percent);
            // Each RRAM component loses exactly what that matrix alone costs there (measured by a run with only it on RRAM).
            foreach (var c in RramComponents)
                Assert.That(all.EnergyBreakdownJ[c] - moved.EnergyBreakdownJ[c], Is.EqualTo(only.EnergyBreakdownJ[c]).Within(1e-9).Percent, c);
            Assert.That(only.EnergyBreakdownJ["rram_array"], Is.GreaterThan(0));
        });
    }

    /// <summary>The default design with a 1,000-tile chip: qwen2.5-0.5b (about 1,950 tiles) needs three chips, the last holding only lm_head.</summary>
    private static HardwareSpec ThousandTileChips()
    {
        var d = new HardwareSpec();
        return d with { Chip = d.Chip with { Tiles = 1000, MaxAreaSquareMillimetres = 0 } };
    }

    [Test]
    public void Run_ChipCuts_LinkEnergyIsLinkBitsTimesPrice()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var spec = ThousandTileChips();
        var report = Run(spec, model);
        var map = Mapper.Map(spec, model, null, new WorkloadSpec(1, Prompt, Generate));
        // Closed form per cut: hidden x 8 bits for each token entering the next chip (its layers: prompt + decode
        // tokens; a chip holding only lm_head: the 1 + (G - 1) logit tokens).
        long bits = 0;
        for (var c = 1; c < map.ChipList.Count; c++)
            bits += model.HiddenSize * 8L * (map.ChipList[c].Layers > 0 ? LayerTokens : Generate);
        Assert.Multiple(() =>
        {
            Assert.That(map.Chips, Is.EqualTo(3));
            Assert.That(map.ChipList[^1].Layers, Is.Zero);
            Assert.That(map.ChipLinkBits, Is.EqualTo(bits));
            Assert.That(report.Cim.EnergyBreakdownJ["link"], Is.EqualTo(bits * spec.Interconnect.ChipToChipEnergyPicojoulesPerBit * 1e-12).Within(1e-9).Percent);
        });
    }

    [Test]
    public void Run_SlowerChipLink_AddsLatencyOnlyWhenChipsAreCut()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var spec = ThousandTileChips();
        var slow = spec with { Interconnect = spec.Interconnect with { ChipToChipLatencySeconds = 1e-6 } };
        Assert.That(Run(slow, model).Cim.LatencyS, Is.GreaterThan(Run(spec, model).Cim.LatencyS));
        var oneChip = spec with { Chip = spec.Chip with { Tiles = 0 } };
        var oneChipSlow = oneChip with { Interconnect = slow.Interconnect };
        Assert.That(Run(oneChipSlow, model).Cim.LatencyS, Is.EqualTo(Run(oneChip, model).Cim.LatencyS));
    }
}
