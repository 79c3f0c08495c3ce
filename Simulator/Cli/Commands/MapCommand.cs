using System.CommandLine;
using CimSim.Common.IO;
using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Workloads.Models;
using Spectre.Console;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>
/// `cimsim map`: places a model (and its LoRA) on a hardware config and reports arrays, macros, tiles, utilisation,
/// area and parameters per memory, plus every reason it does not fit; writes DIR/mapping.json.
/// </summary>
public sealed class MapCommand : ICliCommand
{
    public int Order => 20;

    public Command Build()
    {
        var hw = new Option<string>("--hw") { Description = "Hardware config YAML.", DefaultValueFactory = _ => "hw-configs/default.yaml" };
        var param = new Option<string[]>("--param", "-p") { Description = "Override a hardware config key, e.g. -p rram.array.rows=128 (repeatable).", DefaultValueFactory = _ => [] };
        var model = new Option<string>("--model") { Description = $"Model preset ({string.Join(", ", ModelCatalog.PresetNames)}) or a directory holding config.json.", DefaultValueFactory = _ => ModelCatalog.DefaultPreset };
        var rank = new Option<int>("--lora-rank") { Description = "LoRA rank (0 = no LoRA).", DefaultValueFactory = _ => 4 };
        var targets = new Option<string>("--lora-targets") { Description = "LoRA target projections: q,k,v,o,gate,up,down (or HF names, or all).", DefaultValueFactory = _ => "q,k,v,up,down" };
        var alpha = new Option<double?>("--lora-alpha") { Description = "LoRA alpha (default 2 x rank)." };
        var adapter = new Option<string?>("--lora-config") { Description = "PEFT adapter directory or adapter_config.json (replaces the --lora-* flags)." };
        var prompt = new Option<int>("--prompt") { Description = "Prompt tokens per sequence.", DefaultValueFactory = _ => 512 };
        var generate = new Option<int>("--generate") { Description = "Generated tokens per sequence.", DefaultValueFactory = _ => 512 };
        var batch = new Option<int>("--batch") { Description = "Sequences processed together.", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out", "-o") { Description = "Output directory for mapping.json.", DefaultValueFactory = _ => "out/map" };
        var cmd = new Command("map",
            "Map a model and its LoRA onto the hardware: W0 on RRAM crossbars, LoRA on SRAM CIM macros, KV cache in buffers; print arrays, macros, tiles, utilisation, area and parameters per memory, and every reason it does not fit; write DIR/mapping.json.\n" +
            "Example: cimsim map --hw hw-configs/default.yaml --model llama-3.2-1b --lora-rank 4 --lora-targets q,k,v,up,down --prompt 512 --generate 512 --out out/map")
        {
            hw, param, model, rank, targets, alpha, adapter, prompt, generate, batch, output,
        };
        cmd.SetAction(pr =>
        {
            var spec = HardwareConfigLoader.Load(pr.GetValue(hw)!, pr.GetValue(param));
            var m = ModelCatalog.Resolve(pr.GetValue(model)!);
            OutputLocation.CheckDirectory(pr.GetValue(output)!, "--out");
            LoraSpec? lora = pr.GetValue(adapter) is { Length: > 0 } a
                ? LoraSpec.FromPeftConfig(a)
                : pr.GetValue(rank) == 0 ? null : LoraSpec.FromFlags(pr.GetValue(rank), pr.GetValue(targets)!, pr.GetValue(alpha));
            var workload = new WorkloadSpec(pr.GetValue(batch), pr.GetValue(prompt), pr.GetValue(generate)).Validated(m.MaxPositionEmbeddings);
            var result = Mapper.Map(spec, m, lora, workload);
            var dir = pr.GetValue(output)!;
            MappingJson.Write(result, Path.Combine(dir, "mapping.json"));
            Print(result, AnsiConsole.Console);
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(Path.Combine(dir, "mapping.json"))}[/]");
            return 0;
        });
        return cmd;
    }

