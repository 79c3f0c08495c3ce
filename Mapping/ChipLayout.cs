using CimSim.Devices.Config;
using CimSim.Devices.Digital;
using CimSim.Devices.Energy;
using CimSim.Devices.Interconnect;
using CimSim.Devices.Memory;
using CimSim.Devices.Rram;
using CimSim.Devices.Sram;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Mapping;

/// <summary>
/// Where the sized matrices go (docs/mapping.md "Chips", "Tiles and topology", "Buffers", "Area"): decoder layers
/// (then lm_head) are cut into consecutive groups, one per chip, so that each chip stays within `chip.tiles` and
/// `chip.max_area_mm2` (pipeline partition); on every chip units are numbered from 0 in layer order and packed into
/// the tiles of a mesh; the tile buffer is sized from what the tiles hold; each chip's area is priced; activations
/// crossing a cut become chip-to-chip link traffic.
/// </summary>
internal sealed class ChipLayout
{
    private const double Um2ToMm2 = 1e-6;

    public required MatrixPlacement?[] W0 { get; init; }
    public required MatrixPlacement?[] LoraA { get; init; }
    public required MatrixPlacement?[] LoraB { get; init; }
    public required MatrixPlacement LmHead { get; init; }
    public required List<ChipPlacement> Chips { get; init; }
    public required List<ChipLink> Links { get; init; }
    public long TileBufferBytes { get; init; }
    public long TileBufferBytesNeeded { get; init; }

    public IEnumerable<MatrixPlacement> Placements => W0.OfType<MatrixPlacement>().Concat(LoraA.OfType<MatrixPlacement>()).Concat(LoraB.OfType<MatrixPlacement>()).Append(LmHead);

    public static ChipLayout Build(MapContext ctx, MatrixPlacement?[] w0, MatrixPlacement?[] loraA, MatrixPlacement?[] loraB, MatrixPlacement lmHead)
    {
        var hw = ctx.Hw;
        var layers = ctx.Model.NumLayers;
        // Items: decoder layers 0 .. L-1, then lm_head (item L); each is kept whole on one chip unless it alone exceeds one.
        var items = new Item[layers + 1];
        var layerMatrices = new List<MatrixPlacement>[layers];
        for (var l = 0; l < layers; l++)
        {
            var ms = Enumerable.Range(l * LinearModules.Count, LinearModules.Count)
                .SelectMany(i => new[] { w0[i], loraA[i], loraB[i] }).OfType<MatrixPlacement>().ToList();
            layerMatrices[l] = ms;
            items[l] = new Item(Units(ms, ComputeTarget.Rram), Units(ms, ComputeTarget.Sram), 1, AdcExtraUm2(ctx, ms));
        }
        items[layers] = new Item(Units([lmHead], ComputeTarget.Rram), Units([lmHead], ComputeTarget.Sram), 0, AdcExtraUm2(ctx, [lmHead]));

        // The tile buffer of a one-chip packing sizes auto buffers for the partition; the final packing re-sizes it.
        var all = new List<Group> { new(0, layers + 1) };
        var first = Position(ctx, all, w0, loraA, loraB, lmHead);
        var tileBytes = hw.TileBuffer.Sizing == BufferSizing.Auto ? first.TileNeedBytes : hw.TileBuffer.CapacityBytes;
        var groups = Partition(ctx, items, layerMatrices, tileBytes, multiChip: false);
        if (groups.Count > 1) groups = Partition(ctx, items, layerMatrices, tileBytes, multiChip: true);
        var final = groups.Count == 1 ? first : Position(ctx, groups, w0, loraA, loraB, lmHead);
        var need = final.TileNeedBytes;
        if (hw.TileBuffer.Sizing == BufferSizing.Auto) tileBytes = need;
        else if (need > hw.TileBuffer.CapacityBytes)
            ctx.Problems.Add($"tile_buffer.capacity_bytes: a tile's arrays and macros need {need:N0} bytes of staging (inputs and partial sums, double-buffered) but the tile buffer holds {hw.TileBuffer.CapacityBytes:N0} (or set tile_buffer.sizing: auto)");

        var chips = new List<ChipPlacement>();
        for (var c = 0; c < groups.Count; c++)
        {
            var g = groups[c];
            var pos = final.Chips[c];
            var nLayers = LayersOf(g, layers);
            // Sized from the work, each tile's buffer holds its own need (docs/mapping.md "Buffers"); the partition
            // above budgeted every tile at the largest need, an upper bound of this area.
            var tileBufferBytes = hw.TileBuffer.Sizing == BufferSizing.Auto ? pos.TileNeedBytesSum : pos.Tiles * tileBytes;
            // ADC area of per-module resolutions on this chip (a matrix split over chips shares it by its span).
            var adcExtra = new[] { final.W0, final.LoraA, final.LoraB }.SelectMany(x => x).OfType<MatrixPlacement>().Append(final.LmHead)
                .Where(p => p.Chip <= c && c < p.Chip + p.ChipSpan).Sum(p => AdcExtraUm2(ctx, [p]) / p.ChipSpan);
            var (area, kvBytes) = ChipArea(ctx, c, pos.Arrays, pos.WeightMacros, pos.PoolMacros, pos.Tiles, g.Start, nLayers, groups.Count > 1, tileBytes, report: true, tileBufferBytes, adcExtra);
            var layerSlice = g.IsLayerSlice(layers) ? g.Slice : 0;
            chips.Add(new ChipPlacement
            {
                Index = c,
                FirstLayer = nLayers > 0 || layerSlice > 0 ? g.Start : -1,
                LastLayer = nLayers > 0 ? g.Start + nLayers - 1 : layerSlice > 0 ? g.Start : -1,
                LayerSlice = layerSlice,
                LayerSlices = g.IsLayerSlice(layers) ? g.Slices : 1,
                HoldsLmHead = g.End > layers,
                RramArrays = pos.Arrays,
                SramWeightMacros = pos.WeightMacros,
                SramAttentionMacros = pos.PoolMacros,
                Tiles = pos.Tiles,
                Mesh = pos.Mesh,
                AttentionHops = pos.AttentionHops,
                GlobalBufferBytes = GlobalBufferBytes(ctx, c, g.Start, nLayers),
                KvBufferBytes = kvBytes,
                Area = area,
            });
        }
        CheckChipBudgets(ctx, chips, items);
        return new ChipLayout
        {
            W0 = final.W0,
            LoraA = final.LoraA,
            LoraB = final.LoraB,
            LmHead = final.LmHead,
            Chips = chips,
            Links = CutLinks(ctx, groups, final),
            TileBufferBytes = tileBytes,
            TileBufferBytesNeeded = need,
        };
    }

