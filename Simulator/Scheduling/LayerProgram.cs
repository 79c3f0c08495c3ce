using CimSim.Devices.Config;
using CimSim.Devices.Digital;
using CimSim.Workloads.Graph;

namespace CimSim.Simulator.Scheduling;

/// <summary>What kind of work a task is, which decides its unit, its closed-form duration and its actions.</summary>
public enum TaskKind
{
    /// <summary>Token embedding lookup (a memory read).</summary>
    Embedding,
    /// <summary>A static matrix (W0, LoRA or lm_head) placed on RRAM crossbars.</summary>
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
    /// <summary>A static matrix placed on the digital unit, its weights streamed from off-chip memory.</summary>
    DigitalMatVec,
    /// <summary>A W0 projection or lm_head placed on SRAM CIM macros.</summary>
    SramMatVec,
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
    /// <summary>FLOPs per element (vector ops; the GPU baseline's count).</summary>
    public double OpsPerElement { get; init; }
    /// <summary>What the digital unit runs (vector ops), decomposed into primitives by its device model.</summary>
    public VectorOp? VectorOp { get; init; }
    /// <summary>Macros (SRAM) the placed matrix occupies (from the mapping); its MACs spread over them.</summary>
    public long Units { get; init; } = 1;
    /// <summary>ADC resolution of an RRAM matrix whose placement a mapping.adc_bits glob matched (null: rram.adc.bits).</summary>
    public int? AdcBits { get; init; }
    /// <summary>Hops of a transfer (from the placement's tile coordinates); null = the mesh average of the hardware model.</summary>
    public double? Hops { get; init; }
    /// <summary>Chip-to-chip link crossings of a transfer (multi-chip mappings): each bit crossing is one `link.bit`.</summary>
    public int LinkCrossings { get; init; }
    /// <summary>Bits per token moved (transfers, embedding, KV write).</summary>
    public long BitsPerToken { get; init; }
    /// <summary>Bits a transfer moves per attended KV position of its query tokens (attention scores and probabilities).</summary>
    public long BitsPerAttendedPosition { get; init; }
    /// <summary>A transfer that also carries the K/V rows reloaded into a shared attention pool (<see cref="CimCostModel.KvReloadBits"/>).</summary>
    public bool CarriesKvReload { get; init; }
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
/// <see cref="OperatorGraph"/>: every static matrix becomes a task on the unit its <see cref="Mapping.MatrixPlacement"/>
/// names (RRAM crossbars, SRAM CIM macros, or the digital unit streaming from DRAM); LoRA A/B run concurrently with
/// their projection and merge on the digital unit; QK^T/PV on SRAM CIM or the digital unit; vector ops on the
/// digital unit; a transfer over the interconnect is inserted wherever activations move to a matrix's tiles.
/// Without a hardware model (the GPU baseline's view) every matrix takes the default placement.
/// </summary>
public sealed class LayerProgram
{
    public LayerProgram(OperatorGraph graph, CimHardwareModel? hw = null)
    {
        var b = new Builder(graph, hw);
        var prevOut = b.Embedding();
        for (var l = 0; l < graph.Model.NumLayers; l++) prevOut = b.Layer(l, prevOut);
        b.Head(prevOut);
        Tasks = b.Tasks;
        var succ = Enumerable.Range(0, Tasks.Count).Select(_ => new List<int>()).ToArray();
        foreach (var task in Tasks)
            foreach (var d in task.Dependencies) succ[d].Add(task.Id);
        Successors = succ.Select(x => x.ToArray()).ToArray();
        Shape = ShapeBuilder.Build(graph);
        Graph = graph;
    }

    public OperatorGraph Graph { get; }

    public TransformerShape Shape { get; }

    public IReadOnlyList<TaskTemplate> Tasks { get; }

    public int[][] Successors { get; }

