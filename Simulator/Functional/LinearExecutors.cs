using CimSim.Common.Numerics;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Mapping;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;

namespace CimSim.Simulator.Functional;

/// <summary>
/// One frozen linear layer y[tokens, out] = x[tokens, in] W^T as some hardware computes it. The forward pass
/// only sees this seam; biases and LoRA are added by <see cref="Projection"/>.
/// </summary>
public interface ILinearExecutor
{
    int InFeatures { get; }

    int OutFeatures { get; }

    void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens);

    /// <summary>
    /// Several independent sequences in one call (layer-major batching): the same as <see cref="Forward(ReadOnlySpan{float}, Span{float}, int)"/>
    /// once per segment in order, segment s being the next <paramref name="segments"/>[s] rows of x and y, its device noise
    /// drawn from stream <paramref name="noiseStreams"/>[s] (null: as a call of its own). A layer that has to be produced
    /// before use (regenerated from its seed, widened from the mapped file) is produced once for the whole batch.
    /// </summary>
    void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> segments, ReadOnlySpan<ulong?> noiseStreams)
    {
        for (int s = 0, row = 0; s < segments.Length; row += segments[s], s++)
            Forward(x.Slice(row * InFeatures, segments[s] * InFeatures), y.Slice(row * OutFeatures, segments[s] * OutFeatures), segments[s]);
    }

    /// <summary>Rows of all segments.</summary>
    internal static int Rows(ReadOnlySpan<int> segments)
    {
        int rows = 0;
        foreach (var n in segments) rows += n;
        return rows;
    }
}

/// <summary>Exact float32 arithmetic (BLAS GEMM/GEMV): the ideal-device reference, and digital units.</summary>
public sealed class IdealLinear(float[] weights, int outFeatures, int inFeatures) : ILinearExecutor
{
    public int InFeatures { get; } = inFeatures;

    public int OutFeatures { get; } = outFeatures;

    /// <summary>[out, in] row-major.</summary>
    public float[] Weights { get; } = weights.Length == (long)outFeatures * inFeatures ? weights
        : throw new ArgumentException($"weights hold {weights.Length} floats, expected {outFeatures} x {inFeatures}", nameof(weights));

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens) =>
        Blas.Gemm(false, true, tokens, OutFeatures, InFeatures, 1f, x, Weights, 0f, y);

    /// <summary>Exact rows do not depend on each other: one GEMM over every segment.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> segments, ReadOnlySpan<ulong?> noiseStreams) =>
        Forward(x, y, ILinearExecutor.Rows(segments));
}

/// <summary>
/// Exact float32 arithmetic on weights that stay in the memory-mapped safetensors file in their stored precision
/// (F32/F16/BF16): a product widens the tensor into its slot's per-thread buffer (exact: F16 and BF16 are subsets of
/// float32), runs the same GEMM as <see cref="IdealLinear"/>, and drops the file pages from the resident set. The
/// slot (the module name with the decoder-layer index taken out, as <see cref="ChipLayerCache"/>'s) keeps the widened
/// tensor until another layer's tensor of the slot is widened into it, so the batches of a chunk run layer-major
/// together widen each layer once; a thread holds at most one decoder layer and the lm_head widened. Same results as
/// <see cref="IdealLinear"/> bit for bit, with no managed copy of the weights; valid while the file is open.
/// </summary>
public sealed class MappedLinear : ILinearExecutor
{
    [ThreadStatic] private static Dictionary<string, (float[] Buffer, MappedLinear? Owner)>? _slots;

    private readonly string _slot;

    private readonly SafetensorsFile _file;
    private readonly string _name;
    private readonly TensorDType _dtype;

    public MappedLinear(SafetensorsFile file, string name, int outFeatures, int inFeatures)
    {
        _file = file;
        _name = name;
        var info = file.Info(name);
        if (info.ElementCount != (long)outFeatures * inFeatures)
            throw new ArgumentException($"tensor '{name}' holds {info.ElementCount} elements, expected {outFeatures} x {inFeatures}", nameof(name));
        _dtype = info.DType;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        _slot = ChipLayerCache.SlotOf(name);
        Widen(); // refuses non-finite weights now, as the float32 reader does
        file.ReleasePages(name);
    }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    /// <summary>Bytes per weight as stored (4, or 2 for F16/BF16).</summary>
    public int BytesPerWeight => _dtype == TensorDType.F32 ? 4 : 2;