    private static long Units(IEnumerable<MatrixPlacement> ms, ComputeTarget t) => ms.Where(p => p.Target == t).Sum(p => (long)p.Units);

    private readonly record struct Item(long Arrays, long Macros, int Layers, double AdcExtraUm2);

    /// <summary>
    /// ADC area the `mapping.adc_bits` overrides add (or save) on these matrices' arrays against rram.adc.bits: units x
    /// (per-array ADC area at their bits - at rram.adc.bits), square micrometres (0 where the ADC model's area ignores bits).
    /// </summary>
    private static double AdcExtraUm2(MapContext ctx, IEnumerable<MatrixPlacement> ms) =>
        ms.Where(p => p.Target == ComputeTarget.Rram && p.AdcBits is not null)
          .Sum(p => p.Units * (ctx.Devices.Rram.AdcAreaSquareMicrometresAt(p.AdcBits!.Value) - ctx.Devices.Rram.AdcAreaSquareMicrometres));

    /// <summary>
    /// Items [Start, End) on one chip; for lm_head split across chips, its column slice <see cref="Slice"/> of
    /// <see cref="Slices"/>; for a decoder layer larger than a chip (Start &lt; layers), column slice Slice of layer Start
    /// (slice 0 is the layer's home: its hub runs the vector ops and holds the attention pool and the KV cache).
    /// </summary>
    private readonly record struct Group(int Start, int End, int Slice = 0, int Slices = 1)
    {
        public bool IsLayerSlice(int layers) => Slices > 1 && Start < layers;
    }

    /// <summary>Decoder layers a group holds whole (a layer's later slices hold none: no pool, no KV).</summary>
    private static int LayersOf(Group g, int layers) => g.IsLayerSlice(layers) && g.Slice > 0 ? 0 : Math.Max(0, Math.Min(g.End, layers) - g.Start);

