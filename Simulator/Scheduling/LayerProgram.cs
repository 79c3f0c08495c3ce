using CimSim.Workloads.Graph;

namespace CimSim.Simulator.Scheduling;

/// <summary>What kind of work a task is, which decides its unit, its closed-form duration and its actions.</summary>
public enum TaskKind
{
    /// <summary>Token embedding lookup (a memory read).</summary>
    Embedding,
    /// <summary>A frozen W0 projection on RRAM crossbars.</summary>
    RramMatVec,
    /// <summary>LoRA down-projection x A on SRAM CIM.</summary>
    LoraA,
    /// <summary>LoRA up-projection (x A) B on SRAM CIM.</summary>
    LoraB,
    /// <summary>Writing the new K and V rows into the attention SRAM (the KV cache grows).</summary>
    KvWrite,
    /// <summary>QK^T over the KV cache.</summary>
    AttentionScore,
    /// <summary>Softmax(QK^T) V over the KV cache.</summary>
    AttentionValue,
    /// <summary>An element-wise or reduction op on the digital unit.</summary>
    Vector,
    /// <summary>Moving activations between tiles over the interconnect.</summary>
    Transfer,
    /// <summary>lm_head on the digital unit with weights streamed from off-chip memory.</summary>
    DigitalMatVec,
}

/// <summary>One node of the per-token dataflow, instantiated for every job (a prefill chunk or a decode step of one batch item).</summary>
public sealed record TaskTemplate
{
    public required int Id { get; init; }
    /// <summary>Operator name used in the per-operator breakdown (e.g. "q_proj", "q_proj.lora_A", "softmax").</summary>
    public required string Operator { get; init; }
    /// <summary>Decoder layer, or -1 for embedding / final norm / lm_head.</summary>
    public required int Layer { get; init; }
    public required TaskKind Kind { get; init; }
    /// <summary>Resource key (e.g. "rram/3/q_proj", "digital", "link"); tasks with the same key share the resource.</summary>
    public required string ResourceKey { get; init; }
    /// <summary>Resource class for the utilisation/stall report.</summary>
    public required string ResourceClass { get; init; }
    /// <summary>Input features (matrix ops) or elements per token (vector ops).</summary>
    public long In { get; init; }
    /// <summary>Output features (matrix ops).</summary>
    public long Out { get; init; }
    /// <summary>Digital ops per element (vector ops).</summary>
    public double OpsPerElement { get; init; }
    /// <summary>Bits per token moved (transfers, embedding, KV write).</summary>
    public long BitsPerToken { get; init; }
    /// <summary>Applies only to the last token of a job (lm_head: only the newest position needs logits).</summary>
    public bool LastTokenOnly { get; init; }
    /// <summary>Vector ops whose element count scales with the attended KV length (softmax).</summary>
    public bool ScalesWithKv { get; init; }
    /// <summary>Tasks of the same job that must finish first.</summary>
    public required int[] Dependencies { get; init; }
    /// <summary>Also waits for this task id of the previous job in the same sequence (causal KV of earlier chunks).</summary>
    public int? PreviousJobDependency { get; init; }

    /// <summary>Sliding-window layer's window W: its attention reads at most the last W KV entries (null: the whole cache).</summary>
    public long? AttentionWindow { get; init; }

    /// <summary>
    /// The KV work this task sees in a job of <paramref name="tokens"/> queries at positions L - tokens + 1 .. L:
    /// Σ min(p, W) over those positions and min(L, W), or the job's own sums without a window.
    /// </summary>
    public (long KvSum, long KvLength) Attended(long tokens, long kvSum, long kvLength)
    {
        if (AttentionWindow is not long w || kvLength <= w) return (kvSum, kvLength);
        long first = kvLength - tokens + 1, below = Math.Max(0, w - first + 1); // positions first .. w count themselves
        return (below * (first + w) / 2 + (tokens - below) * w, w);
    }
}

