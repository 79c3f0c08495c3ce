using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Mapping;

public class MapperTests
{
    private static readonly MapperOptions NoWork = new() { ComputeWork = false };

    private static HardwareSpec WithArray(int rows, int cols, int bitsPerCell, int weightBits, WeightEncoding enc, int replication = 1)
    {
        var hw = new HardwareSpec();
        return hw with
        {
            Chip = hw.Chip with { MaxAreaSquareMillimetres = 0 },
            Rram = hw.Rram with
            {
                Array = hw.Rram.Array with { Rows = rows, Cols = cols, BitsPerCell = bitsPerCell, WeightBits = weightBits, Encoding = enc, Replication = replication },
            },
        };
    }

    [TestCase(64, 64, 8, 8, WeightEncoding.Offset, 1)]
    [TestCase(128, 128, 1, 8, WeightEncoding.Offset, 1)]
    [TestCase(128, 128, 2, 8, WeightEncoding.Differential, 1)]
    [TestCase(256, 256, 4, 8, WeightEncoding.Differential, 2)]
    [TestCase(512, 100, 3, 8, WeightEncoding.Offset, 1)]
    public void Map_RramArrays_EqualCeilClosedForm(int rows, int cols, int bpc, int wbits, WeightEncoding enc, int rep)
    {
        var model = ModelCatalog.Preset("llama-3.2-1b");
        var r = Mapper.Map(WithArray(rows, cols, bpc, wbits, enc, rep), model, null, WorkloadSpec.Default, NoWork);
        // Independent closed form: slices = ceil(wbits / bpc); columns per weight = slices (x2 differential);
        // outputs per array = floor((cols - [offset ? 1 : 0]) / columns per weight).
        var slices = (wbits + bpc - 1) / bpc;
        var cpw = slices * (enc == WeightEncoding.Differential ? 2 : 1);
        var outs = (cols - (enc == WeightEncoding.Offset ? 1 : 0)) / cpw;
        long Arrays(long k, long n) => (k + rows - 1) / rows * ((n + outs - 1) / outs) * rep;
        long expected = Arrays(model.HiddenSize, model.VocabSize);
        foreach (var m in LinearModules.All)
        {
            var (i, o) = model.Shape(m);
            expected += model.NumLayers * Arrays(i, o);
        }
        Assert.That(r.RramArrays, Is.EqualTo(expected));
        Assert.That(r.Fits, Is.True, string.Join("; ", r.Problems));
    }

    [Test]
    public void Map_PaperDefault_ParamsSplitRramAndSram()
    {
        var model = ModelCatalog.Preset("llama-3.2-1b");
        var r = Mapper.Map(new HardwareSpec(), model, LoraSpec.Paper, WorkloadSpec.Default, NoWork);
        Assert.Multiple(() =>
        {
            Assert.That(r.ParamsSram, Is.EqualTo(1_900_544L));
            Assert.That(r.ParamsRram, Is.EqualTo(model.ProjectionWeightCount + (long)model.HiddenSize * model.VocabSize));
            Assert.That(r.ParamsTotal, Is.EqualTo(1_235_814_400L + 1_900_544L));
            Assert.That(r.ParamsOther, Is.EqualTo(model.EmbeddingParameters + model.NumLayers * 2L * model.HiddenSize + model.HiddenSize));
        });
    }

    [Test]
    public void Map_LoraMacros_EqualPackedClosedForm()
    {
        // 256 x 256 macro, 8-bit weights: 32 weights per row. A (K x 4): ceil(K/256) blocks of 256 x 4, 8 per macro.
        // B (4 x N): ceil(N/32) blocks of 4 x 32, 64 per macro.
        var model = ModelCatalog.Preset("llama-3.2-1b");
        var hw = new HardwareSpec();
        var r = Mapper.Map(hw, model, LoraSpec.Paper, WorkloadSpec.Default, NoWork);
        long perLayer = 0;
        foreach (var m in LoraSpec.Paper.Targets)
        {
            var (i, o) = model.Shape(m);
            perLayer += ((i + 255) / 256 + 7) / 8 + ((o + 31) / 32 + 63) / 64;
        }
        Assert.That(r.SramWeightMacros, Is.EqualTo(perLayer * model.NumLayers));
        Assert.That(r.LoraB(2, LinearModule.UpProj)!.BlocksPerUnit, Is.EqualTo(64));
    }

