using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Mapping;

/// <summary>
/// Issue 15: a sliding-window layer (Mistral; Gemma 2/3 local layers) keeps only the last W positions, so its KV cache
/// is bounded by the window. Checked against closed forms written here, not the mapper's sums.
/// </summary>
public class SlidingWindowKvTests
{
    private static readonly MapperOptions NoWork = new() { ComputeWork = false };

    /// <summary>llama-3.2-1b (16 layers) with a window of <paramref name="window"/> on the layers <paramref name="sliding"/> selects.</summary>
    private static ModelSpec Windowed(int window, Func<int, bool> sliding)
    {
        var m = ModelCatalog.Preset("llama-3.2-1b");
        return m with { SlidingWindow = window, SlidingLayers = new EquatableList<bool>(Enumerable.Range(0, m.NumLayers).Select(sliding)) };
    }

    private static HardwareSpec AutoBuffers()
    {
        var hw = new HardwareSpec();
        return hw with { Buffer = hw.Buffer with { Sizing = BufferSizing.Auto } };
    }

    private static long PerToken(ModelSpec m, int batch) => (long)batch * 2 * m.KeyValueDim; // K and V, 8-bit KV

    [TestCase(256, 512, 512)]   // window below the longest KV length (1023): every layer holds 256 positions
    [TestCase(2048, 512, 512)]  // window above it: the window changes nothing
    [TestCase(1, 16, 1)]
    public void Map_EveryLayerSliding_KvTotalIsLayersTimesMinOfLengthAndWindow(int window, int prompt, int generate)
    {
        var model = Windowed(window, _ => true);
        var r = Mapper.Map(AutoBuffers(), model, null, new WorkloadSpec(2, prompt, generate), NoWork);
        long longest = prompt + generate - 1;
        Assert.Multiple(() =>
        {
            Assert.That(r.KvCache.TotalBytes, Is.EqualTo(PerToken(model, 2) * model.NumLayers * Math.Min(longest, window)));
            Assert.That(r.KvCache.Spills, Is.False, "auto-sized buffers hold the whole (windowed) cache");
        });
    }

    [Test]
    public void Map_AlternatingLocalGlobalLayers_KvTotalSumsWindowAndFullLength()
    {
        // Gemma 2: even layers local (window 256), odd layers global.
        var model = Windowed(256, l => l % 2 == 0);
        var r = Mapper.Map(new HardwareSpec(), model, null, new WorkloadSpec(1, 512, 512), NoWork);
        Assert.That(r.KvCache.TotalBytes, Is.EqualTo(PerToken(model, 1) * (8L * 256 + 8L * 1023)));
    }

    [TestCase(100)]
    [TestCase(null)]
    public void Map_AutoSizedBuffers_EachChipKvShareIsItsLayersTimesTheWindow(int? window)
    {
        var model = window is int w ? Windowed(w, _ => true) : ModelCatalog.Preset("llama-3.2-1b");
        var r = Mapper.Map(AutoBuffers(), model, null, new WorkloadSpec(1, 512, 512), NoWork);
        var held = Math.Min(1023, window ?? int.MaxValue);
        // An auto-sized buffer's KV share is exactly the KV of the chip's own layers.
        Assert.That(r.ChipList.Select(c => c.KvBufferBytes), Is.EqualTo(r.ChipList.Select(c => PerToken(model, 1) * c.Layers * held)));
    }

    [Test]
    public void Map_ConfiguredBufferBelowTheWindow_OnChipPositionsAndSpillInClosedForm()
    {
        var model = Windowed(256, _ => true);
        var hw = new HardwareSpec();
        hw = hw with { Buffer = hw.Buffer with { CapacityBytes = 1L * 1024 * 1024 } };
        var r = Mapper.Map(hw, model, null, new WorkloadSpec(2, 512, 512), NoWork);
        long perToken = PerToken(model, 2);
        long act = 2L * 2 * (model.HiddenSize + 2L * model.IntermediateSize); // double-buffered activations, batch 2, 8 bits
        var layersPerChip = r.ChipList.Select(c => c.Layers).Where(l => l > 0).Max();
        var onChip = (int)Math.Min(256, (1L * 1024 * 1024 - act) / (perToken * layersPerChip));
        Assert.That(onChip, Is.InRange(1, 255), "the buffer must hold part of the windowed cache of a chip");
        Assert.Multiple(() =>
        {
            Assert.That(r.KvCache.OnChipTokens, Is.EqualTo(onChip));
            Assert.That(r.KvCache.SpilledBytes, Is.EqualTo(perToken * model.NumLayers * (256 - onChip)));
        });
    }

    [Test]
    public void Map_ConfiguredBufferHoldingTheWindow_NoSpillAlthoughFullLengthWouldSpill()
    {
        var model = Windowed(64, _ => true);
        var hw = new HardwareSpec();
        hw = hw with { Buffer = hw.Buffer with { CapacityBytes = 4L * 1024 * 1024 } };
        var r = Mapper.Map(hw, model, null, new WorkloadSpec(2, 512, 512), NoWork);
        var full = Mapper.Map(hw, ModelCatalog.Preset("llama-3.2-1b"), null, new WorkloadSpec(2, 512, 512), NoWork);
        Assert.Multiple(() =>
        {
            Assert.That(full.KvCache.Spills, Is.True);
            Assert.That(r.KvCache.Spills, Is.False);
            Assert.That(r.KvCache.OnChipBytes, Is.EqualTo(PerToken(model, 2) * model.NumLayers * 64));
        });
    }

    // Window 4, 2 slots on chip: positions 0..9 use slots 0,1,2,3,0,1,2,3,0,1; slots 2 and 3 are off chip.
    [TestCase(0, 10, 4)]  // positions 2, 3, 6, 7
    [TestCase(5, 10, 2)]  // positions 6, 7
    [TestCase(8, 9, 0)]   // position 8 (slot 0)
    [TestCase(3, 4, 1)]   // position 3 (slot 3)
    public void OffChipWrites_SlidingLayer_CountsRingSlotsBeyondTheOnChipOnes(int newFrom, int kvLength, long expected)
    {
        var model = Windowed(4, _ => true);
        Assert.That(Mapper.OffChipWrites(model, 0, newFrom, kvLength, 2), Is.EqualTo(expected));
    }

    [TestCase(0, 10, 2, 8)]
    [TestCase(5, 10, 2, 5)]
    [TestCase(0, 1, 2, 0)]
    public void OffChipWrites_FullLayer_PositionsAtOrBeyondTheOnChipCount(int newFrom, int kvLength, int onChip, long expected) =>
        Assert.That(Mapper.OffChipWrites(ModelCatalog.Preset("llama-3.2-1b"), 0, newFrom, kvLength, onChip), Is.EqualTo(expected));
}