/// <summary>
/// The dataflow of one forward pass (all layers) as a DAG of task templates, built from the workloads'
/// <see cref="OperatorGraph"/>: every operator of its layer template becomes a task on the unit the mapping policy
/// names (W0 projections on RRAM, LoRA A/B on SRAM CIM concurrent with their projection and merged on the digital
/// unit, QK^T/PV on SRAM CIM or the digital unit, vector ops on the digital unit), and a transfer over the
/// interconnect is inserted wherever activations move to the tiles of a projection.
/// </summary>
public sealed class LayerProgram
{
    public LayerProgram(OperatorGraph graph, CimHardwareModel? hw = null)
    {
        var model = graph.Model;
        var shape = ShapeBuilder.Build(graph);
        var actBits = hw?.InputBits ?? graph.Precision.ActivationBits;
        var kvBits = hw?.KvBits ?? graph.Precision.KvBits;
        var attentionOnSram = hw?.AttentionOnSramCim ?? true;
        var embeddingOffChip = hw?.EmbeddingOffChip ?? true;
        var lmHeadOnRram = hw?.LmHeadOnRram ?? true;
        var t = new List<TaskTemplate>();
        int Add(string op, int layer, TaskKind kind, string key, string cls, int[] deps, long @in = 0, long @out = 0,
            double ops = 0, long bits = 0, bool last = false, bool kv = false, int? prev = null)
        {
            t.Add(new TaskTemplate
            {
                Id = t.Count, Operator = op, Layer = layer, Kind = kind, ResourceKey = key, ResourceClass = cls,
                In = @in, Out = @out, OpsPerElement = ops, BitsPerToken = bits, LastTokenOnly = last, ScalesWithKv = kv,
                Dependencies = deps, PreviousJobDependency = prev,
            });
            return t.Count - 1;
        }

        // A one-token, one-sequence view of the graph gives per-token dimensions and op counts.
        var probe = new StepShape(Phase.Decode, 1, 1, 1, 1);
        double OpsPerElement(in Operator op, double fallback) => op.M > 0 && op.N > 0 && op.Flops > 0 ? (double)op.Flops / (op.M * op.N) : fallback;
        var resident = Math.Clamp(hw?.AttentionLayersResident ?? int.MaxValue, 1, model.NumLayers);
        // Layers share the attention pool when fewer than all are resident: layer l uses slot l mod resident.
        string AttnKey(int layer) => attentionOnSram ? $"sram_attention/{layer % resident}" : "digital";
        var attnClass = attentionOnSram ? "sram_cim" : "digital";

        long? Window(int layer) => model.IsSlidingLayer(layer) ? model.SlidingWindow : null;

        var prevOut = Add("embedding", -1, TaskKind.Embedding, embeddingOffChip ? "dram" : "buffer", embeddingOffChip ? "dram" : "buffer", [], bits: (long)model.HiddenSize * actBits);
        var template = graph.LayerTemplate;
        for (var l = 0; l < model.NumLayers; l++)
        {
            var id = new int[template.Count];
            var transferOf = new Dictionary<int, int>();
            int Source(int local) => local == OperatorTemplate.LayerInput ? prevOut : id[local];
            // Activations travel to a projection's tiles once per producer, shared by every consumer (q, k, v and their LoRA A).
            int TransferFrom(int local, long features)
            {
                if (transferOf.TryGetValue(local, out var x)) return x;
                var name = local == OperatorTemplate.LayerInput ? "transfer.layer_input" : "transfer." + template[local].Name;
                x = Add(name, l, TaskKind.Transfer, "link", "interconnect", [Source(local)], bits: features * actBits);
                transferOf[local] = x;
                return x;
            }
            int ForKvWrite = -1;
            foreach (var tt in template)
            {
                var op = graph.GetLayerOperator(probe, l, tt.Index);
                var deps = tt.LocalDependencies.Select(Source).ToArray();
                var name = tt.Name;
                switch (tt.Kind)
                {
                    case OperatorKind.Projection:
                    {
                        var x = TransferFrom(tt.LocalDependencies[0], op.K);
                        id[tt.Index] = Add(name, l, TaskKind.RramMatVec, $"rram/{l}/{name}", "rram", [x], op.K, op.N);
                        break;
                    }
                    case OperatorKind.LoraA:
                    {
                        var x = TransferFrom(tt.LocalDependencies[0], op.K);
                        id[tt.Index] = op.M == 0 ? x : Add(name, l, TaskKind.LoraA, $"sram_lora/{l}/{name}", "sram_cim", [x], op.K, op.N);
                        break;
                    }
                    case OperatorKind.LoraB:
                        id[tt.Index] = op.M == 0 ? deps[0] : Add(name, l, TaskKind.LoraB, $"sram_lora/{l}/{name}", "sram_cim", deps, op.K, op.N);
                        break;
                    case OperatorKind.KvWrite:
                        id[tt.Index] = ForKvWrite = Add(name, l, TaskKind.KvWrite, AttnKey(l), attnClass, deps, bits: 2L * model.KeyValueDim * kvBits);
                        break;
                    case OperatorKind.AttentionScore:
                        id[tt.Index] = Add(name, l, TaskKind.AttentionScore, AttnKey(l), attnClass, deps, model.QueryDim, 1, prev: ForKvWrite);
                        t[^1] = t[^1] with { AttentionWindow = Window(l) };
                        break;
                    case OperatorKind.AttentionContext:
                        id[tt.Index] = Add(name, l, TaskKind.AttentionValue, AttnKey(l), attnClass, deps, model.QueryDim, 1);
                        t[^1] = t[^1] with { AttentionWindow = Window(l) };
                        break;
                    case OperatorKind.Softmax:
                        // exp, sum, divide and max per score: elements grow with the attended KV length.
                        id[tt.Index] = Add(name, l, TaskKind.Vector, "digital", "digital", deps, model.NumAttentionHeads, ops: 5, kv: true);
                        t[^1] = t[^1] with { AttentionWindow = Window(l) };
                        break;
                    case OperatorKind.RmsNorm:
                    case OperatorKind.Rope:
                    case OperatorKind.Silu:
                    case OperatorKind.GeluTanh:
                    case OperatorKind.Multiply:
                    case OperatorKind.ResidualAdd:
                    case OperatorKind.LoraMerge:
                        id[tt.Index] = op.M == 0 && tt.Kind == OperatorKind.LoraMerge
                            ? deps[0]
                            : Add(name, l, TaskKind.Vector, "digital", "digital", deps, op.N, ops: OpsPerElement(op, 1));
                        break;
                    default:
                        throw new InvalidOperationException($"operator kind {tt.Kind} has no schedule");
                }
            }
            prevOut = id[^1];
        }

        var normF = Add("final_norm", -1, TaskKind.Vector, "digital", "digital", [prevOut], model.HiddenSize, ops: 4, last: true);
        var xF = Add("transfer.lm_head_in", -1, TaskKind.Transfer, "link", "interconnect", [normF], bits: (long)model.HiddenSize * actBits, last: true);
        if (lmHeadOnRram)
            Add("lm_head", -1, TaskKind.RramMatVec, "rram/-1/lm_head", "rram", [xF], model.HiddenSize, model.VocabSize, last: true);
        else
            Add("lm_head", -1, TaskKind.DigitalMatVec, "digital", "digital", [xF], model.HiddenSize, model.VocabSize, last: true);
        Tasks = t;
        var succ = Enumerable.Range(0, t.Count).Select(_ => new List<int>()).ToArray();
        foreach (var task in t)
            foreach (var d in task.Dependencies) succ[d].Add(task.Id);
        Successors = succ.Select(x => x.ToArray()).ToArray();
        Shape = shape;
        Graph = graph;
    }

    public OperatorGraph Graph { get; }

    public TransformerShape Shape { get; }

    public IReadOnlyList<TaskTemplate> Tasks { get; }

    public int[][] Successors { get; }
}
