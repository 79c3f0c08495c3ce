using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Mapping;

public class ChipLayoutTests
{
    private static readonly MapperOptions NoWork = new() { ComputeWork = false };

    /// <summary>Default hardware with lm_head and attention off the tiles, so every layer needs the same tiles.</summary>
    private static HardwareSpec Uniform(int tilesPerChip)
    {
        var hw = new HardwareSpec();
        return hw with
        {
            Chip = hw.Chip with { Tiles = tilesPerChip, MaxAreaSquareMillimetres = 0 },
            Mapping = hw.Mapping with { LmHead = ComputeTarget.Digital, Attention = DynamicMatmulTarget.Digital },
        };
    }

    private static long LayerArrays(ModelSpec m)
    {
        long a = 0;
        foreach (var mod in LinearModules.All)
        {
            var (k, n) = m.Shape(mod);
            a += (k + 63) / 64 * ((n + 62) / 63);
        }
        return a;
    }

    [TestCase(2)]
    [TestCase(4)]
    public void Map_SplitAcrossChips_LinkBitsEqualActivationsCrossingTheCuts(int chips)
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");   // 24 layers
        var perChip = model.NumLayers / chips;
        var budget = (int)((LayerArrays(model) * perChip + 63) / 64);
        var w = new WorkloadSpec(2, 33, 17);
        var r = Mapper.Map(Uniform(budget), model, null, w, NoWork);
        // Closed form: every token of every sequence crosses every cut once as hidden x 8-bit activations.
        long tokens = 2L * (33 + 16);
        Assert.Multiple(() =>
        {
            Assert.That(r.Fits, Is.True, string.Join("; ", r.Problems));
            Assert.That(r.Chips, Is.EqualTo(chips));
            Assert.That(r.ChipList.Select(c => c.Layers), Is.All.EqualTo(perChip));
            Assert.That(r.ChipLinks, Has.Count.EqualTo(chips - 1));
            Assert.That(r.ChipLinkBits, Is.EqualTo(tokens * model.HiddenSize * 8 * (chips - 1)));
            Assert.That(r.Placement(perChip, LinearModule.QProj).Chip, Is.EqualTo(1));
            Assert.That(r.Placement(perChip, LinearModule.QProj).FirstUnit, Is.Zero, "units count from 0 on every chip");
            Assert.That(r.ChipList.All(c => c.Tiles <= budget));
        });
    }

    [Test]
    public void Map_AreaBudget_NoChipOverTheReticle()
    {
        var r = Mapper.Map(new HardwareSpec(), ModelCatalog.Preset("llama-3.2-1b"), LoraSpec.Paper, WorkloadSpec.Default, NoWork);
        Assert.Multiple(() =>
        {
            Assert.That(r.Fits, Is.True, string.Join("; ", r.Problems));
            Assert.That(r.Chips, Is.GreaterThan(1));
            Assert.That(r.ChipList.Select(c => c.AreaSquareMillimetres), Is.All.LessThanOrEqualTo(858.0));
            Assert.That(r.ChipList.Sum(c => c.Layers), Is.EqualTo(16));
            Assert.That(r.ChipList[^1].HoldsLmHead, Is.True);
            Assert.That(r.AreaSquareMillimetres, Is.EqualTo(r.ChipList.Sum(c => c.AreaSquareMillimetres)).Within(1e-6));
        });
    }

    [Test]
    public void Map_MaxChipsExceeded_IsAProblem()
    {
        var hw = new HardwareSpec();
        hw = hw with { Chip = hw.Chip with { MaxChips = 1 } };
        var r = Mapper.Map(hw, ModelCatalog.Preset("llama-3.2-1b"), null, WorkloadSpec.Default, NoWork);
        Assert.That(r.Fits, Is.False);
        Assert.That(r.Problems.Single(), Does.StartWith("chip.max_chips:"));
    }

    [Test]
    public void Mesh_NineTiles_SerpentineCoordinatesAndHopsFromTheMiddle()
    {
        var mesh = MeshTopology.For(new InterconnectSpec(), 9);
        Assert.Multiple(() =>
        {
            Assert.That((mesh.Columns, mesh.Rows), Is.EqualTo((3, 3)));
            Assert.That(mesh.Hub, Is.EqualTo((1, 1)));
            Assert.That(Enumerable.Range(0, 9).Select(mesh.Coordinate),
                Is.EqualTo(new[] { (0, 0), (1, 0), (2, 0), (2, 1), (1, 1), (0, 1), (0, 2), (1, 2), (2, 2) }));
            Assert.That(Enumerable.Range(0, 9).Select(mesh.HopsFromHub), Is.EqualTo(new[] { 3, 2, 3, 2, 1, 2, 3, 2, 3 }));
            Assert.That(mesh.HopsBetween(0, 8), Is.EqualTo(5));
            Assert.That(MeshTopology.For(new InterconnectSpec { Topology = InterconnectTopology.Bus }, 9).HopsFromHub(0), Is.EqualTo(1));
        });
    }

    [Test]
    public void Map_MatrixHops_AreTheUnitWeightedMeanOverItsTiles()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var r = Mapper.Map(Uniform(0), model, null, WorkloadSpec.Default, NoWork);
        var chip = r.ChipList.Single();
        var q = r.Placement(5, LinearModule.QProj);
        double sum = 0;
        for (var u = q.FirstUnit; u < q.FirstUnit + q.Units; u++) sum += chip.Mesh.HopsFromHub(u / 64);
        Assert.That(q.Hops, Is.EqualTo(sum / q.Units).Within(1e-9));
        Assert.That(chip.Mesh.Columns, Is.EqualTo((int)Math.Ceiling(Math.Sqrt(chip.Tiles))));
    }

    [Test]
    public void Distinct_ColumnMajorRanges_CountRowAndColumnBlocks()
    {
        Assert.Multiple(() =>
        {
            Assert.That(BufferNeeds.Distinct(0, 64, 32, 33), Is.EqualTo((32L, 2L)));   // two whole column blocks
            Assert.That(BufferNeeds.Distinct(30, 34, 32, 33), Is.EqualTo((4L, 2L)));   // rows 30, 31 then 0, 1
            Assert.That(BufferNeeds.Distinct(5, 9, 32, 33), Is.EqualTo((4L, 1L)));
            Assert.That(BufferNeeds.Distinct(20, 90, 32, 33), Is.EqualTo((32L, 3L)));
            Assert.That(BufferNeeds.PartialSumBits(8, 8, 2048), Is.EqualTo(27));
        });
    }

    [Test]
    public void Map_TileBuffer_AutoAreaScalesWithTheNeedAndConfiguredIsChecked()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var hw = Uniform(0);
        var auto = Mapper.Map(hw, model, null, WorkloadSpec.Default, NoWork);
        // A tile holding 64 arrays of a 896-input projection: 14 row blocks x 4.57 column blocks; at most all 896
        // inputs (8 bit) and 5 x 63 outputs of 8 + 8 + 10 bits, double-buffered: 2 x (7168 + 8190) bits.
        Assert.That(auto.TileBufferBytesNeeded, Is.GreaterThanOrEqualTo(2 * (896 * 8 + 5 * 63 * 26) / 8));
        var tileArea = auto.Area.Single(a => a.Component == "tile_buffer").SquareMillimetres;
        // Each tile holds its own need: at most every tile at the largest need.
        Assert.That(tileArea, Is.GreaterThan(0).And.LessThanOrEqualTo(auto.Tiles * 0.235 * auto.TileBufferBytesNeeded / 65536 * (1 + 1e-12)));

        var small = hw with { TileBuffer = hw.TileBuffer with { Sizing = BufferSizing.Configured, CapacityBytes = 1024 } };
        var r = Mapper.Map(small, model, null, WorkloadSpec.Default, NoWork);
        Assert.That(r.Problems.Single(), Does.StartWith("tile_buffer.capacity_bytes:"));
    }

    [Test]
    public void Map_TileBufferAuto_EachTileSizedToItsOwnNeedClosedForm()
    {
        // One array per tile, no LoRA, lm_head and attention off the tiles: each tile holds one array of one projection
        // and stages min(K, 64) inputs and min(N, 63) outputs of 8 + 8 + ceil(log2 K) bits, double-buffered (batch 1).
        var model = CimSim.Tests.Simulator.Scheduling.SchedulingFixtures.OneLayerModel;
        var hw = Uniform(0);
        hw = hw with { Rram = hw.Rram with { ArraysPerTile = 1 } };
        var r = Mapper.Map(hw, model, null, new WorkloadSpec(1, 8, 4), NoWork);
        long bytes = 0, largest = 0, tiles = 0;
        foreach (var mod in LinearModules.All)
        {
            var (k, n) = model.Shape(mod);
            var units = (k + 63) / 64 * ((n + 62) / 63);
            var tile = (2L * (Math.Min(k, 64) * 8 + Math.Min(n, 63) * (16 + (int)Math.Ceiling(Math.Log2(k) - 1e-12))) + 7) / 8;
            (bytes, largest, tiles) = (bytes + units * tile, Math.Max(largest, tile), tiles + units);
        }
        var area = r.Area.Single(a => a.Component == "tile_buffer").SquareMillimetres;
        Assert.Multiple(() =>
        {
            Assert.That(r.Tiles, Is.EqualTo(tiles));
            Assert.That(r.TileBufferBytesNeeded, Is.EqualTo(largest));
            Assert.That(area, Is.EqualTo(0.235 * bytes / 65536).Within(1e-9).Percent);
            Assert.That(area, Is.LessThan(tiles * 0.235 * largest / 65536), "the tiles' needs differ, so per-tile sizing is smaller than worst-tile sizing");
        });
    }

    [Test]
    public void Map_GlobalBufferAuto_HoldsTheWholeKvCache()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var hw = Uniform(0);
        hw = hw with { Buffer = hw.Buffer with { Sizing = BufferSizing.Auto } };
        var w = new WorkloadSpec(2, 512, 512);
        var r = Mapper.Map(hw, model, null, w, NoWork);
        long kv = 2L * 2 * model.KeyValueDim * model.NumLayers * 1023;
        long act = 2L * 2 * (model.HiddenSize + Math.Max(model.QueryDim + 2L * model.KeyValueDim, 2L * model.IntermediateSize));
        Assert.Multiple(() =>
        {
            Assert.That(r.KvCache.Spills, Is.False);
            Assert.That(r.ChipList.Single().GlobalBufferBytes, Is.EqualTo(kv + act));
            Assert.That(r.Area.Single(a => a.Component == "global_buffer").SquareMillimetres, Is.EqualTo(120.3 * (kv + act) / (32.0 * 1024 * 1024)).Within(1e-9));
        });
    }
}