    /// <summary>This tensor widened in its slot's buffer of this thread: read again unless the slot still holds it.</summary>
    private float[] Widen()
    {
        long n = (long)OutFeatures * InFeatures;
        _slots ??= new(StringComparer.Ordinal);
        if (_slots.TryGetValue(_slot, out var held) && ReferenceEquals(held.Owner, this)) return held.Buffer;
        // Dropped first: a slot whose read fails (non-finite weights) holds nothing.
        var buffer = held.Buffer is { } b && b.Length >= n ? b : new float[n];
        _slots[_slot] = (buffer, null);
        _file.ReadFloat32(_name, buffer.AsSpan(0, (int)n));
        _file.ReleasePages(_name);
        _slots[_slot] = (buffer, this);
        return buffer;
    }

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        var w = Widen();
        Blas.Gemm(false, true, tokens, OutFeatures, InFeatures, 1f, x, w.AsSpan(0, OutFeatures * InFeatures), 0f, y);
    }

    /// <summary>One widening and one GEMM for every segment (exact rows do not depend on each other).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> segments, ReadOnlySpan<ulong?> noiseStreams) =>
        Forward(x, y, ILinearExecutor.Rows(segments));
}

/// <summary>
/// Every linear exact, with the matrices left in the memory-mapped checkpoint (<see cref="MappedLinear"/>) when the
/// weight source is one: the accuracy study's ideal reference, so that it holds no float32 copy of the model.
/// </summary>
public sealed class MappedIdealPlacer : ILinearPlacer
{
    public static readonly MappedIdealPlacer Instance = new();

    public string Describe => "ideal";

    public bool KeepsWeightsMapped => true;

    public ILinearExecutor Place(string module, float[] weights, int outFeatures, int inFeatures) => new IdealLinear(weights, outFeatures, inFeatures);
}

/// <summary>A programmed RRAM layer (one chip instance) run through the bit-accurate or statistical device model.</summary>
public sealed class RramLinear(RramLinearLayer layer, RramPath path) : ILinearExecutor
{
    public RramLinearLayer Layer { get; } = layer;

    public RramPath Path { get; } = path;

    public int InFeatures => Layer.InFeatures;

    public int OutFeatures => Layer.OutFeatures;

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens) => Forward(x, y, [tokens], [null]);

    /// <summary>Segment s reads noise stream <paramref name="noiseStreams"/>[s] (<see cref="InferenceSession.NoiseStream"/>), else the layer's next call count.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> segments, ReadOnlySpan<ulong?> noiseStreams) =>
        Layer.Forward(x, y, segments, Path, Streams(noiseStreams, Layer.NextForwardCall));

    /// <summary>Each segment's noise stream: its own, else the next call count (segments in order, as calls of their own).</summary>
    internal static ulong[] Streams(ReadOnlySpan<ulong?> perSegment, Func<ulong> nextCall)
    {
        var result = new ulong[perSegment.Length];
        for (int s = 0; s < result.Length; s++) result[s] = perSegment[s] ?? nextCall();
        return result;
    }
}

/// <summary>
/// A programmed RRAM layer that is not held: it is programmed again from its weights, seed and module stream whenever
/// it is needed and not in <see cref="ChipLayerCache"/> (programming is deterministic in those, so every regeneration
/// holds the same conductances bit for bit). Forward calls are counted here and passed to the layer as its noise
/// stream, so read-time draws are those of a held layer too. Not for an ADC that needs calibration (the calibrated
/// ranges live in the programmed layer): <see cref="RramPlacer"/> holds those layers.
/// </summary>
public sealed class RegeneratingRramLinear : ILinearExecutor
{
    private readonly Func<float[]> _readWeights;
    private readonly Action<Span<float>>? _readWeightsInto;
    private readonly Action<int, Span<float>>? _readRows;
    private readonly RramFormat _format;
    private readonly ulong _seed;
    private readonly string _purpose;
    private readonly ChipLayerCache _cache;
    private long _calls;

