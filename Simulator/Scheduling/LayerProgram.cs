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
}

/// <summary>
/// The dataflow of one forward pass (all layers) as a DAG of task templates: the Llama decoder layer with the
/// RRAM path and the SRAM LoRA branch of each projection running concurrently and merging on the digital unit.
/// </summary>
public sealed class LayerProgram
{
    public LayerProgram(TransformerShape shape, CimHardwareModel? hw = null)
    {
        var actBits = hw?.InputBits ?? 8;
        var kvBits = hw?.KvBits ?? 8;
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

        var act = actBits;
        var h = shape.Hidden;
        string AttnKey(int layer) => attentionOnSram ? $"sram_attention/{layer}" : "digital";
        var attnClass = attentionOnSram ? "sram_cim" : "digital";
        var prevOut = Add("embedding", -1, TaskKind.Embedding, embeddingOffChip ? "dram" : "buffer", embeddingOffChip ? "dram" : "buffer", [], bits: (long)h * act);

        // One projection: RRAM W0 path || SRAM LoRA A -> B, merged on the digital unit.
        int Projection(Projection p, int layer, int input)
        {
            var name = TransformerShape.ProjectionName(p);
            var (i, o) = shape.Shape(p);
            var rram = Add(name, layer, TaskKind.RramMatVec, $"rram/{layer}/{name}", "rram", [input], i, o);
            if (!shape.HasLora(p)) return rram;
            var a = Add(name + ".lora_A", layer, TaskKind.LoraA, $"sram_lora/{layer}/{name}", "sram_cim", [input], i, shape.LoraRank);
            var b = Add(name + ".lora_B", layer, TaskKind.LoraB, $"sram_lora/{layer}/{name}", "sram_cim", [a], shape.LoraRank, o);
            return Add(name + ".lora_merge", layer, TaskKind.Vector, "digital", "digital", [rram, b], o, ops: 1);
        }

        for (var l = 0; l < shape.Layers; l++)
        {
            var norm1 = Add("input_layernorm", l, TaskKind.Vector, "digital", "digital", [prevOut], h, ops: 4);
            var x1 = Add("transfer.attn_in", l, TaskKind.Transfer, "link", "interconnect", [norm1], bits: (long)h * act);
            var q = Projection(Scheduling.Projection.Q, l, x1);
            var k = Projection(Scheduling.Projection.K, l, x1);
            var v = Projection(Scheduling.Projection.V, l, x1);
            var rope = Add("rope", l, TaskKind.Vector, "digital", "digital", [q, k], shape.QueryDim + shape.KvDim, ops: 3);
            var kvw = Add("kv_write", l, TaskKind.KvWrite, AttnKey(l), attnClass, [rope, v], bits: 2L * shape.KvDim * kvBits);
            // The kv_write of this job is task id kvw; the previous chunk's must be done before this chunk attends.
            var score = Add("attention.qk", l, TaskKind.AttentionScore, AttnKey(l), attnClass, [kvw], shape.QueryDim, 1, prev: kvw);
            var soft = Add("attention.softmax", l, TaskKind.Vector, "digital", "digital", [score], shape.Heads, ops: 5, kv: true);
            var pv = Add("attention.pv", l, TaskKind.AttentionValue, AttnKey(l), attnClass, [soft], shape.QueryDim, 1);
            var x2 = Add("transfer.attn_out", l, TaskKind.Transfer, "link", "interconnect", [pv], bits: (long)shape.QueryDim * act);
            var o = Projection(Scheduling.Projection.O, l, x2);
            var res1 = Add("residual_add.attn", l, TaskKind.Vector, "digital", "digital", [o], h, ops: 1);
            var norm2 = Add("post_attention_layernorm", l, TaskKind.Vector, "digital", "digital", [res1], h, ops: 4);
            var x3 = Add("transfer.mlp_in", l, TaskKind.Transfer, "link", "interconnect", [norm2], bits: (long)h * act);
            var gate = Projection(Scheduling.Projection.Gate, l, x3);
            var up = Projection(Scheduling.Projection.Up, l, x3);
            var silu = Add("silu_mul", l, TaskKind.Vector, "digital", "digital", [gate, up], shape.Intermediate, ops: 5);
            var x4 = Add("transfer.mlp_mid", l, TaskKind.Transfer, "link", "interconnect", [silu], bits: (long)shape.Intermediate * act);
            var down = Projection(Scheduling.Projection.Down, l, x4);
            prevOut = Add("residual_add.mlp", l, TaskKind.Vector, "digital", "digital", [down], h, ops: 1);
        }

        var normF = Add("final_norm", -1, TaskKind.Vector, "digital", "digital", [prevOut], h, ops: 4, last: true);
        var xF = Add("transfer.lm_head_in", -1, TaskKind.Transfer, "link", "interconnect", [normF], bits: (long)h * act, last: true);
        if (lmHeadOnRram)
            Add("lm_head", -1, TaskKind.RramMatVec, "rram/-1/lm_head", "rram", [xF], h, shape.Vocab, last: true);
        else
            Add("lm_head", -1, TaskKind.DigitalMatVec, "digital", "digital", [xF], h, shape.Vocab, last: true);
        Tasks = t;
        Successors = new int[t.Count][];
        var succ = Enumerable.Range(0, t.Count).Select(_ => new List<int>()).ToArray();
        foreach (var task in t)
            foreach (var d in task.Dependencies) succ[d].Add(task.Id);
        for (var i = 0; i < t.Count; i++) Successors[i] = succ[i].ToArray();
        Shape = shape;
    }

    public TransformerShape Shape { get; }

    public IReadOnlyList<TaskTemplate> Tasks { get; }

    public int[][] Successors { get; }
}