    /// <summary>
    /// Column slice <paramref name="s"/> of <paramref name="slices"/> of a decoder-layer matrix: column blocks
    /// [s x per, (s + 1) x per), per = ceil(column blocks / slices); its units (each column block's share, rounded so
    /// the slices' units add up to the matrix's) and its output features.
    /// </summary>
    internal static (int Offset, int Count, int Outputs) ColumnSlice(MatrixPlacement p, int s, int slices)
    {
        if (slices <= 1 || p.Units == 0 || p.ColumnBlocks == 0) return s == 0 ? (0, p.Units, p.N) : (p.Units, 0, 0);
        var cb = p.ColumnBlocks;
        var per = (int)Tiling.CeilDiv(cb, slices);
        int c0 = Math.Min(cb, s * per), c1 = Math.Min(cb, (s + 1) * per);
        int u0 = (int)Tiling.CeilDiv((long)p.Units * c0, cb), u1 = (int)Tiling.CeilDiv((long)p.Units * c1, cb);
        var outputs = (int)(Math.Min(p.N, (long)c1 * p.OutputsPerUnit) - Math.Min(p.N, (long)c0 * p.OutputsPerUnit));
        return (u0, u1 - u0, outputs);
    }

    private static long TilesFor(HardwareSpec hw, long arrays, long macros)
    {
        var rram = Tiling.CeilDiv(arrays, hw.Rram.ArraysPerTile);
        var sram = hw.SramCim.MacrosPerTile > 0 ? Tiling.CeilDiv(macros, hw.SramCim.MacrosPerTile) : 0;
        return Math.Max(1, Math.Max(rram, sram));
    }

    /// <summary>
    /// Greedy pipeline partition: add layers (then lm_head) to the current chip while its tiles and area stay within
    /// the budgets; otherwise start a new chip. Optimal for a chain with a per-chip budget (a later cut never helps).
    /// </summary>
    private static List<Group> Partition(MapContext ctx, Item[] items, List<MatrixPlacement>[] layerMatrices, long tileBytes, bool multiChip)
    {
        var hw = ctx.Hw;
        var groups = new List<Group>();
        var start = 0;
        long arrays = 0, macros = 0;
        double adcExtra = 0;
        var layers = 0;
        for (var i = 0; i < items.Length; i++)
        {
            var it = items[i];
            var units = it.Arrays + it.Macros;
            if (it.Layers == 0 && units > 1 && !Fits(it.Arrays, it.Macros, 0, it.AdcExtraUm2) && Fits(Math.Min(1, it.Arrays), Math.Min(1, it.Macros), 0, it.AdcExtraUm2 / units))
            {
                // lm_head larger than a chip: split its columns (vocabulary) over the fewest chips that hold a slice each
                // (binary search; a chip that cannot hold even one unit leaves it whole and reported).
                long lo = 2, hi = units;
                while (lo < hi)
                {
                    var mid = (lo + hi) / 2;
                    if (Fits(Tiling.CeilDiv(it.Arrays, mid), Tiling.CeilDiv(it.Macros, mid), 0, it.AdcExtraUm2 / mid)) hi = mid; else lo = mid + 1;
                }
                var slices = (int)lo;
                if (i > start) groups.Add(new Group(start, i));
                for (var s = 0; s < slices; s++) groups.Add(new Group(i, i + 1, s, slices));
                return groups;
            }
            if (it.Layers == 1 && !Fits(it.Arrays, it.Macros, 1, it.AdcExtraUm2) && SlicesFor(layerMatrices[i]) is var layerSlices and > 1)
            {
                // A decoder layer larger than a chip: its matrices' columns over the fewest consecutive chips whose first
                // (largest) slice fits with the layer's attention pool; layers before and after go on other chips. A
                // digital lm_head right after it (no units) stays on the layer's home chip.
                if (i > start) groups.Add(new Group(start, i));
                var headFollows = i + 1 == items.Length - 1 && items[^1].Arrays + items[^1].Macros == 0;
                for (var s = 0; s < layerSlices; s++) groups.Add(new Group(i, s == 0 && headFollows ? items.Length : i + 1, s, layerSlices));
                (start, arrays, macros, layers, adcExtra) = (headFollows ? items.Length : i + 1, 0, 0, 0, 0);
                if (headFollows) break;
                continue;
            }
            if (i > start && !Fits(arrays + it.Arrays, macros + it.Macros, layers + it.Layers, adcExtra + it.AdcExtraUm2))
            {
                groups.Add(new Group(start, i));
                (start, arrays, macros, layers, adcExtra) = (i, 0, 0, 0, 0);
            }
            adcExtra += it.AdcExtraUm2;
            arrays += it.Arrays;
            macros += it.Macros;
            layers += it.Layers;
        }
        if (start < items.Length) groups.Add(new Group(start, items.Length));
        return groups;

        // The fewest column slices whose slice 0 fits a chip with the layer's pool (0 when even one column block per matrix does not).
        int SlicesFor(List<MatrixPlacement> ms)
        {
            var most = ms.Select(p => p.ColumnBlocks).DefaultIfEmpty(0).Max();
            var adcUm2 = AdcExtraUm2(ctx, ms);
            for (var n = 2; n <= most; n++)
            {
                long a = 0, m = 0;
                foreach (var p in ms)
                {
                    var c = ColumnSlice(p, 0, n).Count;
                    if (p.Target == ComputeTarget.Rram) a += c; else if (p.Target == ComputeTarget.Sram) m += c;
                }
                if (Fits(a, m, 1, adcUm2 / n)) return n;
            }
            return 0;
        }

        bool Fits(long a, long m, int l, double adcUm2)
        {
            var pool = ctx.AttentionPoolMacros(l);
            var tiles = TilesFor(hw, a, m + pool);
            if (hw.Chip.Tiles > 0 && tiles > hw.Chip.Tiles) return false;
            if (!(hw.Chip.MaxAreaSquareMillimetres > 0)) return true;
            var (area, _) = ChipArea(ctx, groups.Count, a, m, pool, tiles, start, l, multiChip, tileBytes, report: false, adcExtraUm2: adcUm2);
            return area.Sum(e => e.SquareMillimetres) <= hw.Chip.MaxAreaSquareMillimetres;
        }
    }

