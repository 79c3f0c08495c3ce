using System.Text;
using System.Text.Json;
using CimSim.Common.IO;
using CimSim.Workloads.Models;

namespace CimSim.Mapping;

/// <summary>Writes a <see cref="MappingResult"/> as mapping.json (keys documented in docs/mapping.md).</summary>
public static class MappingJson
{
    public static void Write(MappingResult r, string path) => AtomicFile.WriteAllText(path, ToJson(r));

    public static string ToJson(MappingResult r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            var a = r.Hardware.Rram.Array;
            w.WriteStartObject();
            w.WriteString("hardware", r.Hardware.Name);
            w.WriteStartObject("model");
            w.WriteString("name", r.Model.Name);
            w.WriteString("model_type", r.Model.ModelType);
            w.WriteNumber("layers", r.Model.NumLayers);
            w.WriteNumber("hidden_size", r.Model.HiddenSize);
            w.WriteEndObject();
            if (r.Lora is { } lora)
            {
                w.WriteStartObject("lora");
                w.WriteNumber("rank", lora.Rank);
                w.WriteNumber("alpha", lora.Alpha);
                w.WriteString("targets", string.Join(",", lora.Targets.Select(t => t.ShortName())));
                w.WriteNumber("params", lora.ParameterCount(r.Model));
                w.WriteEndObject();
            }
            else w.WriteNull("lora");
            w.WriteStartObject("workload");
            w.WriteNumber("batch", r.Workload.Batch);
            w.WriteNumber("prompt_tokens", r.Workload.PromptTokens);
            w.WriteNumber("generated_tokens", r.Workload.GeneratedTokens);
            w.WriteNumber("max_kv_length", r.Workload.MaxKvLength);
            w.WriteEndObject();

            w.WriteStartObject("params");
            w.WriteNumber("total", r.ParamsTotal);
            w.WriteNumber("rram", r.ParamsRram);
            w.WriteNumber("sram", r.ParamsSram);
            w.WriteNumber("other", r.ParamsOther);
            w.WriteEndObject();

            w.WriteStartObject("rram");
            w.WriteNumber("arrays", r.RramArrays);
            w.WriteNumber("rows", a.Rows);
            w.WriteNumber("cols", a.Cols);
            w.WriteNumber("cells_per_weight", a.CellsPerWeight);
            w.WriteNumber("reference_columns", Tiling.ReferenceColumns(a));
            w.WriteNumber("replication", a.Replication);
            w.WriteNumber("utilisation", r.RramUtilisation);
            w.WriteEndObject();

            w.WriteStartObject("sram");
            w.WriteNumber("macros", r.SramMacros);
            w.WriteNumber("weight_macros", r.SramWeightMacros);
            w.WriteNumber("attention_macros", r.SramAttentionMacros);
            w.WriteNumber("utilisation", r.SramUtilisation);
            w.WriteEndObject();

            w.WriteNumber("tiles", r.Tiles);
            w.WriteNumber("chips", r.Chips);
            w.WriteNumber("utilisation", r.RramUtilisation);
            w.WriteNumber("area_mm2", r.AreaSquareMillimetres);
            w.WriteStartObject("area_breakdown_mm2");
            foreach (var e in r.Area) w.WriteNumber(e.Component, e.SquareMillimetres);
            w.WriteEndObject();

            w.WriteString("attention", r.Attention.ToString().ToLowerInvariant());
            w.WriteStartObject("embedding");
            w.WriteString("target", r.Embedding.ToString().ToLowerInvariant());
            w.WriteNumber("bytes", r.EmbeddingBytes);
            w.WriteEndObject();
            var kv = r.KvCache;
            w.WriteStartObject("kv_cache");
            w.WriteString("target", kv.Target.ToString().ToLowerInvariant());
            w.WriteNumber("total_bytes", kv.TotalBytes);
            w.WriteNumber("bytes_per_token_per_layer", kv.BytesPerTokenPerLayer);
            w.WriteNumber("on_chip_tokens", kv.OnChipTokens);
            w.WriteNumber("on_chip_bytes", kv.OnChipBytes);
            w.WriteNumber("spilled_bytes", kv.SpilledBytes);
            w.WriteEndObject();

            var wk = r.Work;
            w.WriteStartObject("work");
            w.WriteNumber("rram_macs", wk.RramMacs);
            w.WriteNumber("sram_macs", wk.SramMacs);
            w.WriteNumber("attention_macs", wk.AttentionMacs);
            w.WriteNumber("digital_macs", wk.DigitalMacs);
            w.WriteNumber("digital_vector_flops", wk.DigitalVectorFlops);
            w.WriteNumber("dram_bytes_read", wk.DramBytesRead);
            w.WriteNumber("dram_bytes_written", wk.DramBytesWritten);
            w.WriteEndObject();

            w.WriteBoolean("fits", r.Fits);
            w.WriteStartArray("problems");
            foreach (var p in r.Problems) w.WriteStringValue(p);
            w.WriteEndArray();

            w.WriteStartArray("placements");
            foreach (var p in r.AllPlacements)
            {
                w.WriteStartObject();
                w.WriteString("role", p.Role.ToString());
                w.WriteNumber("layer", p.Layer);
                if (p.Module is { } m) w.WriteString("module", m.HfName());
                w.WriteString("target", p.Target.ToString().ToLowerInvariant());
                w.WriteNumber("k", p.K);
                w.WriteNumber("n", p.N);
                w.WriteNumber("row_blocks", p.RowBlocks);
                w.WriteNumber("column_blocks", p.ColumnBlocks);
                w.WriteNumber("blocks_per_unit", p.BlocksPerUnit);
                w.WriteNumber("units", p.Units);
                w.WriteNumber("first_unit", p.FirstUnit);
                w.WriteNumber("first_tile", p.FirstTile);
                w.WriteNumber("last_tile", p.LastTile);
                w.WriteNumber("utilisation", Math.Round(p.Utilisation, 6));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }
}