    /// <summary>The vector op the digital unit runs for an operator kind (its primitives are the device model's).</summary>
    public static VectorOp VectorOpOf(OperatorKind k) => k switch
    {
        OperatorKind.Softmax => Devices.Digital.VectorOp.Softmax,
        OperatorKind.RmsNorm => Devices.Digital.VectorOp.RmsNorm,
        OperatorKind.Silu => Devices.Digital.VectorOp.Silu,
        OperatorKind.GeluTanh => Devices.Digital.VectorOp.GeluTanh,
        OperatorKind.Rope => Devices.Digital.VectorOp.Rope,
        OperatorKind.Multiply => Devices.Digital.VectorOp.Mul,
        OperatorKind.ResidualAdd or OperatorKind.LoraMerge => Devices.Digital.VectorOp.Add,
        _ => throw new ArgumentOutOfRangeException(nameof(k), k, "not a vector operator"),
    };

    /// <summary>Adds tasks concern by concern: embedding, one decoder layer (matrices, attention, vector ops), the head.</summary>
    private sealed class Builder(OperatorGraph graph, CimHardwareModel? hw)
    {
        private readonly int _actBits = hw?.InputBits ?? graph.Precision.ActivationBits;
        private readonly int _kvBits = hw?.KvBits ?? graph.Precision.KvBits;
        private readonly bool _attentionOnSram = hw?.AttentionOnSramCim ?? true;
        private readonly int _resident = Math.Clamp(hw?.AttentionLayersResident ?? int.MaxValue, 1, graph.Model.NumLayers);
        // A one-token, one-sequence view of the graph gives per-token dimensions and op counts.
        private readonly StepShape _probe = new(Phase.Decode, 1, 1, 1, 1);

        public List<TaskTemplate> Tasks { get; } = [];

        private int Add(TaskTemplate t)
        {
            Tasks.Add(t with { Id = Tasks.Count });
            return Tasks.Count - 1;
        }

        /// <summary>Marks task <paramref name="id"/> as reading at most the last <paramref name="window"/> KV entries.</summary>
        private int Windowed(int id, long? window)
        {
            if (window is not null) Tasks[id] = Tasks[id] with { AttentionWindow = window };
            return id;
        }

        /// <summary>
        /// A transfer of <paramref name="bitsPerToken"/> over the on-chip mesh (`link`, <paramref name="hops"/>) or the
        /// chip-to-chip link (`chip_link`), crossing <paramref name="crossings"/> chip cuts.
        /// </summary>
        private int Transfer(string op, int layer, string key, long bitsPerToken, int[] deps, double? hops, int crossings, bool last = false) =>
            Add(new TaskTemplate
            {
                Id = 0,
                Operator = op,
                Layer = layer,
                Kind = TaskKind.Transfer,
                ResourceKey = key,
                ResourceClass = "interconnect",
                BitsPerToken = bitsPerToken,
                LastTokenOnly = last,
                Dependencies = deps,
                Hops = hops,
                LinkCrossings = crossings,
            });

        private int Add(string op, int layer, TaskKind kind, string key, string cls, int[] deps, long @in = 0, long @out = 0, long bits = 0, bool last = false, long units = 1) =>
            Add(new TaskTemplate
            {
                Id = 0,
                Operator = op,
                Layer = layer,
                Kind = kind,
                ResourceKey = key,
                ResourceClass = cls,
                In = @in,
                Out = @out,
                BitsPerToken = bits,
                Units = units,
                LastTokenOnly = last,
                Dependencies = deps,
            });

        public int Embedding()
        {
            var offChip = hw?.EmbeddingOffChip ?? true;
            var unit = offChip ? "dram" : "buffer";
            return Add("embedding", -1, TaskKind.Embedding, unit, unit, [], bits: (long)graph.Model.HiddenSize * _actBits);
        }

        /// <summary>Default placement without a mapping: W0 and lm_head on RRAM, LoRA on SRAM.</summary>
        private (ComputeTarget Target, long Units, int? AdcBits) PlacementOf(in Operator op)
        {
            var p = hw?.Mapping.PlacementOf(op);
            if (p is not null) return (p.Target, Math.Max(1, p.Units), p.AdcBits);
            return (op.Kind is OperatorKind.LoraA or OperatorKind.LoraB ? ComputeTarget.Sram : ComputeTarget.Rram, 1, null);
        }