public class ChipLayoutSplitTests
{
    [Test]
    public void Map_LmHeadLargerThanAChip_SplitsItsColumnsAcrossChips()
    {
        var model = ModelCatalog.Preset("llama-3.2-3b");
        var hw = new HardwareSpec();
        var r = Mapper.Map(hw, model, LoraSpec.Paper, WorkloadSpec.Default, new MapperOptions { ComputeWork = false });
        var head = r.ChipList.Where(c => c.HoldsLmHead).ToList();
        // lm_head: ceil(3072 / 64) x ceil(128256 / 63) arrays, all of them on the lm_head chips.
        long arrays = (3072 / 64) * ((128256 + 62) / 63);
        Assert.Multiple(() =>
        {
            Assert.That(r.Fits, Is.True, string.Join("; ", r.Problems));
            Assert.That(r.LmHead.ChipSpan, Is.EqualTo(head.Count).And.GreaterThan(1));
            Assert.That(head.Sum(c => c.RramArrays), Is.EqualTo(arrays));
            Assert.That(head.All(c => c.Layers == 0 && c.AreaSquareMillimetres <= 858.0));
            Assert.That(r.ChipLinks.Count(l => r.ChipList[l.To].HoldsLmHead), Is.EqualTo(head.Count), "hidden state forwarded to every slice");
        });
    }
}