    /// <summary>A chip alone over a budget means one layer (or lm_head) is larger than a chip: reported once per budget.</summary>
    private static void CheckChipBudgets(MapContext ctx, List<ChipPlacement> chips, Item[] items)
    {
        var hw = ctx.Hw;
        string What(ChipPlacement c) => c.LayerSlices > 1 ? $"slice {c.LayerSlice + 1} of {c.LayerSlices} of layer {c.FirstLayer}"
            : c.Layers > 0 ? $"layer {c.FirstLayer}" + (c.HoldsLmHead ? " with lm_head" : "") : "lm_head";
        if (hw.Chip.Tiles > 0 && chips.FirstOrDefault(c => c.Tiles > hw.Chip.Tiles) is { } t)
            ctx.Problems.Add($"chip.tiles: {What(t)} alone needs {t.Tiles:N0} tiles ({t.RramArrays:N0} RRAM arrays, {t.SramMacros:N0} SRAM macros) but a chip has {hw.Chip.Tiles:N0}; not even one column block per matrix per chip fits ({chips.Count(c => c.Tiles > hw.Chip.Tiles)} of {chips.Count} chips over)");
        if (hw.Chip.MaxAreaSquareMillimetres > 0 && chips.FirstOrDefault(c => c.AreaSquareMillimetres > hw.Chip.MaxAreaSquareMillimetres * (1 + 1e-12)) is { } a)
            ctx.Problems.Add($"chip.max_area_mm2: {What(a)} alone needs {a.AreaSquareMillimetres:F2} mm2 on chip {a.Index} but the budget is {hw.Chip.MaxAreaSquareMillimetres:F2} mm2 per chip; not even one column block per matrix per chip fits ({chips.Count(c => c.AreaSquareMillimetres > hw.Chip.MaxAreaSquareMillimetres * (1 + 1e-12))} of {chips.Count} chips over)");
        _ = items;
    }

    /// <summary>Global buffer capacity of chip <paramref name="chip"/>: configured, or its need (activations, embedding on chip 0, KV of its layers).</summary>
    private static long GlobalBufferBytes(MapContext ctx, int chip, int firstLayer, int layers)
    {
        var hw = ctx.Hw;
        if (hw.Buffer.Sizing == BufferSizing.Configured) return hw.Buffer.CapacityBytes;
        var kv = hw.Mapping.KvCache == StorageTarget.Buffer ? ctx.KvBytes(firstLayer, layers) : 0;
        return Fixed(ctx, chip) + kv;
    }