        /// <summary>A static matrix on the unit its placement names.</summary>
        private int Matrix(in Operator op, string name, int layer, int[] deps, bool last = false)
        {
            var (target, units, adcBits) = PlacementOf(op);
            var (kind, key, cls) = target switch
            {
                ComputeTarget.Rram => (TaskKind.RramMatVec, $"rram/{layer}/{name}", "rram"),
                ComputeTarget.Sram => (op.Kind switch { OperatorKind.LoraA => TaskKind.LoraA, OperatorKind.LoraB => TaskKind.LoraB, _ => TaskKind.SramMatVec },
                    $"sram/{layer}/{name}", "sram_cim"),
                _ => (TaskKind.DigitalMatVec, "digital", "digital"),
            };
            var id = Add(name, layer, kind, key, cls, deps, op.K, op.N, last: last, units: units);
            if (kind == TaskKind.RramMatVec && adcBits is not null) Tasks[id] = Tasks[id] with { AdcBits = adcBits };
            return id;
        }

        private int Vector(in Operator op, string name, int layer, int[] deps, long elements, bool kv = false, bool last = false) =>
            Add(new TaskTemplate
            {
                Id = 0,
                Operator = name,
                Layer = layer,
                Kind = TaskKind.Vector,
                ResourceKey = "digital",
                ResourceClass = "digital",
                In = elements,
                OpsPerElement = op.M > 0 && op.N > 0 && op.Flops > 0 ? (double)op.Flops / (op.M * op.N) : 1,
                VectorOp = VectorOpOf(op.Kind),
                ScalesWithKv = kv,
                LastTokenOnly = last,
                Dependencies = deps,
            });

        public int Layer(int l, int prevOut)
        {
            var template = graph.LayerTemplate;
            var model = graph.Model;
            var id = new int[template.Count];
            var transferOf = new Dictionary<int, int>();
            // The first layer of a chip receives the residual stream over the chip-to-chip link (pipeline cut), hub to hub.
            if (Crossings(l - 1, l) is var crossings and > 0)
            {
                prevOut = ChipLinkTransfer(l, "transfer.chip_link", [prevOut], (long)model.HiddenSize * _actBits, crossings);
            }
            int Source(int local) => local == OperatorTemplate.LayerInput ? prevOut : id[local];
            // Activations travel to a matrix's tiles once per producer, shared by every consumer (q, k, v and their LoRA A).
            int TransferFrom(int local, long features)
            {
                if (transferOf.TryGetValue(local, out var x)) return x;
                var name = local == OperatorTemplate.LayerInput ? "transfer.layer_input" : "transfer." + template[local].Name;
                // A layer split over chips: the input is forwarded along the chain to its consumers' farthest slice.
                x = Transfer(name, l, "link", features * _actBits, [Source(local)], ConsumerHops(l, local), ConsumerSpan(l, local) - 1);
                transferOf[local] = x;
                return x;
            }
            // Layers share the attention pool when fewer than all are resident: layer l uses slot l mod resident.
            var attnKey = _attentionOnSram ? $"sram_attention/{l % _resident}" : "digital";
            var attnClass = _attentionOnSram ? "sram_cim" : "digital";
            var kvWrite = -1;
            // Sliding-window layers attend at most the last W KV entries (Mistral, Gemma local layers).
            long? window = model.IsSlidingLayer(l) ? model.SlidingWindow : null;
            foreach (var tt in template)
            {
                var op = graph.GetLayerOperator(_probe, l, tt.Index);
                var deps = tt.LocalDependencies.Select(Source).ToArray();
                var name = tt.Name;
                id[tt.Index] = tt.Kind switch
                {
                    OperatorKind.Projection => Gather(op, name, l, Matrix(op, name, l, [TransferFrom(tt.LocalDependencies[0], op.K)])),
                    OperatorKind.LoraA => op.M == 0 ? TransferFrom(tt.LocalDependencies[0], op.K) : Gather(op, name, l, Matrix(op, name, l, [TransferFrom(tt.LocalDependencies[0], op.K)])),
                    OperatorKind.LoraB => op.M == 0 ? deps[0] : Gather(op, name, l, Matrix(op, name, l, Scatter(op, name, l, deps))),
                    OperatorKind.KvWrite => kvWrite = Add(name, l, TaskKind.KvWrite, attnKey, attnClass,
                        ToPool(l, "transfer.kv_to_pool", deps, 2L * model.KeyValueDim * _kvBits, kvReload: true), bits: 2L * model.KeyValueDim * _kvBits),
                    OperatorKind.AttentionScore => FromPool(l, "transfer.scores_from_pool", Add(new TaskTemplate
                    {
                        Id = 0,
                        Operator = name,
                        Layer = l,
                        Kind = TaskKind.AttentionScore,
                        ResourceKey = attnKey,
                        ResourceClass = attnClass,
                        In = model.QueryDim,
                        Out = 1,
                        Dependencies = [.. ToPool(l, "transfer.q_to_pool", [deps[0]], (long)model.QueryDim * _actBits), .. deps[1..]],
                        PreviousJobDependency = kvWrite,
                        AttentionWindow = window,
                    }), 0, model.NumAttentionHeads * (long)_actBits, window),
                    OperatorKind.AttentionContext => FromPool(l, "transfer.context_from_pool",
                        Windowed(Add(name, l, TaskKind.AttentionValue, attnKey, attnClass,
                            [.. ToPool(l, "transfer.probs_to_pool", [deps[0]], 0, perPosition: model.NumAttentionHeads * (long)_actBits, window: window), .. deps[1..]],
                            model.QueryDim, 1), window),
                        (long)model.QueryDim * _actBits, 0, null),
                    // Softmax elements grow with the attended KV length: one row of scores per head.
                    OperatorKind.Softmax => Windowed(Vector(op, name, l, deps, model.NumAttentionHeads, kv: true), window),
                    OperatorKind.LoraMerge when op.M == 0 => deps[0],
                    OperatorKind.RmsNorm or OperatorKind.Rope or OperatorKind.Silu or OperatorKind.GeluTanh or OperatorKind.Multiply or OperatorKind.ResidualAdd or OperatorKind.LoraMerge
                        => Vector(op, name, l, deps, op.N),
                    _ => throw new InvalidOperationException($"operator kind {tt.Kind} has no schedule"),
                };
            }
            return id[^1];
        }

