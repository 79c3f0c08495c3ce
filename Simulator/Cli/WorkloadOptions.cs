using System.CommandLine;
using CimSim.Simulator.Reports;
using CimSim.Workloads.Models;

namespace CimSim.Simulator.Cli;

/// <summary>
/// The options that describe one simulation (hardware, overrides, model, workload, LoRA, GPU baseline), shared by
/// `simulate` and `sweep` so that both accept the same flags with the same defaults (those of <see cref="SimulationRequest"/>).
/// </summary>
public sealed class WorkloadOptions
{
    private static readonly SimulationRequest Defaults = new();

    public Option<string> Hardware { get; }
    public Option<string> Model { get; } = new("--model") { Description = $"Model preset ({string.Join(", ", ModelCatalog.PresetNames)}) or a directory holding config.json.", DefaultValueFactory = _ => Defaults.Model };
    public Option<int> Prompt { get; } = new("--prompt") { Description = "Prompt tokens per sequence.", DefaultValueFactory = _ => Defaults.PromptTokens };
    public Option<int> Generate { get; } = new("--generate") { Description = "Generated tokens per sequence.", DefaultValueFactory = _ => Defaults.GeneratedTokens };
    public Option<int> Batch { get; } = new("--batch") { Description = "Sequences processed together.", DefaultValueFactory = _ => Defaults.Batch };
    public Option<int> LoraRank { get; } = new("--lora-rank") { Description = "LoRA rank (0 = no LoRA).", DefaultValueFactory = _ => Defaults.LoraRank };
    public Option<string> LoraTargets { get; } = new("--lora-targets") { Description = "LoRA target projections (q,k,v,o,gate,up,down or all; on Phi-3 q,k,v resolve to the fused qkv and gate,up to gate_up, also nameable directly).", DefaultValueFactory = _ => Defaults.LoraTargets };
    public Option<string> Gpu { get; } = new("--gpu") { Description = "GPU baseline preset (a100-40gb, a100-80gb, h100-sxm, h200) or a GPU YAML file.", DefaultValueFactory = _ => Defaults.Gpu };
    public Option<int> PrefillChunk { get; } = new("--prefill-chunk") { Description = "Prompt tokens per prefill job (pipelining granularity across layers).", DefaultValueFactory = _ => Defaults.PrefillChunkTokens };
    public Option<string[]> Overrides { get; }

    /// <param name="hardwareDescription">How this command uses --hw.</param>
    /// <param name="overrideDescription">How this command applies -p overrides.</param>
    public WorkloadOptions(string hardwareDescription, string overrideDescription)
    {
        Hardware = new("--hw") { Description = hardwareDescription, DefaultValueFactory = _ => Defaults.HardwarePath };
        Overrides = new("--param", "-p") { Description = overrideDescription, DefaultValueFactory = _ => [] };
    }

    public IEnumerable<Option> All => [Hardware, Model, Prompt, Generate, Batch, LoraRank, LoraTargets, Gpu, PrefillChunk, Overrides];

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    public SimulationRequest ToRequest(ParseResult pr) => new()
    {
        HardwarePath = pr.GetValue(Hardware)!,
        Overrides = pr.GetValue(Overrides) ?? [],
        Model = pr.GetValue(Model)!,
        PromptTokens = pr.GetValue(Prompt),
        GeneratedTokens = pr.GetValue(Generate),
        Batch = pr.GetValue(Batch),
        LoraRank = pr.GetValue(LoraRank),
        LoraTargets = pr.GetValue(LoraTargets)!,
        Gpu = pr.GetValue(Gpu)!,
        PrefillChunkTokens = pr.GetValue(PrefillChunk),
    };
}