    /// <param name="readWeights">The weights as an array (a held one, e.g. the tied embedding, is read in place).</param>
    /// <param name="readWeightsInto">When given, used instead to read the weights into the cache's reused weight buffer.</param>
    /// <param name="readRows">When given, used instead of both: the layer is programmed block by block (<see cref="RramLinearLayer.ProgramInBlocks"/>), no float32 copy of its weights read.</param>
    public RegeneratingRramLinear(Func<float[]> readWeights, int outFeatures, int inFeatures, RramFormat format, ulong seed, string purpose, RramPath path, ChipLayerCache cache,
        Action<Span<float>>? readWeightsInto = null, Action<int, Span<float>>? readRows = null)
    {
        (_readWeights, _readWeightsInto, _readRows, _format, _seed, _purpose, _cache, Path) = (readWeights, readWeightsInto, readRows, format, seed, purpose, cache, path);
        (OutFeatures, InFeatures) = (outFeatures, inFeatures);
        // Cell counts follow from the shape; only stuck-at faults need the layer programmed to be counted.
        Faults = format.StuckAtOn ? Program().Faults
            : new RramFaultCounts((long)outFeatures * inFeatures * format.SlicesPerWeight * format.CellsPerSlice, 0, 0);
    }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    public RramPath Path { get; }

    /// <summary>The chip's cache of programmed layers (and its reused storage) this layer is kept in.</summary>
    public ChipLayerCache Cache => _cache;

    /// <summary>Cells and stuck cells of the programmed layer (the same at every regeneration).</summary>
    public RramFaultCounts Faults { get; }

    private RramLinearLayer Program()
    {
        // With no layer kept by budget, the layer is written into its slot's reused storage (no per-layer garbage).
        var storage = _cache.StorageFor(_purpose);
        _cache.CollectIfGarbage();
        RramLinearLayer layer;
        if (_readRows is not null) layer = RramLinearLayer.ProgramInBlocks(_readRows, OutFeatures, InFeatures, _format, _seed, _purpose, storage);
        else
        {
            float[] weights;
            if (storage is not null && _readWeightsInto is not null)
            {
                weights = storage.WeightBuffer((long)OutFeatures * InFeatures);
                _readWeightsInto(weights.AsSpan(0, OutFeatures * InFeatures));
            }
            else weights = _readWeights();
            layer = RramLinearLayer.Program(weights, OutFeatures, InFeatures, _format, _seed, _purpose, storage);
        }
        _cache.Put(this, _purpose, layer, (long)OutFeatures * InFeatures * 4L * (_format.SlicesPerWeight == 1 ? 1 : _format.SlicesPerWeight + 1));
        return layer;
    }

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens) => Forward(x, y, [tokens], [null]);

    /// <summary>The layer is programmed (or taken from the cache) once for every segment; noise streams as <see cref="RramLinear"/>'s.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> segments, ReadOnlySpan<ulong?> noiseStreams)
    {
        // One programmed layer at a time while a storage is shared: the lock keeps two products from programming into it at once.
        lock (_cache)
        {
            // Several batches may pass between two programmings now: the garbage of their products is bounded here too.
            _cache.CollectIfGarbage();
            var layer = _cache.Get(this, _purpose) ?? Program();
            layer.Forward(x, y, segments, Path, RramLinear.Streams(noiseStreams, () => (ulong)(Interlocked.Increment(ref _calls) - 1)));
        }
    }
}

/// <summary>
/// The programmed layers of one chip instance kept between uses, least recently used dropped first once their float32
/// arrays pass <see cref="BudgetBytes"/>. Budget 0 keeps no layer by budget: each layer is programmed into the reused
/// storage of its slot (its module name with the decoder-layer index taken out: "rram/model.layers.*.mlp.up_proj",
/// "rram/lm_head") and stays there until the next layer of the same slot is programmed, so a chip holds at most one
/// decoder layer and the lm_head at a time (docs/accuracy.md, "Memory"); a product of a layer still in its slot reuses it.
/// </summary>
public sealed partial class ChipLayerCache(long budgetBytes)
{
    private readonly LinkedList<(object Key, RramLinearLayer Layer, long Bytes)> _order = new();
    private readonly Dictionary<string, (RramLayerStorage Storage, object? Key, RramLinearLayer? Layer)> _slots = new(StringComparer.Ordinal);
    private readonly RramLayerStorage _weights = new();
    private long _bytes;

    public long BudgetBytes { get; } = budgetBytes;

    private long _allocatedAtCollection;

    /// <summary>
    /// A blocking collection when more than <see cref="GarbageBytes"/> were allocated since the last one: products leave
    /// large transient arrays (quantised inputs, outputs) that the GC would otherwise let pile up beside the storage
    /// (measured: 1B statistical peak 3.97 GB without; at 16 batches per programming 3.13 GB with 256 MB, 2.96 GB with
    /// 64 MB). A collection of this heap (few, large objects) takes milliseconds.
    /// </summary>
    public void CollectIfGarbage()
    {
        long allocated = GC.GetTotalAllocatedBytes();
        if (allocated - _allocatedAtCollection < GarbageBytes) return;
        GC.Collect();
        _allocatedAtCollection = GC.GetTotalAllocatedBytes();
    }

