using System.Text.Json;
using System.Text.Json.Serialization;
using CimSim.Common.IO;
using CimSim.Devices.Config;
using CimSim.Workloads.Models;

namespace CimSim.Mapping;

/// <summary>
/// Writes a <see cref="MappingResult"/> as mapping.json (keys documented in docs/mapping.md) through System.Text.Json
/// source generation: the records below are the schema; property names become snake_case keys.
/// </summary>
public static class MappingJson
{
    public static void Write(MappingResult r, string path) => AtomicFile.WriteAllText(path, ToJson(r));

    public static string ToJson(MappingResult r) => JsonSerializer.Serialize(ToDocument(r), MappingJsonContext.Default.MappingDocument) + "\n";

    /// <summary>The JSON schema of mapping.json, exported from the same records (published as docs/mapping.schema.json).</summary>
    public static string Schema() => JsonSchemaExport.Export(MappingJsonContext.Default.MappingDocument,
        "CimSim mapping (mapping.json)",
        "Written by `cimsim map`; generated from Mapping/MappingJson.cs (keys explained in docs/mapping.md).");

    private static string Lower(Enum e) => e.ToString().ToLowerInvariant();

    /// <summary>The document record of a mapping (what mapping.json holds).</summary>
    public static MappingDocument ToDocument(MappingResult r)
    {
        var a = r.Hardware.Rram.Array;
        var kv = r.KvCache;
        var wk = r.Work;
        return new MappingDocument(
            r.Hardware.Name,
            new ModelDocument(r.Model.Name, r.Model.ModelType, r.Model.NumLayers, r.Model.HiddenSize),
            r.Lora is { } lora ? new LoraDocument(lora.Rank, lora.Alpha, string.Join(",", lora.Targets.Select(t => t.ShortName())), lora.ParameterCount(r.Model)) : null,
            new WorkloadDocument(r.Workload.Batch, r.Workload.PromptTokens, r.Workload.GeneratedTokens, r.Workload.MaxKvLength),
            new ParamsDocument(r.ParamsTotal, r.ParamsRram, r.ParamsSram, r.ParamsOther),
            new RramDocument(r.RramArrays, a.Rows, a.Cols, a.CellsPerWeight, Tiling.ReferenceColumns(a), a.Replication, r.RramUtilisation),
            new SramDocument(r.SramMacros, r.SramWeightMacros, r.SramAttentionMacros, r.SramUtilisation),
            r.Tiles,
            r.Chips,
            r.RramUtilisation,
            r.AreaSquareMillimetres,
            r.Area.ToDictionary(e => e.Component, e => e.SquareMillimetres),
            Lower(r.Attention),
            new EmbeddingDocument(Lower(r.Embedding), r.EmbeddingBytes),
            new KvCacheDocument(Lower(kv.Target), kv.TotalBytes, kv.BytesPerTokenPerLayer, kv.OnChipTokens, kv.OnChipBytes, kv.SpilledBytes),
            new WorkDocument(wk.RramMacs, wk.SramMacs, wk.AttentionMacs, wk.DigitalMacs, wk.DigitalVectorFlops, wk.DramBytesRead, wk.DramBytesWritten, wk.NocBits, wk.NocBitHops, wk.AverageHops),
            new BuffersDocument(r.TileBufferBytes, r.TileBufferBytesNeeded, ConfigSchema.EnumToYaml(r.Hardware.TileBuffer.Sizing), ConfigSchema.EnumToYaml(r.Hardware.Buffer.Sizing)),
            r.ChipList.Select(c => new ChipDocument(c.Index, c.FirstLayer, c.LastLayer, c.HoldsLmHead, c.RramArrays, c.SramWeightMacros, c.SramAttentionMacros,
                c.Tiles, c.Mesh.Columns, c.Mesh.Rows, c.GlobalBufferBytes, c.KvBufferBytes, c.AreaSquareMillimetres,
                c.Area.ToDictionary(e => e.Component, e => e.SquareMillimetres))).ToList(),
            r.ChipLinks.Select(l => new ChipLinkDocument(l.From, l.To, l.BitsPerToken, l.Tokens, l.Bits)).ToList(),
            r.Fits,
            r.Problems,
            r.Warnings,
            r.AllPlacements.Select(p => new PlacementDocument(p.Role.ToString(), p.Layer, p.Module?.HfName(), p.Name, Lower(p.Target), p.K, p.N,
                p.RowBlocks, p.ColumnBlocks, p.BlocksPerUnit, p.Units, p.Chip, p.ChipSpan, p.FirstUnit, p.FirstTile, p.LastTile, Math.Round(p.Hops, 6),
                Math.Round(p.Utilisation, 6), p.AdcBits)).ToList());
    }
}

#pragma warning disable SA1402 // the schema records of one document belong together
public sealed record MappingDocument(
    string Hardware, ModelDocument Model, LoraDocument? Lora, WorkloadDocument Workload, ParamsDocument Params, RramDocument Rram, SramDocument Sram,
    long Tiles, long Chips, double Utilisation, double AreaMm2, Dictionary<string, double> AreaBreakdownMm2, string Attention,
    EmbeddingDocument Embedding, KvCacheDocument KvCache, WorkDocument Work, BuffersDocument Buffers, List<ChipDocument> ChipList,
    List<ChipLinkDocument> ChipLinks, bool Fits, IReadOnlyList<string> Problems, IReadOnlyList<string> Warnings, List<PlacementDocument> Placements);

public sealed record ModelDocument(string Name, string ModelType, int Layers, int HiddenSize);

public sealed record LoraDocument(int Rank, double Alpha, string Targets, long Params);

public sealed record WorkloadDocument(int Batch, int PromptTokens, int GeneratedTokens, int MaxKvLength);

public sealed record ParamsDocument(long Total, long Rram, long Sram, long Other);

public sealed record RramDocument(long Arrays, int Rows, int Cols, int CellsPerWeight, int ReferenceColumns, int Replication, double Utilisation);

public sealed record SramDocument(long Macros, long WeightMacros, long AttentionMacros, double Utilisation);

public sealed record EmbeddingDocument(string Target, long Bytes);

public sealed record KvCacheDocument(string Target, long TotalBytes, long BytesPerTokenPerLayer, int OnChipTokens, long OnChipBytes, long SpilledBytes);

public sealed record WorkDocument(long RramMacs, long SramMacs, long AttentionMacs, long DigitalMacs, long DigitalVectorFlops, long DramBytesRead, long DramBytesWritten,
    long NocBits, double NocBitHops, double AverageHops);

public sealed record BuffersDocument(long TileBytes, long TileBytesNeeded, string TileSizing, string GlobalSizing);

public sealed record ChipDocument(int Index, int FirstLayer, int LastLayer, bool HoldsLmHead, long RramArrays, long SramWeightMacros, long SramAttentionMacros,
    long Tiles, int MeshCols, int MeshRows, long GlobalBufferBytes, long KvBufferBytes, double AreaMm2, Dictionary<string, double> AreaBreakdownMm2);

public sealed record ChipLinkDocument(int From, int To, long BitsPerToken, long Tokens, long Bits);

public sealed record PlacementDocument(
    string Role, int Layer, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Module, string Name, string Target, int K, int N,
    int RowBlocks, int ColumnBlocks, int BlocksPerUnit, int Units, int Chip, int ChipSpan, int FirstUnit, int FirstTile, int LastTile, double Hops, double Utilisation,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? AdcBits);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MappingDocument))]
internal sealed partial class MappingJsonContext : JsonSerializerContext;