        /// <summary>
        /// Placement-derived hops of the transfer from template operator <paramref name="producer"/> of layer
        /// <paramref name="l"/>: the mean of its consuming matrices' hub-to-tile hops (MatrixPlacement.Hops; 0 for a
        /// matrix on the digital unit at the hub); null without a mapping (the mesh average applies).
        /// </summary>
        private double? ConsumerHops(int l, int producer)
        {
            if (hw is null) return null;
            double sum = 0;
            var n = 0;
            foreach (var tt in graph.LayerTemplate)
            {
                if (tt.Kind is not (OperatorKind.Projection or OperatorKind.LoraA) || tt.LocalDependencies[0] != producer) continue;
                var p = hw.Mapping.PlacementOf(graph.GetLayerOperator(_probe, l, tt.Index));
                if (p is null) continue;
                sum += p.Hops;
                n++;
            }
            return n == 0 ? null : sum / n;
        }

        /// <summary>The largest chip span among the matrices of layer <paramref name="l"/> fed by template operator <paramref name="producer"/> (1 without a mapping).</summary>
        private int ConsumerSpan(int l, int producer)
        {
            if (hw is null) return 1;
            var span = 1;
            foreach (var tt in graph.LayerTemplate)
            {
                if (tt.Kind is not (OperatorKind.Projection or OperatorKind.LoraA) || tt.LocalDependencies[0] != producer) continue;
                span = Math.Max(span, hw.Mapping.PlacementOf(graph.GetLayerOperator(_probe, l, tt.Index))?.ChipSpan ?? 1);
            }
            return span;
        }

        /// <summary>A chip-link transfer, hub to hub (a pipeline cut) or between a split layer's home chip and its matrices' remote column slices (no mesh hops counted).</summary>
        private int ChipLinkTransfer(int l, string name, int[] deps, long bitsPerToken, int crossings) => Transfer(name, l, "chip_link", bitsPerToken, deps, 0, crossings);