    private const long GarbageBytes = 64L << 20;

    /// <summary>The slot of a layer's purpose: "rram/model.layers.12.self_attn.q_proj" -> "rram/model.layers.*.self_attn.q_proj".</summary>
    internal static string SlotOf(string purpose) => LayerIndex().Replace(purpose, ".layers.*.", 1);

    [System.Text.RegularExpressions.GeneratedRegex(@"\.layers\.\d+\.")]
    private static partial System.Text.RegularExpressions.Regex LayerIndex();

    /// <summary>
    /// With no layer kept by budget (budget 0), the reused buffers of <paramref name="purpose"/>'s slot, whose weight buffer
    /// is the one all slots share (weights are read into it just before programming), emptied first: the layer it held
    /// is no longer kept (a programming that fails half-way leaves nothing to reuse); else null.
    /// </summary>
    public RramLayerStorage? StorageFor(string purpose)
    {
        if (BudgetBytes != 0) return null;
        lock (_slots)
        {
            var slot = SlotOf(purpose);
            var storage = _slots.TryGetValue(slot, out var s) ? s.Storage : new RramLayerStorage(_weights);
            _slots[slot] = (storage, null, null);
            return storage;
        }
    }

    /// <summary>Layers programmed again because they were not kept.</summary>
    public long Regenerations { get; private set; }

    /// <summary>The programmed layer of <paramref name="key"/> if kept (in its slot, or by budget); null counts a regeneration.</summary>
    public RramLinearLayer? Get(object key, string purpose)
    {
        if (BudgetBytes == 0)
            lock (_slots)
            {
                if (_slots.TryGetValue(SlotOf(purpose), out var s) && ReferenceEquals(s.Key, key)) return s.Layer;
                Regenerations++;
                return null;
            }
        lock (_order)
        {
            for (var n = _order.First; n is not null; n = n.Next)
                if (ReferenceEquals(n.Value.Key, key))
                {
                    _order.Remove(n);
                    _order.AddFirst(n);
                    return n.Value.Layer;
                }
            Regenerations++;
            return null;
        }
    }

    /// <summary>Keeps <paramref name="layer"/> (<paramref name="bytes"/> of float32 arrays) for <paramref name="key"/>: in its slot (budget 0), or by budget.</summary>
    public void Put(object key, string purpose, RramLinearLayer layer, long bytes)
    {
        if (BudgetBytes == 0)
        {
            lock (_slots)
            {
                var slot = SlotOf(purpose);
                _slots[slot] = (_slots[slot].Storage, key, layer);
            }
            return;
        }
        lock (_order)
        {
            _order.AddFirst((key, layer, bytes));
            _bytes += bytes;
            while (_bytes > BudgetBytes && _order.Last is { } last)
            {
                _bytes -= last.Value.Bytes;
                _order.RemoveLast();
            }
        }
    }
}

/// <summary>
/// Places one static matrix (a W0 projection, or lm_head) on hardware: given the Hugging Face module name
/// ("model.layers.3.self_attn.q_proj", "lm_head") and its [out, in] weights, returns the executor that computes
/// with it. The weights array may be kept (exact) or dropped after programming.
/// </summary>
public interface ILinearPlacer
{
    /// <summary>Short description for reports, e.g. "ideal" or "rram statistical (seed 3)".</summary>
    string Describe { get; }

    ILinearExecutor Place(string module, float[] weights, int outFeatures, int inFeatures);

    /// <summary>As <see cref="Place"/> with the weights read by <paramref name="read"/> (a placer may read them again later).</summary>
    ILinearExecutor Place(string module, Func<float[]> read, int outFeatures, int inFeatures) => Place(module, read(), outFeatures, inFeatures);

    /// <summary>
    /// As above; <paramref name="readInto"/> (when given) reads the same weights into a caller's buffer, so a placer that
    /// reads them again need not allocate, and <paramref name="readRows"/> (when given) reads whole rows of them (first
    /// row, destination), so a placer that programs the matrix block by block need hold no float32 copy of it (a large lm_head).
    /// </summary>
    ILinearExecutor Place(string module, Func<float[]> read, Action<Span<float>>? readInto, Action<int, Span<float>>? readRows, int outFeatures, int inFeatures) =>
        Place(module, read, outFeatures, inFeatures);