    [Test]
    public void Map_UnpackedSram_UsesOneMacroPerBlock()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var r = Mapper.Map(new HardwareSpec(), model, LoraSpec.FromFlags(4, "q"), WorkloadSpec.Default, new MapperOptions { ComputeWork = false, PackSramBlocks = false });
        // q: A is 896 x 4 -> 4 row blocks; B is 4 x 896 -> 28 column blocks.
        Assert.That(r.SramWeightMacros, Is.EqualTo(24L * (4 + 28)));
    }

    [Test]
    public void Map_OverBudget_ListsEveryReason()
    {
        var hw = new HardwareSpec();
        hw = hw with { Chip = hw.Chip with { Tiles = 10, MaxAreaSquareMillimetres = 1 }, Mapping = hw.Mapping with { Embedding = StorageTarget.Buffer } };
        var r = Mapper.Map(hw, ModelCatalog.Preset("llama-3.2-1b"), LoraSpec.Paper, WorkloadSpec.Default, NoWork);
        Assert.That(r.Fits, Is.False);
        // One layer needs more than 10 tiles and 1 mm2: reported once per budget, not once per chip.
        Assert.That(r.Problems, Has.Count.EqualTo(3));
        Assert.That(string.Join("\n", r.Problems), Does.Contain("chip.tiles").And.Contain("chip.max_area_mm2").And.Contain("mapping.embedding"));
        Assert.That(r.Chips, Is.EqualTo(17), "one chip per layer, one for lm_head");
    }

    [Test]
    public void Map_SmallBuffer_SpillsKvCache()
    {
        var model = ModelCatalog.Preset("llama-3.2-1b");
        var hw = new HardwareSpec();
        hw = hw with { Buffer = hw.Buffer with { CapacityBytes = 4L * 1024 * 1024 } };
        var r = Mapper.Map(hw, model, null, new WorkloadSpec(2, 512, 512), NoWork);
        long perToken = 2L * 2 * model.KeyValueDim; // batch x (K + V) x kv_dim at 8 bits
        // Activations first: 2 (double-buffered) x batch x (hidden + 2 x intermediate) bytes at 8 bits.
        long act = 2L * 2 * (model.HiddenSize + 2L * model.IntermediateSize);
        var layersPerChip = r.ChipList.Select(c => c.Layers).Where(l => l > 0).Max();
        Assert.Multiple(() =>
        {
            Assert.That(r.KvCache.BytesPerTokenPerLayer, Is.EqualTo(perToken));
            Assert.That(r.KvCache.OnChipTokens, Is.EqualTo((int)((4L * 1024 * 1024 - act) / (perToken * layersPerChip))));
            Assert.That(r.KvCache.Spills, Is.True);
            Assert.That(r.KvCache.SpilledBytes, Is.EqualTo(perToken * model.NumLayers * (1023 - r.KvCache.OnChipTokens)));
            Assert.That(r.Fits, Is.True);
        });
    }

    [Test]
    public void Map_Work_TotalMacsEqualGraphClosedForm()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var w = new WorkloadSpec(2, 33, 17);
        var r = Mapper.Map(new HardwareSpec(), model, LoraSpec.Paper, w);
        var g = new OperatorGraph(model, LoraSpec.Paper, w);
        Assert.That(r.Work.TotalMacs, Is.EqualTo(g.ClosedFormTotalMacs()));
        Assert.That(r.Work.SramMacs, Is.EqualTo((2L * 33 + 2L * 16) * LoraSpec.Paper.ParameterCount(model)));
    }

    [Test]
    public void Map_LmHeadDigital_StreamsWeightsFromDram()
    {
        var model = ModelCatalog.Preset("llama-3.2-1b");
        var hw = new HardwareSpec();
        hw = hw with { Mapping = hw.Mapping with { LmHead = ComputeTarget.Digital } };
        var w = new WorkloadSpec(1, 4, 3);
        var r = Mapper.Map(hw, model, null, w);
        Assert.Multiple(() =>
        {
            Assert.That(r.LmHead.Target, Is.EqualTo(ComputeTarget.Digital));
            Assert.That(r.ParamsRram, Is.EqualTo(model.ProjectionWeightCount));
            Assert.That(r.Work.DigitalMacs, Is.EqualTo(3L * model.HiddenSize * model.VocabSize));
        });
    }

    [Test]
    public void Placement_Lookup_ReturnsConsecutiveUnitsInLayerOrder()
    {
        var r = Mapper.Map(new HardwareSpec(), ModelCatalog.Preset("llama-3.2-1b"), null, WorkloadSpec.Default, NoWork);
        var q3 = r.Placement(3, LinearModule.QProj);
        var k3 = r.Placement(3, LinearModule.KProj);
        Assert.That((q3.Layer, q3.Module), Is.EqualTo((3, (LinearModule?)LinearModule.QProj)));
        Assert.That(k3.FirstUnit, Is.EqualTo(q3.FirstUnit + q3.Units));
        Assert.That(r.Placement(2, LinearModule.DownProj).FirstUnit + r.Placement(2, LinearModule.DownProj).Units, Is.EqualTo(q3.FirstUnit));
    }

    [Test]
    public void Map_Area_SumsComponentClasses()
    {
        var hw = new HardwareSpec();
        var r = Mapper.Map(hw, ModelCatalog.Preset("llama-3.2-1b"), LoraSpec.Paper, WorkloadSpec.Default, NoWork);
        var cells = r.Area.Single(a => a.Component == "rram_array");
        Assert.That(cells.SquareMillimetres, Is.EqualTo(r.RramArrays * 64.0 * 64 * hw.Rram.Device.CellAreaSquareMicrometres * 1e-6).Within(1e-9));
        Assert.That(r.AreaSquareMillimetres, Is.GreaterThan(cells.SquareMillimetres));
    }

    [Test]
    public void Map_SramOnlyAndDigitalAttention_MovesWeightsAndDropsAttentionMacros()
    {
        var model = ModelCatalog.Preset("qwen2.5-0.5b");
        var hw = new HardwareSpec();
        hw = hw with { Mapping = hw.Mapping with { W0 = ComputeTarget.Sram, LmHead = ComputeTarget.Sram, Attention = DynamicMatmulTarget.Digital } };
        var r = Mapper.Map(hw, model, LoraSpec.Paper, WorkloadSpec.Default, NoWork);
        var sram = hw.SramCim;
        long Macros(long k, long n) => Tiling.SramMacros(sram, k, n, pack: true);
        Assert.Multiple(() =>
        {
            Assert.That(r.RramArrays, Is.Zero);
            Assert.That(r.SramAttentionMacros, Is.Zero);
            Assert.That(r.ParamsSram, Is.EqualTo(model.ProjectionWeightCount + (long)model.HiddenSize * model.VocabSize + LoraSpec.Paper.ParameterCount(model)));
            // A full-size matrix packs nothing: ceil(K / rows) x ceil(N / weights per row) macros.
            Assert.That(r.Placement(0, LinearModule.GateProj).Units, Is.EqualTo((896 + 255) / 256 * ((4864 + 31) / 32)));
            Assert.That(r.LmHead.Units, Is.EqualTo(Macros(896, 151936)));
        });
    }
}