    /// <summary>What a chip's global buffer holds besides the KV cache: activations, and the embedding table on chip 0 when buffered.</summary>
    private static long Fixed(MapContext ctx, int chip)
        => BufferNeeds.ActivationBytes(ctx.Model, ctx.Workload.Batch, ctx.Options.Precision.ActivationBits)
           + (chip == 0 && ctx.Hw.Mapping.Embedding == StorageTarget.Buffer ? ctx.EmbeddingBytes : 0);

    /// <summary>
    /// Area per component of one chip, from the device models' area per instance (<see cref="DeviceTables"/>, the
    /// same tables the report prices; buffers with sizing auto scaled by capacity), and the bytes its global buffer
    /// leaves for KV. Component names are the device models' (rram_array, adc, sram_cim, tile_buffer, ...).
    /// </summary>
    private static (List<AreaEntry> Area, long KvBytes) ChipArea(MapContext ctx, int chip, long arrays, long weightMacros, long poolMacros, long tiles, int firstLayer, int layers, bool multiChip, long tileBytes, bool report, long tileBufferBytesTotal = -1, double adcExtraUm2 = 0)
    {
        var hw = ctx.Hw;
        var d = ctx.Devices;
        var globalBytes = GlobalBufferBytes(ctx, chip, firstLayer, layers);
        var kvBytes = Math.Max(0, globalBytes - Fixed(ctx, chip));
        if (report && hw.Buffer.Sizing == BufferSizing.Configured && globalBytes < Fixed(ctx, chip))
        {
            var act = BufferNeeds.ActivationBytes(ctx.Model, ctx.Workload.Batch, ctx.Options.Precision.ActivationBits);
            ctx.Problems.Add(chip == 0 && hw.Mapping.Embedding == StorageTarget.Buffer && act <= globalBytes
                ? $"mapping.embedding: buffer: the embedding table needs {ctx.EmbeddingBytes:N0} bytes but the global buffer has {globalBytes - act:N0} free after {act:N0} bytes of activations (buffer.capacity_bytes)"
                : $"buffer.capacity_bytes: chip {chip} needs {act:N0} bytes for activations (2 x batch x (hidden + widest projection outputs), docs/mapping.md) but the global buffer holds {globalBytes:N0} (or set buffer.sizing: auto)");
        }
        var globalArea = hw.Buffer.Sizing == BufferSizing.Auto ? BufferNeeds.AreaSquareMillimetres(hw.Buffer, globalBytes) : d.GlobalBuffer.AreaSquareMillimetres;
        // auto: the tiles' buffers together (each its own need, or every tile at tileBytes while partitioning).
        var tileBuffersArea = hw.TileBuffer.Sizing == BufferSizing.Auto
            ? BufferNeeds.AreaSquareMillimetres(hw.TileBuffer, tileBufferBytesTotal >= 0 ? tileBufferBytesTotal : tiles * tileBytes)
            : tiles * d.TileBuffer.AreaSquareMillimetres;
        var rram = d.Rram;
        var macros = weightMacros + poolMacros;
        List<AreaEntry> area =
        [
            new(RramArrayModel.ArrayComponent, arrays, arrays * rram.CellArrayAreaSquareMicrometres * Um2ToMm2),
            new(RramArrayModel.DacComponent, arrays, arrays * rram.DacAreaSquareMicrometres * Um2ToMm2),
            new(RramArrayModel.AdcComponent, arrays, (arrays * (rram.AdcAreaSquareMicrometres + rram.SampleHoldAreaSquareMicrometres) + adcExtraUm2) * Um2ToMm2),
            new(RramArrayModel.ShiftAddComponent, arrays, arrays * rram.ShiftAddAreaSquareMicrometres * Um2ToMm2),
            new(SramCimMacroModel.Component, macros, macros * d.Sram.AreaSquareMicrometres * Um2ToMm2),
            new(BufferModel.GlobalBufferComponent, 1, globalArea),
            new(BufferModel.TileBufferComponent, tiles, tileBuffersArea),
            new(VectorUnitModel.Component, 1, d.Digital.AreaSquareMillimetres),
            new(DeviceTables.TileOverheadComponent, tiles, tiles * hw.Chip.TileOverheadAreaSquareMillimetres),
            new(InterconnectModel.LinkComponent, multiChip ? 1 : 0, multiChip ? hw.Interconnect.ChipToChipAreaSquareMillimetres : 0),
        ];
        return (area, kvBytes);
    }