    internal static void Print(MappingResult r, IAnsiConsole console)
    {
        var a = r.Hardware.Rram.Array;
        var t = new Table().Title($"Mapping of {Markup.Escape(r.Model.Name)} on {Markup.Escape(r.Hardware.Name)}").AddColumn("quantity").AddColumn(new TableColumn("value").RightAligned());
        void Row(string k, string v) => t.AddRow(Markup.Escape(k), Markup.Escape(v));
        Row("parameters, total", $"{r.ParamsTotal:N0}");
        Row("parameters on RRAM", $"{r.ParamsRram:N0}");
        Row("parameters on SRAM CIM", $"{r.ParamsSram:N0}");
        Row("parameters elsewhere (embedding, norms, biases)", $"{r.ParamsOther:N0}");
        Row($"RRAM arrays ({a.Rows}x{a.Cols}, {a.CellsPerWeight} cell(s)/weight, {a.Encoding})", $"{r.RramArrays:N0}");
        Row("RRAM cell utilisation", $"{r.RramUtilisation:P1}");
        Row("SRAM CIM macros (weights + attention)", $"{r.SramWeightMacros:N0} + {r.SramAttentionMacros:N0}");
        Row("SRAM weight-cell utilisation", $"{r.SramUtilisation:P1}");
        Row("tiles / chips", $"{r.Tiles:N0} / {r.Chips:N0}");
        foreach (var c in r.ChipList.Where(_ => r.Chips is > 1 and <= 16))
            Row($"chip {c.Index}: {(c.Layers > 1 ? $"layers {c.FirstLayer}-{c.LastLayer}" : c.Layers == 1 ? $"layer {c.FirstLayer}" : "")}{(c.HoldsLmHead ? (c.Layers > 0 ? " + " : "") + "lm_head" : "")}",
                $"{c.Tiles:N0} tiles ({c.Mesh.Columns}x{c.Mesh.Rows} mesh), {c.AreaSquareMillimetres:F1} mm2");
        if (r.Chips > 16) Row("chips: most layers on one chip / largest chip", $"{r.ChipList.Max(c => c.Layers)} / {r.ChipList.Max(c => c.AreaSquareMillimetres):F1} mm2");
        if (r.ChipLinks.Count > 0) Row("chip-to-chip link traffic", $"{r.ChipLinkBits:N0} bits over {r.ChipLinks.Count} cut(s)");
        Row("tile buffer (needed)", $"{r.TileBufferBytes:N0} B ({r.TileBufferBytesNeeded:N0} B)");
        if (r.Work.NocBits > 0) Row("mesh hops per activation bit (mean)", $"{r.Work.AverageHops:F2}");
        Row("lm_head", r.LmHead.Target.ToString());
        Row("attention (QK^T, PV)", r.Attention.ToString());
        Row("KV cache", $"{r.KvCache.Target}: {r.KvCache.TotalBytes:N0} B, {r.KvCache.OnChipTokens:N0} of {r.KvCache.MaxKvLength:N0} positions on chip");
        Row("embedding table", $"{r.Embedding}: {r.EmbeddingBytes:N0} B");
        foreach (var e in r.Area.Where(e => e.SquareMillimetres > 0)) Row($"area {e.Component} ({e.Count:N0})", $"{e.SquareMillimetres:F3} mm2");
        Row("area, total", $"{r.AreaSquareMillimetres:F3} mm2");
        Row("MACs on RRAM / SRAM / attention / digital", $"{r.Work.RramMacs:N0} / {r.Work.SramMacs:N0} / {r.Work.AttentionMacs:N0} / {r.Work.DigitalMacs:N0}");
        console.Write(t);
        foreach (var w in r.Warnings) console.MarkupLine("[yellow]warning:[/] " + Markup.Escape(w));
        if (r.Fits) console.MarkupLine("[green]fits the configured budgets[/]");
        else
        {
            console.MarkupLine("[red]does not fit:[/]");
            foreach (var p in r.Problems) console.MarkupLine("  - " + Markup.Escape(p));
        }
    }
}
