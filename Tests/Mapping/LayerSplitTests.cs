using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Simulator.Pipeline;
using CimSim.Tests.Simulator.Scheduling;
using CimSim.Workloads.Models;
using A = CimSim.Simulator.Scheduling.CountedActions;

namespace CimSim.Tests.Mapping;

/// <summary>A decoder layer larger than one chip is split into column slices over consecutive chips (docs/mapping.md "Chips").</summary>
public class LayerSplitTests
{
    /// <summary>
    /// One RRAM array per tile and a 32-tile chip; lm_head and attention on the digital unit. The tiny layer (hidden 128,
    /// kv 64, intermediate 256) needs 52 arrays of 64 x 64 (63 weights per array): q 2x3, k 2x2, v 2x2, o 2x3, gate 2x5,
    /// up 2x5, down 4x3 (row x column blocks). Two column slices: slice 0 takes ceil(CB / 2) column blocks of each,
    /// 4 + 2 + 2 + 4 + 6 + 6 + 8 = 32 arrays (fits), slice 1 the other 20.
    /// </summary>
    private static HardwareSpec SmallChip()
    {
        var hw = new HardwareSpec();
        return hw with
        {
            Rram = hw.Rram with { ArraysPerTile = 1 },
            Chip = hw.Chip with { Tiles = 32, MaxAreaSquareMillimetres = 0 },
            Mapping = hw.Mapping with { LmHead = ComputeTarget.Digital, Attention = DynamicMatmulTarget.Digital },
        };
    }

    // Per token across the cut: inputs of every producer (input norm 128 -> q, k, v; attention output 128 -> o;
    // post-attention norm 128 -> gate, up; SiLU x up 256 -> down) and the outputs of slice 1 (columns beyond
    // ceil(CB / 2) x 63: q 128 - 126 = 2, k 64 - 63 = 1, v 1, o 2, gate 256 - 189 = 67, up 67, down 2), 8-bit activations.
    private const long SplitBitsPerToken = (128 + 128 + 128 + 256 + 2 + 1 + 1 + 2 + 67 + 67 + 2) * 8;

    private static SimulationRun Run(ModelSpec model, int loraRank = 0) => SimulationRunner.RunStages(new SimulationRequest
    {
        Hardware = SmallChip(),
        ModelSpec = model,
        PromptTokens = 8,
        GeneratedTokens = 4,
        LoraRank = loraRank,
    });

    [Test]
    public void Map_LayerLargerThanAChip_SplitsOverTwoChipsAndLinkBitsAreTheClosedForm()
    {
        var run = Run(SchedulingFixtures.OneLayerModel);
        var r = run.Mapping;
        long tokens = 8 + 3; // prompt, then 3 decode steps
        Assert.Multiple(() =>
        {
            Assert.That(r.Fits, Is.True, string.Join("; ", r.Problems));
            Assert.That(r.Chips, Is.EqualTo(2));
            Assert.That(r.ChipList.Select(c => c.RramArrays), Is.EqualTo(new[] { 32L, 20L }));
            Assert.That(r.ChipList.Select(c => c.LayerSlice), Is.EqualTo(new[] { 0, 1 }));
            Assert.That(r.ChipOfLayer(0), Is.Zero, "slice 0 is the layer's home");
            Assert.That(r.Placement(0, LinearModule.GateProj).ChipSpan, Is.EqualTo(2));
            Assert.That(r.LmHead.Chip, Is.Zero, "a digital lm_head stays with the last layer's hub");
            Assert.That(r.ChipLinkBits, Is.EqualTo(tokens * SplitBitsPerToken));
            Assert.That(run.Schedule.CountsByTemplate.Sum(c => c[A.LinkBit]), Is.EqualTo((double)tokens * SplitBitsPerToken), "the scheduler charges the same bits");
            Assert.That(run.Report.MappingProblems, Is.Empty);
        });
    }

    [Test]
    public void Map_TwoSplitLayers_FourChipsWithTheResidualCrossingTheFirstLayersSlice()
    {
        var run = Run(SchedulingFixtures.TinyModel);
        var r = run.Mapping;
        long tokens = 11;
        // Layer 0 on chips 0-1, layer 1 on chips 2-3: the residual stream (128 x 8 bits) goes from chip 0 to chip 2,
        // crossing cuts 0-1 and 1-2.
        long perToken = 2 * SplitBitsPerToken + 2 * 128 * 8;
        Assert.Multiple(() =>
        {
            Assert.That(r.Fits, Is.True, string.Join("; ", r.Problems));
            Assert.That(r.Chips, Is.EqualTo(4));
            Assert.That(r.ChipOfLayer(1), Is.EqualTo(2));
            Assert.That(r.ChipLinks.Single(l => l.From == 1).BitsPerToken, Is.EqualTo(128 * 8));
            Assert.That(r.ChipLinkBits, Is.EqualTo(tokens * perToken));
            Assert.That(run.Schedule.CountsByTemplate.Sum(c => c[A.LinkBit]), Is.EqualTo((double)tokens * perToken));
        });
    }

    [Test]
    public void SimulateAndMap_SplitLayerWithLora_AgreeOnFitAndOnLinkBits()
    {
        // LoRA A/B (rank 4) on SRAM macros are sliced by column blocks too; the mapping's cut traffic and the
        // scheduler's link.bit count are computed apart and must agree. sweep uses the same Mapper verdict.
        var run = Run(SchedulingFixtures.OneLayerModel, loraRank: 4);
        var map = Mapper.Map(SmallChip(), SchedulingFixtures.OneLayerModel, LoraSpec.FromFlags(4, "q,k,v,up,down"), new WorkloadSpec(1, 8, 4), new MapperOptions());
        Assert.Multiple(() =>
        {
            Assert.That(map.Fits, Is.True, string.Join("; ", map.Problems));
            Assert.That(map.Chips, Is.GreaterThanOrEqualTo(2));
            Assert.That(run.Report.MappingProblems, Is.EqualTo(map.Problems));
            Assert.That(run.Mapping.ChipLinkBits, Is.EqualTo(map.ChipLinkBits));
            Assert.That(run.Schedule.CountsByTemplate.Sum(c => c[A.LinkBit]), Is.EqualTo((double)map.ChipLinkBits));
        });
    }

    [Test]
    public void Map_ChipSmallerThanOneColumnBlockPerMatrix_IsAProblemNamingTheSlice()
    {
        var hw = SmallChip();
        hw = hw with { Chip = hw.Chip with { Tiles = 6 } }; // 7 matrices need at least 2 + 2 + 2 + 2 + 2 + 2 + 4 arrays
        var r = Mapper.Map(hw, SchedulingFixtures.OneLayerModel, null, new WorkloadSpec(1, 8, 4), new MapperOptions { ComputeWork = false });
        Assert.That(r.Fits, Is.False);
        Assert.That(r.Problems.Single(), Does.StartWith("chip.tiles: layer 0").And.Contain("needs 52 tiles").And.Contain("not even one column block per matrix per chip fits"));
    }
}