    /// <summary>
    /// Activations crossing each cut of the chip chain (docs/mapping.md "Chips"): the residual stream (hidden x
    /// activation bits per token) over every cut between consecutive layers' home chips, and per logit token from the
    /// last layer's home to lm_head's last chip; and, inside a decoder layer split over S chips, the inputs each of its
    /// matrices' remote column slices need (once per producer, forwarded along the chain as far as its farthest slice)
    /// and the outputs each slice returns to the home chip. One entry per (cut, token count).
    /// </summary>
    private static List<ChipLink> CutLinks(MapContext ctx, List<Group> groups, Positioned final)
    {
        var links = new List<ChipLink>();
        if (groups.Count < 2) return links;
        var layers = ctx.Model.NumLayers;
        var graph = new OperatorGraph(ctx.Model, ctx.Lora, ctx.Workload, ctx.Options.Precision);
        long tokens = 0, logitTokens = 0;
        foreach (var s in graph.Steps)
        {
            tokens += (long)ctx.Workload.Batch * s.Tokens;
            logitTokens += (long)ctx.Workload.Batch * s.LogitTokens;
        }
        var act = (long)ctx.Options.Precision.ActivationBits;
        var cuts = groups.Count - 1;
        var perCut = new long[cuts];   // bits per token over all tokens
        var perLogit = new long[cuts]; // bits per logit token
        var home = new int[layers];
        for (var c = groups.Count - 1; c >= 0; c--)
            if (LayersOf(groups[c], layers) > 0)
                for (var l = groups[c].Start; l < Math.Min(groups[c].End, layers); l++) home[l] = c;
        var hidden = ctx.Model.HiddenSize * act;
        for (var l = 0; l < layers; l++)
            for (var c = l == 0 ? 0 : home[l - 1]; c < home[l]; c++) perCut[c] += hidden;
        var headLast = groups.FindLastIndex(g => g.End > layers);
        for (var c = home[layers - 1]; c < headLast; c++) perLogit[c] += hidden;
        // Inside split layers: producer inputs out to the farthest slice of their consumers, slice outputs back home.
        for (var l = 0; l < layers; l++)
        {
            var slices = groups[home[l]].Slices;
            if (!groups[home[l]].IsLayerSlice(layers)) continue;
            var layer = l;
            MatrixPlacement? At(OperatorKind kind, LinearModule m) => Of(final.W0, final.LoraA, final.LoraB, kind, layer, m);
            foreach (var tt in graph.LayerTemplate)
            {
                if (tt.Module is not { } m || At(tt.Kind, m) is not { ChipSpan: > 1 } p) continue;
                // Outputs of slices k .. S-1 cross the cut between slice k-1 and slice k.
                for (var k = 1; k < p.ChipSpan; k++)
                    for (var s2 = k; s2 < slices; s2++) perCut[home[l] + k - 1] += ColumnSlice(p, s2, slices).Outputs * act;
            }
            foreach (var (features, span) in ProducerSpans(graph, At))
                for (var k = 1; k < span; k++) perCut[home[l] + k - 1] += features * act;
        }
        for (var c = 0; c < cuts; c++)
        {
            if (perCut[c] > 0) links.Add(new ChipLink(c, c + 1, perCut[c], tokens));
            if (perLogit[c] > 0) links.Add(new ChipLink(c, c + 1, perLogit[c], logitTokens));
        }
        return links;
    }

    /// <summary>
    /// Inputs of layer <paramref name="l"/>'s split matrices, one per producer: (input features, the largest chip span
    /// among the matrices that read it). A projection and its LoRA A share their producer; LoRA B reads LoRA A's output.
    /// </summary>
    private static IEnumerable<(long Features, int Span)> ProducerSpans(OperatorGraph graph, Func<OperatorKind, LinearModule, MatrixPlacement?> at)
    {
        var spans = new Dictionary<int, (long Features, int Span)>();
        foreach (var tt in graph.LayerTemplate)
        {
            if (tt.Module is not { } m || at(tt.Kind, m) is not { } p) continue;
            var producer = tt.LocalDependencies[0];
            var span = spans.TryGetValue(producer, out var e) ? Math.Max(e.Span, p.ChipSpan) : p.ChipSpan;
            spans[producer] = (p.K, span);
        }
        return spans.Values.Where(v => v.Span > 1);
    }