    /// <summary>The placer for one model (a hardware placer maps the model to learn each matrix's target); default: itself.</summary>
    ILinearPlacer ForModel(ModelSpec model) => this;

    /// <summary>The chip instance whose seed drives programming and calibration (null: no device draws).</summary>
    ulong? ChipSeed => null;

    /// <summary>True: exact matrices may stay in the mapped checkpoint (<see cref="MappedLinear"/>) instead of being read.</summary>
    bool KeepsWeightsMapped => false;

    /// <summary>True: the model reads its weight source after Build (mapped or regenerated matrices), so the source must stay open.</summary>
    bool NeedsOpenSource => KeepsWeightsMapped;
}

/// <summary>Every linear exact (ideal devices).</summary>
public sealed class IdealPlacer : ILinearPlacer
{
    public static readonly IdealPlacer Instance = new();

    public string Describe => "ideal";

    public ILinearExecutor Place(string module, float[] weights, int outFeatures, int inFeatures) => new IdealLinear(weights, outFeatures, inFeatures);
}

/// <summary>
/// Matrices programmed into RRAM crossbars as <paramref name="format"/> (derived from an RramSpec) describes them
/// where <paramref name="plan"/> puts them on RRAM, exact elsewhere (SRAM digital CIM and digital units compute
/// exactly). The chip instance is <paramref name="seed"/>; each module draws from its own stream (seed, "rram/" +
/// module name). Without a plan every W0 is on RRAM and lm_head is digital.
/// </summary>
public sealed class RramPlacer(RramFormat format, ulong seed, RramPath path, FunctionalPlan? plan = null, HardwareSpec? hardware = null) : ILinearPlacer
{
    /// <summary>
    /// Null: every RRAM layer programmed once and held (the default). A value: layers are regenerated from their seed
    /// when needed (<see cref="RegeneratingRramLinear"/>) and at most this many bytes of them kept; the weight source
    /// must stay open while the model runs.
    /// </summary>
    public long? ChipCacheBytes { get; init; }

    private ChipLayerCache? _cache;

    public bool NeedsOpenSource => ChipCacheBytes is not null;

    public RramFormat Format { get; } = format;

    public ulong Seed { get; } = seed;

    public RramPath Path { get; } = path;

    /// <summary>Where each matrix runs (from the MappingResult); null: W0 on RRAM, lm_head digital.</summary>
    public FunctionalPlan? Plan { get; } = plan;

    public ulong? ChipSeed => Seed;

    public string Describe => $"rram {(Path == RramPath.BitAccurate ? "bit_accurate" : "statistical")} (seed {Seed})";

    /// <summary>With the hardware known and no plan yet: maps <paramref name="model"/> and follows its placements.</summary>
    public ILinearPlacer ForModel(ModelSpec model) =>
        Plan is null && hardware is not null ? new RramPlacer(Format, Seed, Path, FunctionalPlan.Map(hardware, model), hardware) { ChipCacheBytes = ChipCacheBytes } : this;

    /// <summary>Regenerated per use when <see cref="ChipCacheBytes"/> is set and the layer needs no ADC calibration; else as <see cref="Place(string, float[], int, int)"/>.</summary>
    public ILinearExecutor Place(string module, Func<float[]> read, int outFeatures, int inFeatures) => Place(module, read, null, null, outFeatures, inFeatures);

    /// <summary>
    /// As above; a regenerated layer reads its weights through <paramref name="readInto"/> into the chip's reused buffer
    /// when given, or is programmed block by block through <paramref name="readRows"/> when that is given (no float32 copy of it read).
    /// </summary>
    public ILinearExecutor Place(string module, Func<float[]> read, Action<Span<float>>? readInto, Action<int, Span<float>>? readRows, int outFeatures, int inFeatures)
    {
        bool calibrated = !Format.IdealAdc && Format.Spec.Adc.Range.FullScale == AdcFullScaleMode.Calibrated;
        if (ChipCacheBytes is not { } budget || calibrated || TargetOf(module) != ComputeTarget.Rram) return Place(module, read(), outFeatures, inFeatures);
        _cache ??= new ChipLayerCache(budget);
        return new RegeneratingRramLinear(read, outFeatures, inFeatures, FormatOf(module), Seed, "rram/" + module, Path, _cache, readInto, readRows);
    }