        /// <summary>LoRA B of a split layer: its input (LoRA A's output, at the home hub) forwarded to its farthest slice.</summary>
        private int[] Scatter(in Operator op, string name, int l, int[] deps) =>
            hw?.Mapping.PlacementOf(op) is { ChipSpan: > 1 } p && l >= 0 ? [ChipLinkTransfer(l, "transfer." + name + ".scatter", deps, op.K * _actBits, p.ChipSpan - 1)] : deps;

        /// <summary>A split matrix's remote column slices return their outputs to the home chip: each output bit crosses as many cuts as its slice index.</summary>
        private int Gather(in Operator op, string name, int l, int task) =>
            hw?.Mapping.PlacementOf(op) is { ChipSpan: > 1 } p && l >= 0 ? ChipLinkTransfer(l, "transfer." + name + ".gather", [task], p.SliceOutputCrossings * _actBits, 1) : task;

        /// <summary>
        /// Mean hops between layer <paramref name="l"/>'s hub and its chip's attention pool; null when attention does not
        /// run on the pool (digital unit at the hub) or without a hardware model (no pool transfers then).
        /// </summary>
        private double? PoolHops(int l)
        {
            if (hw is null || !_attentionOnSram) return null;
            var chip = hw.Mapping.ChipOfLayer(l);
            return chip < hw.AttentionPoolHops.Count ? hw.AttentionPoolHops[chip] : null;
        }

        /// <summary>
        /// A transfer over the mesh between the hub and the attention pool (Q, new and reloaded K/V rows, scores,
        /// probabilities, the context): bits per token plus bits per attended position, over the pool's hops.
        /// </summary>
        private int PoolTransfer(int l, string name, int[] deps, long perToken, long perPosition, long? window, bool kvReload)
        {
            var id = Transfer(name, l, "link", perToken, deps, PoolHops(l), 0);
            Tasks[id] = Tasks[id] with { BitsPerAttendedPosition = perPosition, CarriesKvReload = kvReload };
            return Windowed(id, window);
        }

        /// <summary>Dependencies of a pool task: a hub-to-pool transfer after <paramref name="deps"/>, or <paramref name="deps"/> when there is no pool.</summary>
        private int[] ToPool(int l, string name, int[] deps, long perToken, long perPosition = 0, long? window = null, bool kvReload = false) =>
            PoolHops(l) is null ? deps : [PoolTransfer(l, name, deps, perToken, perPosition, window, kvReload)];

        /// <summary>The pool-to-hub transfer of <paramref name="task"/>'s results (what its consumers wait for), or the task itself without a pool.</summary>
        private int FromPool(int l, string name, int task, long perToken, long perPosition, long? window) =>
            PoolHops(l) is null ? task : PoolTransfer(l, name, [task], perToken, perPosition, window, kvReload: false);

        /// <summary>Chip boundaries between the chip of layer <paramref name="from"/> (-1: the embedding, chip 0) and that of <paramref name="to"/> (-1: lm_head and its slices).</summary>
        private int Crossings(int from, int to)
        {
            if (hw is null) return 0;
            var m = hw.Mapping;
            var a = from < 0 ? 0 : m.ChipOfLayer(from);
            return to < 0 ? m.LmHead.Chip - a + m.LmHead.ChipSpan - 1 : m.ChipOfLayer(to) - a;
        }

        public void Head(int prevOut)
        {
            var model = graph.Model;
            var norm = new Operator { Kind = OperatorKind.RmsNorm, M = 1, K = model.HiddenSize, N = model.HiddenSize, Flops = 4L * model.HiddenSize };
            var normF = Vector(norm, "final_norm", -1, [prevOut], model.HiddenSize, last: true);
            var xF = Transfer("transfer.lm_head_in", -1, "link", (long)model.HiddenSize * _actBits, [normF],
                hw?.Mapping.LmHead is { IsOnChip: true } h ? h.Hops : hw is null ? null : 0, Crossings(model.NumLayers - 1, -1), last: true);
            var head = new Operator { Kind = OperatorKind.LmHead, Layer = -1, M = 1, K = model.HiddenSize, N = model.VocabSize };
            Matrix(head, "lm_head", -1, [xF], last: true);
        }
    }
}