    private static MatrixPlacement? Of(MatrixPlacement?[] w0, MatrixPlacement?[] loraA, MatrixPlacement?[] loraB, OperatorKind kind, int l, LinearModule m) => kind switch
    {
        OperatorKind.Projection => w0[l * LinearModules.Count + (int)m],
        OperatorKind.LoraA => loraA[l * LinearModules.Count + (int)m],
        OperatorKind.LoraB => loraB[l * LinearModules.Count + (int)m],
        _ => null,
    };

    private sealed record Positioned(MatrixPlacement?[] W0, MatrixPlacement?[] LoraA, MatrixPlacement?[] LoraB, MatrixPlacement LmHead, List<ChipUnits> Chips, long TileNeedBytes);

    private sealed record ChipUnits(long Arrays, long WeightMacros, long PoolMacros, long Tiles, MeshTopology Mesh, double AttentionHops, long TileNeedBytesSum);

    /// <summary>
    /// Numbers each chip's units from 0 in layer order (W0 on arrays; LoRA A, B on macros, then the attention pool),
    /// gives every matrix its chip, tiles and mean hops from the hub, and sizes the tile buffer from what each tile holds.
    /// </summary>
    private static Positioned Position(MapContext ctx, List<Group> groups, MatrixPlacement?[] w0, MatrixPlacement?[] loraA, MatrixPlacement?[] loraB, MatrixPlacement lmHead)
    {
        var hw = ctx.Hw;
        var layers = ctx.Model.NumLayers;
        var (w0o, ao, bo) = ((MatrixPlacement?[])w0.Clone(), (MatrixPlacement?[])loraA.Clone(), (MatrixPlacement?[])loraB.Clone());
        var head = lmHead;
        var chips = new List<ChipUnits>();
        long tileNeedBits = 0;
        var apt = hw.Rram.ArraysPerTile;
        var mpt = Math.Max(1, hw.SramCim.MacrosPerTile);
        for (var c = 0; c < groups.Count; c++)
        {
            var g = groups[c];
            // Count first: the mesh (and so every hop count) depends on the chip's tile count.
            long arrays = 0, macros = 0;
            var nLayers = LayersOf(g, layers);
            foreach (var p in Matrices(g))
            {
                var n = p.Role == MatrixRole.LmHead ? SliceUnits(p, g).Count : ColumnSlice(p, g.Slice, g.Slices).Count;
                if (p.Target == ComputeTarget.Rram) arrays += n; else if (p.Target == ComputeTarget.Sram) macros += n;
            }
            var pool = ctx.AttentionPoolMacros(nLayers);
            var tiles = TilesFor(hw, arrays, macros + pool);
            var mesh = MeshTopology.For(hw.Interconnect, tiles);
            var need = new long[tiles];
            long nextArray = 0, nextMacro = 0;
            MatrixPlacement Put(MatrixPlacement p, (int Offset, int Count) slice, long outputCrossings = 0)
            {
                if (p.Target == ComputeTarget.Digital) return slice.Offset > 0 ? p : p with { Chip = c };
                if (slice.Offset > 0 && slice.Count == 0) return p; // no columns on this chip
                var rram = p.Target == ComputeTarget.Rram;
                var first = (rram ? nextArray : nextMacro) - slice.Offset;   // unit 0 of the matrix, as if it started here
                var perTile = rram ? apt : mpt;
                if (rram) nextArray += slice.Count; else nextMacro += slice.Count;
                var (ft, lt) = ((first + slice.Offset) / perTile, (first + slice.Offset + slice.Count - 1) / perTile);
                double hopSum = 0;
                var rows = rram ? hw.Rram.Array.Rows : hw.SramCim.Rows;
                var blocksPerUnit = rram ? 1 : p.BlocksPerUnit;
                var weightBits = rram ? hw.Rram.Array.WeightBits : hw.SramCim.WeightBits;
                for (var t = ft; t <= lt; t++)
                {
                    var u0 = Math.Max(first + slice.Offset, t * perTile) - first;
                    var u1 = Math.Min(first + slice.Offset + slice.Count, (t + 1) * perTile) - first;
                    hopSum += (u1 - u0) * (double)mesh.HopsFromHub((int)t);
                    if (t >= need.Length) continue; // macros_per_tile 0: already a config problem
                    var (rb, cb) = BufferNeeds.Distinct(u0 * blocksPerUnit, Math.Min(u1 * blocksPerUnit, (long)p.RowBlocks * p.ColumnBlocks * p.Replication), p.RowBlocks, p.ColumnBlocks);
                    need[t] += BufferNeeds.TileBits(ctx.Workload.Batch, Math.Min(p.K, rb * rows), Math.Min(p.N, cb * p.OutputsPerUnit), ctx.Options.Precision.ActivationBits, weightBits, p.K);
                }
                if (slice.Offset > 0)
                {
                    // A later slice of a split matrix: keep slice 0's position, accumulate the unit-weighted hops.
                    return p with { Hops = p.Hops + hopSum / p.Units, ChipSpan = p.ChipSpan + 1, SliceOutputCrossings = p.SliceOutputCrossings + outputCrossings };
                }
                return p with { Chip = c, FirstUnit = (int)(first + slice.Offset), FirstTile = (int)ft, LastTile = (int)lt, Hops = hopSum / p.Units, ChipSpan = 1, SliceOutputCrossings = 0 };
            }
            for (var l = g.Start; l < Math.Min(g.End, layers); l++)
            {
                foreach (var m in LinearModules.All)
                {
                    var i = l * LinearModules.Count + (int)m;
                    if (w0o[i] is { } w) w0o[i] = PutSlice(w); // null: a module this model does not have
                    if (ao[i] is { } a) ao[i] = PutSlice(a);
                    if (bo[i] is { } b) bo[i] = PutSlice(b);
                }
            }
            if (g.End > layers) head = Put(head, g.IsLayerSlice(layers) ? (0, head.Units) : SliceUnits(head, g));

            // A decoder-layer matrix's column slice on this chip: its outputs travel back over g.Slice cuts to the home chip.
            MatrixPlacement PutSlice(MatrixPlacement p)
            {
                var (offset, count, outputs) = ColumnSlice(p, g.Slice, g.Slices);
                return g.Slice > 0 && count == 0 ? p : Put(p, (offset, count), (long)g.Slice * outputs);
            }
            // The pool exchanges Q, K/V, scores and probabilities with the hub at every step, so it takes the free macro
            // slots nearest the hub (the weight macros hold slots 0 .. nextMacro - 1 in tile order); ties by tile index.
            double poolHops = 0;
            var left = pool;
            foreach (var t in Enumerable.Range(0, (int)tiles).OrderBy(t => mesh.HopsFromHub(t)).ThenBy(t => t))
            {
                if (left == 0) break;
                var free = Math.Min(left, Math.Max(0, Math.Min(mpt, (long)(t + 1) * mpt - nextMacro)));
                poolHops += free * (double)mesh.HopsFromHub(t);
                left -= free;
            }
            chips.Add(new ChipUnits(arrays, macros, pool, tiles, mesh, pool > 0 ? poolHops / pool : 0, need.Sum(b => Tiling.CeilDiv(b, 8))));
            tileNeedBits = Math.Max(tileNeedBits, need.DefaultIfEmpty(0).Max());
        }
        return new Positioned(w0o, ao, bo, head, chips, Math.Max(1, Tiling.CeilDiv(tileNeedBits, 8)));

        // Slice s of S holds units [s x per, (s + 1) x per), per = ceil(units / S): mostly whole column blocks (units are column-block-major).
        static (int Offset, int Count) SliceUnits(MatrixPlacement p, Group g)
        {
            if (g.Slices == 1 || p.Units == 0) return (0, p.Units);
            var per = (int)Tiling.CeilDiv(p.Units, g.Slices);
            var offset = Math.Min(p.Units, g.Slice * per);
            return (offset, Math.Min(p.Units, offset + per) - offset);
        }

        IEnumerable<MatrixPlacement> Matrices(Group g)
        {
            for (var l = g.Start; l < Math.Min(g.End, layers); l++)
                for (var i = l * LinearModules.Count; i < (l + 1) * LinearModules.Count; i++)
                {
                    if (w0[i] is { } w) yield return w;
                    if (loraA[i] is { } a) yield return a;
                    if (loraB[i] is { } b) yield return b;
                }
            if (g.End > layers) yield return lmHead;
        }
    }
}