    public ComputeTarget TargetOf(string module) =>
        Plan?.TargetOf(module) ?? (module == FunctionalPlan.LmHeadName ? ComputeTarget.Digital : ComputeTarget.Rram);

    public ILinearExecutor Place(string module, float[] weights, int outFeatures, int inFeatures) =>
        TargetOf(module) == ComputeTarget.Rram
            ? new RramLinear(RramLinearLayer.Program(weights, outFeatures, inFeatures, FormatOf(module), Seed, "rram/" + module), Path)
            : new IdealLinear(weights, outFeatures, inFeatures);

    private readonly Dictionary<int, RramFormat> _formatAt = [];

    /// <summary>The format <paramref name="module"/> is programmed and converted with: <see cref="Format"/> with the ADC at the plan's mapping.adc_bits for it, if any.</summary>
    public RramFormat FormatOf(string module)
    {
        if (Plan?.AdcBitsOf(module) is not { } bits || bits == Format.Spec.Adc.Bits) return Format;
        lock (_formatAt)
        {
            if (!_formatAt.TryGetValue(bits, out var f)) _formatAt[bits] = f = Format.WithAdcBits(bits);
            return f;
        }
    }
}

/// <summary>
/// Where the functional model runs each static matrix: the targets of a <see cref="MappingResult"/>
/// (`Placement(layer, module).Target`, `LmHead.Target`), keyed by Hugging Face module name, so an accuracy run
/// and a simulate run of the same config describe the same chip.
/// </summary>
public sealed class FunctionalPlan
{
    public const string LmHeadName = "lm_head";

    private readonly Dictionary<string, ComputeTarget> _targets;
    private readonly Dictionary<string, int> _adcBits;

    /// <param name="targets">Target of each W0 / lm_head by module name.</param>
    /// <param name="adcBits">ADC bits of the RRAM matrices a mapping.adc_bits glob matched (others: rram.adc.bits).</param>
    public FunctionalPlan(IReadOnlyDictionary<string, ComputeTarget> targets, IReadOnlyDictionary<string, int>? adcBits = null)
    {
        _targets = new(targets, StringComparer.Ordinal);
        _adcBits = adcBits is null ? new(StringComparer.Ordinal) : new(adcBits, StringComparer.Ordinal);
    }

    /// <summary>Targets and ADC-bit overrides of every W0 and lm_head in <paramref name="mapping"/>.</summary>
    public static FunctionalPlan From(MappingResult mapping)
    {
        var frozen = mapping.AllPlacements.Where(p => p.Role is MatrixRole.W0 or MatrixRole.LmHead).ToList();
        return new(frozen.ToDictionary(p => p.Name, p => p.Target, StringComparer.Ordinal),
            frozen.Where(p => p.AdcBits is not null).ToDictionary(p => p.Name, p => p.AdcBits!.Value, StringComparer.Ordinal));
    }

    /// <summary>The mapping.adc_bits resolution of <paramref name="module"/>, or null (rram.adc.bits).</summary>
    public int? AdcBitsOf(string module) => _adcBits.TryGetValue(module, out var b) ? b : null;

    /// <summary>Maps <paramref name="model"/> on <paramref name="hw"/> (targets only; work totals skipped) and takes its targets.</summary>
    public static FunctionalPlan Map(HardwareSpec hw, ModelSpec model) =>
        From(Mapper.Map(hw, model, null, new WorkloadSpec(1, 1, 1), new MapperOptions { ComputeWork = false }));

    /// <summary>The target of <paramref name="module"/>, or null when the plan does not name it.</summary>
    public ComputeTarget? TargetOf(string module) => _targets.TryGetValue(module, out var t) ? t : null;

    /// <summary>"14 W0 on rram, 0 on sram, 0 on digital; lm_head on rram".</summary>
    public string Describe()
    {
        var w0 = _targets.Where(kv => kv.Key != LmHeadName).GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.Count());
        string N(ComputeTarget c) => w0.GetValueOrDefault(c).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var lm = TargetOf(LmHeadName) is { } x ? Name(x) : "digital";
        return $"W0: {N(ComputeTarget.Rram)} on rram, {N(ComputeTarget.Sram)} on sram, {N(ComputeTarget.Digital)} on digital; lm_head on {lm}";
    }

    public static string Name(ComputeTarget t) => t.ToString().ToLowerInvariant();
}
