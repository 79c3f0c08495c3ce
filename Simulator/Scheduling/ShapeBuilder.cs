using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Simulator.Scheduling;

/// <summary>Translates the workloads' model and LoRA specs into the scheduler's <see cref="TransformerShape"/>.</summary>
public static class ShapeBuilder
{
    public static Projection ToProjection(LinearModule m) => m switch
    {
        LinearModule.QProj => Projection.Q,
        LinearModule.KProj => Projection.K,
        LinearModule.VProj => Projection.V,
        LinearModule.OProj => Projection.O,
        LinearModule.GateProj => Projection.Gate,
        LinearModule.UpProj => Projection.Up,
        LinearModule.DownProj => Projection.Down,
        LinearModule.QkvProj => Projection.Qkv,
        LinearModule.GateUpProj => Projection.GateUp,
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, null),
    };

    public static TransformerShape Build(ModelSpec model, LoraSpec? lora, int batch, int prompt, int generate) => new()
    {
        ModelName = model.Name,
        Hidden = model.HiddenSize,
        Layers = model.NumLayers,
        Heads = model.NumAttentionHeads,
        KvHeads = model.NumKeyValueHeads,
        HeadDim = model.HeadDim,
        Intermediate = model.IntermediateSize,
        Vocab = model.VocabSize,
        LoraRank = lora?.Rank ?? 0,
        LoraTargets = lora is null ? new HashSet<Projection>() : lora.ResolvedTargets(model).Select(ToProjection).ToHashSet(),
        Projections = model.Projections.Select(ToProjection).ToList(),
        Batch = batch,
        PromptTokens = prompt,
        GeneratedTokens = generate,
    };

    public static TransformerShape Build(OperatorGraph graph) =>
        Build(graph.Model, graph.Lora, graph.Workload.Batch, graph.Workload.PromptTokens, graph.Workload.GeneratedTokens);
}
