using System.Numerics.Tensors;
using CimSim.Common.Numerics;
using CimSim.Devices.Rram;
using CimSim.Workloads.Models;

namespace CimSim.Simulator.Functional;

/// <summary>
/// Runs a <see cref="FunctionalModel"/> over a token stream with a KV cache: <see cref="Forward"/> takes the
/// next tokens (a prefill chunk or one decode token) and returns their logits. Follows Hugging Face
/// transformers' eager path: RMSNorm in float32, rotate-half RoPE, grouped-query causal attention with float32
/// softmax, SwiGLU MLP; and what each family adds (docs/workloads.md): Qwen3/Gemma 3 q/k norms, Phi-3's fused
/// qkv and gate_up outputs split, Mistral/Phi-3/Gemma sliding-window masks (a query attends to the last W keys,
/// its own included: transformers' sliding_window_overlay), Gemma's sqrt(hidden) embedding scale, sandwich
/// norms, GELU-tanh, query_pre_attn_scalar and tanh soft-capping of scores and logits.
/// Attention products are exact (SRAM digital CIM / digital units).
/// </summary>
public sealed class InferenceSession
{
    private readonly FunctionalModel _model;
    private readonly int _kvHeads, _heads, _headDim, _hidden, _group;
    private readonly float[][] _kCache, _vCache; // per layer: [kvHeads][capacity][headDim]
    private int _capacity;

    public int Position { get; private set; }

    /// <summary>Sees intermediate results (projections, layer outputs) of every forward call.</summary>
    public IForwardObserver? Observer { get; set; }

    /// <param name="model">The model this session runs.</param>
    /// <param name="initialCapacity">Positions the KV cache holds before it grows.</param>
    /// <param name="keepKvCache">False: one forward call only (a scored prefill), whose layers share one KV buffer, each
    /// layer's keys and values being dead once its attention is done: 1/layers of the cache memory (1B: 4 KB instead of
    /// 64 KB a token), which matters when many batches wait between layers.</param>
    public InferenceSession(FunctionalModel model, int initialCapacity = 64, bool keepKvCache = true)
    {
        _model = model;
        var s = model.Spec;
        (_heads, _kvHeads, _headDim, _hidden) = (s.NumAttentionHeads, s.NumKeyValueHeads, s.HeadDim, s.HiddenSize);
        _group = _heads / _kvHeads;
        _capacity = Math.Max(1, initialCapacity);
        _keepKvCache = keepKvCache;
        _kCache = new float[s.NumLayers][];
        _vCache = new float[s.NumLayers][];
        for (int l = 0; l < s.NumLayers; l++)
        {
            _kCache[l] = keepKvCache || l == 0 ? new float[(long)_kvHeads * _capacity * _headDim] : _kCache[0];
            _vCache[l] = keepKvCache || l == 0 ? new float[(long)_kvHeads * _capacity * _headDim] : _vCache[0];
        }
    }

    private readonly bool _keepKvCache;

    public void Reset() => Position = 0;

    /// <summary>
    /// Device noise stream of this session's RRAM products (read noise, the statistical ADC term); null: each executor's
    /// own call count. The accuracy study sets one per data sequence, so a sequence's draws do not depend on what ran before it.
    /// </summary>
    public ulong? NoiseStream { get; set; }

    /// <summary>
    /// Feeds <paramref name="tokens"/> at positions Position.. and returns logits [tokens, vocab] (or only the
    /// last row when <paramref name="lastOnly"/>).
    /// </summary>
    public float[] Forward(ReadOnlySpan<int> tokens, bool lastOnly = false) => Forward([this], [tokens.ToArray()], lastOnly)[0];

    /// <summary>
    /// Layer-major batching: feeds tokens[s] to sessions[s] (distinct sessions of one model, each with its own KV cache,
    /// position, observer and noise stream) and returns each one's logits as <see cref="Forward(ReadOnlySpan{int}, bool)"/>
    /// would, but runs every session's rows through decoder layer l before layer l + 1, so each projection is one
    /// executor call for the whole batch: a layer regenerated from the chip's seed, or widened from the mapped
    /// checkpoint, is produced once per batch instead of once per sequence. Activations are [all rows, width]; the
    /// caller bounds the batch (the accuracy study by tokens per batch). <paramref name="batchObserver"/> sees every W0
    /// product of the whole batch at once (its layer outputs are not reported; each session's observer sees its own rows).
    /// </summary>
    public static float[][] Forward(IReadOnlyList<InferenceSession> sessions, IReadOnlyList<int[]> tokens, bool lastOnly = false, IForwardObserver? batchObserver = null)
    {
        float[][] results = [];
        Forward([new ForwardBatch(sessions, tokens, batchObserver)], lastOnly, (_, r) => results = r);
        return results;
    }

    /// <summary>
    /// Several batches, layer-major across all of them: decoder layer l runs on batch 0, 1, ... before layer l + 1 runs
    /// on any, so a layer regenerated from the chip's seed and kept in its slot (<see cref="ChipLayerCache"/>) is
    /// programmed once for all the batches, while the intermediate activations are those of one batch at a time (the
    /// batches' residual streams are all that is held across layers). Each batch's logits are the ones
    /// <see cref="Forward(IReadOnlyList{InferenceSession}, IReadOnlyList{int[]}, bool, IForwardObserver?)"/> returns for it
    /// alone; they go to <paramref name="onResults"/>(batch index, logits per session) in batch order, as soon as that
    /// batch's lm_head product is done, and are not kept. Batches may run different models of the same shape (an ideal
    /// reference beside a chip, in lockstep); each batch's observers see its layers in order.
    /// </summary>
    public static void Forward(IReadOnlyList<ForwardBatch> batches, bool lastOnly, Action<int, float[][]> onResults)
    {
        ArgumentNullException.ThrowIfNull(onResults);
        if (batches.Count == 0) return;
        var all = batches.SelectMany(b => b.Sessions).ToList();
        if (all.Distinct().Count() != all.Count) throw new ArgumentException("a session appears twice in one batch", nameof(batches));
        var groups = batches.Select(b => new Group(b)).ToList();
        var live = groups.Where(g => g.Rows > 0).ToList();
        if (live.Any(g => g.Model.Spec != live[0].Model.Spec))
            throw new ArgumentException("every batch must run a model of the same shape", nameof(batches));
        if (live.Count > 0)
        {
            var buffers = Buffers.Take(live[0].Model.Spec, live.Max(g => g.Rows));
            for (int l = 0; l < live[0].Model.Layers.Count; l++)
                foreach (var g in live) g.RunLayer(l, buffers);
            Buffers.Return(buffers);
        }
        for (int i = 0; i < groups.Count; i++) onResults(i, groups[i].Finish(lastOnly));
    }

    /// <summary>One batch of <see cref="Forward(IReadOnlyList{ForwardBatch}, bool, Action{int, float[][]})"/>: distinct sessions of one model and their tokens.</summary>
    public sealed record ForwardBatch(IReadOnlyList<InferenceSession> Sessions, IReadOnlyList<int[]> Tokens, IForwardObserver? BatchObserver = null);

    /// <summary>
    /// Intermediate activations of one layer step, sized for the largest batch and shared by all of them; every element a
    /// layer reads is written first in that layer. One set per thread is kept between calls (<see cref="Take"/>,
    /// <see cref="Return"/>): fresh buffers per call (1B, 1024 rows: 105 MB) cost page faults and page clearing on every
    /// call, a large part of a short call on a virtual machine.
    /// </summary>
    private sealed class Buffers
    {
        [ThreadStatic] private static Buffers? _spare;

        public readonly float[] Normed, Q, K, V, Attn, Tmp, Gate, Up;
        public readonly float[]? Qkv, GateUp;
        private readonly (int Width, int QDim, int KvDim, int Inter, bool Fused) _shape;
        private readonly int _rows;

        /// <summary>This thread's kept buffers when they fit the shape and rows (taken: a nested call gets its own), else new ones.</summary>
        public static Buffers Take(ModelSpec s, int rows)
        {
            var spare = _spare;
            if (spare is not null && spare._shape == ShapeOf(s) && spare._rows >= rows)
            {
                _spare = null;
                return spare;
            }
            return new Buffers(s, rows);
        }

        /// <summary>Keeps <paramref name="buffers"/> for this thread's next call (the larger set when one is kept already).</summary>
        public static void Return(Buffers buffers)
        {
            if (_spare is null || _spare._rows <= buffers._rows) _spare = buffers;
        }

        private static (int, int, int, int, bool) ShapeOf(ModelSpec s) =>
            (s.HiddenSize, s.NumAttentionHeads * s.HeadDim, s.NumKeyValueHeads * s.HeadDim, s.IntermediateSize, s.FusedProjections);

        private Buffers(ModelSpec s, int rows)
        {
            (_shape, _rows) = (ShapeOf(s), rows);
            var (width, qDim, kvDim, inter, _) = _shape;
            Normed = new float[rows * width];
            Q = new float[rows * qDim];
            K = new float[rows * kvDim];
            V = new float[rows * kvDim];
            Qkv = s.FusedProjections ? new float[rows * (qDim + 2 * kvDim)] : null;
            Attn = new float[rows * qDim];
            Tmp = new float[rows * width];
            Gate = new float[rows * inter];
            Up = new float[rows * inter];
            GateUp = s.FusedProjections ? new float[rows * 2 * inter] : null;
        }
    }

    /// <summary>A batch's state across layers: its sessions' rows, residual stream and rotary tables.</summary>
    private sealed class Group
    {
        private readonly IReadOnlyList<InferenceSession> _sessions;
        private readonly int[] _segments, _rowStart;
        private readonly ulong?[] _streams;
        private readonly IForwardObserver?[] _observers;
        private readonly IForwardObserver? _batchObserver;
        private readonly (float[] Cos, float[] Sin, float[] LocalCos, float[] LocalSin)[] _rope;
        private float[] _hidden;

        public FunctionalModel Model { get; }

        public int Rows { get; }

        public Group(ForwardBatch batch)
        {
            var (sessions, tokens) = (batch.Sessions, batch.Tokens);
            if (sessions.Count != tokens.Count) throw new ArgumentException($"{sessions.Count} sessions but {tokens.Count} token lists", nameof(batch));
            (_sessions, _batchObserver) = (sessions, batch.BatchObserver);
            int count = sessions.Count;
            (_segments, _rowStart, _streams) = (new int[count], new int[count], new ulong?[count]);
            _observers = sessions.Select(x => x.Observer).ToArray();
            _rope = new (float[], float[], float[], float[])[count];
            _hidden = [];
            if (count == 0)
            {
                Model = null!;
                return;
            }
            Model = sessions[0]._model;
            if (sessions.Any(x => x._model != Model)) throw new ArgumentException("every session of a batch must run the same model", nameof(batch));
            var s = Model.Spec;
            int n = 0;
            for (int b = 0; b < count; b++)
            {
                var ids = tokens[b];
                for (int t = 0; t < ids.Length; t++)
                    if ((uint)ids[t] >= (uint)s.VocabSize)
                        throw new CimSim.Common.Errors.UserInputException($"token id {ids[t]} at index {t} is outside the vocabulary (0..{s.VocabSize - 1})");
                if (ids.Length > 0 && !sessions[b]._keepKvCache && sessions[b].Position > 0)
                    throw new InvalidOperationException("a session without a KV cache per layer runs one forward call only");
                (_segments[b], _rowStart[b], _streams[b]) = (ids.Length, n, sessions[b].NoiseStream);
                n += ids.Length;
                sessions[b].EnsureCapacity(sessions[b].Position + ids.Length);
            }
            Rows = n;
            if (n == 0) return;
            int width = s.HiddenSize;
            _hidden = new float[n * width];
            for (int b = 0; b < count; b++)
                for (int t = 0; t < _segments[b]; t++)
                    Model.Embedding.CopyRow(tokens[b][t], _hidden.AsSpan((_rowStart[b] + t) * width, width));
            // Gemma: embeddings x sqrt(hidden), the scale rounded to float32 first as transformers does.
            if (s.ScaleEmbeddings) TensorPrimitives.Multiply(_hidden, (float)Math.Sqrt(width), _hidden);
            for (int b = 0; b < count; b++)
            {
                var (cos, sin) = RopeTables(Model.InverseFrequencies, sessions[b].Position, _segments[b]);
                var (localCos, localSin) = Model.LocalInverseFrequencies is { } local ? RopeTables(local, sessions[b].Position, _segments[b]) : (cos, sin);
                _rope[b] = (cos, sin, localCos, localSin);
            }
        }

        private void Project(DecoderLayer layer, LinearModule m, ReadOnlySpan<float> x, Span<float> y) =>
            layer[m].Forward(x, y, _segments, _streams, _observers, _batchObserver);

        /// <summary>Decoder layer <paramref name="l"/> on this batch's rows.</summary>
        public void RunLayer(int l, Buffers buf)
        {
            var first = _sessions[0];
            var s = Model.Spec;
            var layer = Model.Layers[l];
            int n = Rows, batch = _sessions.Count, width = s.HiddenSize, heads = first._heads, kvHeads = first._kvHeads, headDim = first._headDim;
            int qDim = heads * headDim, kvDim = kvHeads * headDim, inter = s.IntermediateSize;
            var hidden = _hidden;
            var normed = buf.Normed.AsSpan(0, n * width);
            var tmp = buf.Tmp.AsSpan(0, n * width);
            var q = buf.Q.AsSpan(0, n * qDim);
            var k = buf.K.AsSpan(0, n * kvDim);
            var v = buf.V.AsSpan(0, n * kvDim);
            var gate = buf.Gate.AsSpan(0, n * inter);
            var up = buf.Up.AsSpan(0, n * inter);
            first.RmsNorm(hidden, 0, layer.InputNorm, buf.Normed, 0, n, width);
            if (buf.Qkv is not null)
            {
                Project(layer, LinearModule.QkvProj, normed, buf.Qkv.AsSpan(0, n * (qDim + 2 * kvDim)));
                Split(buf.Qkv, n, [(buf.Q, qDim), (buf.K, kvDim), (buf.V, kvDim)]);
            }
            else
            {
                // q, k and v read the same rows: an RRAM input quantiser runs once for the three (SharedInputQuantization).
                using var shared = SharedInputQuantization.Begin(buf.Normed);
                Project(layer, LinearModule.QProj, normed, q);
                Project(layer, LinearModule.KProj, normed, k);
                Project(layer, LinearModule.VProj, normed, v);
            }
            if (layer.QNorm is not null) first.RmsNorm(buf.Q, 0, layer.QNorm, buf.Q, 0, n * heads, headDim);
            if (layer.KNorm is not null) first.RmsNorm(buf.K, 0, layer.KNorm, buf.K, 0, n * kvHeads, headDim);
            var sliding = s.IsSlidingLayer(l);
            // One sequence's rotary embedding, cache update and attention: its own session's state and rows only.
            void Sequence(int b, bool parallelHeads)
            {
                var session = _sessions[b];
                int r0 = _rowStart[b], nb = _segments[b];
                if (nb == 0) return;
                var (c, sn) = sliding ? (_rope[b].LocalCos, _rope[b].LocalSin) : (_rope[b].Cos, _rope[b].Sin);
                session.ApplyRope(buf.Q.AsSpan(r0 * qDim, nb * qDim), heads, nb, c, sn);
                session.ApplyRope(buf.K.AsSpan(r0 * kvDim, nb * kvDim), kvHeads, nb, c, sn);
                session.StoreKv(l, buf.K.AsSpan(r0 * kvDim, nb * kvDim), buf.V.AsSpan(r0 * kvDim, nb * kvDim), nb);
                session.Attention(l, buf.Q, buf.Attn, r0, nb, sliding ? s.SlidingWindow!.Value : int.MaxValue, parallelHeads);
            }
            // Several sequences: one per task on all cores (heads in turn within it, on one BLAS thread); one: its heads on all cores.
            if (batch == 1) Sequence(0, true);
            else Blas.SingleThreaded(() => Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, b => Sequence(b, false)));
            Project(layer, LinearModule.OProj, buf.Attn.AsSpan(0, n * qDim), tmp);
            if (layer.PreFeedforwardNorm is not null)
            {
                // Gemma's sandwich: norm the attention output, add, then norm the MLP input with its own weights.
                first.RmsNorm(buf.Tmp, 0, layer.PostAttentionNorm, buf.Tmp, 0, n, width);
                first.AddRows(hidden, buf.Tmp, n, width, (layer.PreFeedforwardNorm, buf.Normed));
            }
            else first.AddRows(hidden, buf.Tmp, n, width, (layer.PostAttentionNorm, buf.Normed));
            if (buf.GateUp is not null)
            {
                // Phi-3: gate_up_proj's output is [gate | up] (Phi3MLP: chunk(2, dim=-1)).
                Project(layer, LinearModule.GateUpProj, normed, buf.GateUp.AsSpan(0, n * 2 * inter));
                Split(buf.GateUp, n, [(buf.Gate, inter), (buf.Up, inter)]);
            }
            else
            {
                using var shared = SharedInputQuantization.Begin(buf.Normed);
                Project(layer, LinearModule.GateProj, normed, gate);
                Project(layer, LinearModule.UpProj, normed, up);
            }
            GatedActivation(buf.Gate, buf.Up, n * inter, s.HiddenAct == "silu");
            Project(layer, LinearModule.DownProj, gate, tmp);
            if (layer.PostFeedforwardNorm is not null) first.RmsNorm(buf.Tmp, 0, layer.PostFeedforwardNorm, buf.Tmp, 0, n, width);
            first.AddRows(hidden, buf.Tmp, n, width);
            for (int b = 0; b < batch; b++)
                _observers[b]?.OnLayerOutput(l, hidden.AsSpan(_rowStart[b] * width, _segments[b] * width), _segments[b]);
        }

        /// <summary>Final norm and lm_head on this batch's rows (all, or each sequence's last): logits per session; the residual stream is dropped.</summary>
        public float[][] Finish(bool lastOnly)
        {
            int batch = _sessions.Count;
            var results = new float[batch][];
            if (Rows == 0)
            {
                Array.Fill(results, []);
                return results;
            }
            var first = _sessions[0];
            var s = Model.Spec;
            int width = s.HiddenSize;
            var rows = new int[batch];
            int total = 0;
            for (int b = 0; b < batch; b++)
            {
                _sessions[b].Position += _segments[b];
                rows[b] = _segments[b] == 0 ? 0 : lastOnly ? 1 : _segments[b];
                total += rows[b];
            }
            var final = new float[total * width];
            for (int b = 0, row = 0; b < batch; row += rows[b], b++)
                first.RmsNorm(_hidden, _rowStart[b] + _segments[b] - rows[b], Model.FinalNorm, final, row, rows[b], width);
            _hidden = [];
            if (batch == 1)
            {
                // One sequence: its logits are the product's output, no copy.
                results[0] = new float[(long)total * s.VocabSize];
                Model.LmHead.Forward(final, results[0], rows, _streams);
            }
            else
            {
                var logits = new float[(long)total * s.VocabSize];
                Model.LmHead.Forward(final, logits, rows, _streams);
                for (int b = 0, row = 0; b < batch; row += rows[b], b++)
                    results[b] = logits.AsSpan(row * s.VocabSize, rows[b] * s.VocabSize).ToArray();
            }
            if (s.FinalLogitSoftcap is double cap)
                foreach (var r in results) Softcap(r, (float)cap);
            return results;
        }
    }

    /// <summary>Copies each token's row of a fused output into its parts, in order ([q | k | v] or [gate | up]).</summary>
    private static void Split(float[] fused, int tokens, (float[] Part, int Width)[] parts)
    {
        int width = 0;
        foreach (var (_, w) in parts) width += w;
        for (int t = 0; t < tokens; t++)
        {
            int offset = t * width;
            foreach (var (part, w) in parts)
            {
                fused.AsSpan(offset, w).CopyTo(part.AsSpan(t * w, w));
                offset += w;
            }
        }
    }

    [ThreadStatic] private static float[]? _sigmoidScratch;

    /// <summary>
    /// gate = act(gate) x up over the first <paramref name="length"/> elements, act = SiLU (g sigmoid(g), SwiGLU) or
    /// GELU-tanh: in chunks of 16 Ki elements on all cores, each chunk's three passes while it is in cache. Every
    /// element gets the same operations as in three whole-array passes (chunks are whole vectors: the last one takes
    /// the remainder), so the values do not depend on the chunking or the core count. The sigmoid goes to a per-thread
    /// scratch of two chunks (a chunk plus the remainder), not to a third [rows, intermediate] buffer.
    /// </summary>
    private static void GatedActivation(float[] gate, float[] up, int length, bool silu)
    {
        const int Chunk = 1 << 14;
        int chunks = Math.Max(1, length / Chunk);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            int start = c * Chunk, end = c == chunks - 1 ? length : start + Chunk;
            var g = gate.AsSpan(start, end - start);
            if (silu)
            {
                var sg = (_sigmoidScratch ??= new float[2 * Chunk]).AsSpan(0, end - start);
                TensorPrimitives.Sigmoid(g, sg);
                TensorPrimitives.Multiply(g, sg, g);
            }
            else GeluTanh(g);
            TensorPrimitives.Multiply(g, up.AsSpan(start, end - start), g);
        });
    }

    /// <summary>GELU, tanh approximation (torch gelu(approximate="tanh")): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).</summary>
    private static void GeluTanh(Span<float> x)
    {
        const float c = 0.7978845608028654f; // sqrt(2 / pi)
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            x[i] = 0.5f * v * (1f + MathF.Tanh(c * (v + 0.044715f * v * v * v)));
        }
    }

    /// <summary>Gemma 2 soft-capping: x -> cap tanh(x / cap).</summary>
    private static void Softcap(Span<float> x, float cap)
    {
        for (int i = 0; i < x.Length; i++) x[i] = cap * MathF.Tanh(x[i] / cap);
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _capacity) return;
        int cap = Math.Max(needed, _capacity * 2);
        for (int l = 0; l < _kCache.Length; l++)
        {
            _kCache[l] = _keepKvCache || l == 0 ? Grow(_kCache[l], cap) : _kCache[0];
            _vCache[l] = _keepKvCache || l == 0 ? Grow(_vCache[l], cap) : _vCache[0];
        }
        _capacity = cap;
    }

    private float[] Grow(float[] old, int cap)
    {
        var result = new float[(long)_kvHeads * cap * _headDim];
        for (int g = 0; g < _kvHeads; g++)
            old.AsSpan(g * _capacity * _headDim, Position * _headDim).CopyTo(result.AsSpan(g * cap * _headDim));
        return result;
    }

    /// <summary>
    /// y = x / sqrt(mean(x^2) + eps) * w per row of <paramref name="width"/> (transformers' LlamaRMSNorm, in float32; x
    /// and y may alias), on <paramref name="rows"/> rows from row <paramref name="x0"/> of x into rows from
    /// <paramref name="y0"/> of y, on all cores (each row's values depend on that row only).
    /// </summary>
    private void RmsNorm(float[] x, int x0, float[] w, float[] y, int y0, int rows, int width)
    {
        float eps = (float)_model.Spec.RmsNormEps;
        ParallelRows.For(rows, width, t => NormRow(x.AsSpan((x0 + t) * width, width), w, y.AsSpan((y0 + t) * width, width), eps));
    }

    /// <summary>
    /// The residual add, hidden += delta, on the first <paramref name="rows"/> rows on all cores; with
    /// <paramref name="norm"/>, the next norm in the same pass per row, normed = RMSNorm(hidden) (values as two passes).
    /// </summary>
    private void AddRows(float[] hidden, float[] delta, int rows, int width, (float[] Weights, float[] Normed)? norm = null)
    {
        float eps = (float)_model.Spec.RmsNormEps;
        ParallelRows.For(rows, width, t =>
        {
            var h = hidden.AsSpan(t * width, width);
            TensorPrimitives.Add(h, delta.AsSpan(t * width, width), h);
            if (norm is { } nm) NormRow(h, nm.Weights, nm.Normed.AsSpan(t * width, width), eps);
        });
    }

    private static void NormRow(ReadOnlySpan<float> x, float[] w, Span<float> y, float eps)
    {
        float ms = TensorPrimitives.Dot(x, x) / x.Length;
        float inv = 1f / MathF.Sqrt(ms + eps);
        TensorPrimitives.Multiply(x, inv, y);
        TensorPrimitives.Multiply(y, w, y);
    }

    private static (float[] Cos, float[] Sin) RopeTables(float[] inv, int start, int n)
    {
        int half = inv.Length;
        var cos = new float[n * half];
        var sin = new float[n * half];
        for (int t = 0; t < n; t++)
            for (int i = 0; i < half; i++)
            {
                float angle = (start + t) * inv[i]; // float32 product, as transformers computes freqs
                cos[t * half + i] = MathF.Cos(angle);
                sin[t * half + i] = MathF.Sin(angle);
            }
        return (cos, sin);
    }

    /// <summary>Rotate-half RoPE: [x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin] on each head.</summary>
    private void ApplyRope(Span<float> x, int heads, int n, float[] cos, float[] sin)
    {
        int half = _headDim / 2;
        for (int t = 0; t < n; t++)
            for (int h = 0; h < heads; h++)
            {
                int b = (t * heads + h) * _headDim;
                for (int i = 0; i < half; i++)
                {
                    float c = cos[t * half + i], sn = sin[t * half + i];
                    float x1 = x[b + i], x2 = x[b + half + i];
                    x[b + i] = x1 * c - x2 * sn;
                    x[b + half + i] = x2 * c + x1 * sn;
                }
            }
    }

    private void StoreKv(int layer, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int n)
    {
        var kc = _kCache[layer];
        var vc = _vCache[layer];
        for (int t = 0; t < n; t++)
            for (int g = 0; g < _kvHeads; g++)
            {
                long dst = ((long)g * _capacity + Position + t) * _headDim;
                k.Slice((t * _kvHeads + g) * _headDim, _headDim).CopyTo(kc.AsSpan((int)dst, _headDim));
                v.Slice((t * _kvHeads + g) * _headDim, _headDim).CopyTo(vc.AsSpan((int)dst, _headDim));
            }
    }

    // Attention's per-thread scratch (query rows, scores, outputs of one head), kept between calls.
    [ThreadStatic] private static float[]? _attentionScratch;

    /// <summary>
    /// Causal grouped-query attention of the n new queries (rows <paramref name="row0"/>.. of q and output), per head, over
    /// the cached keys a query may see: all earlier positions, or the last <paramref name="window"/> (its own included)
    /// on a sliding-window layer. Its heads run on all cores when <paramref name="parallelHeads"/>, else in turn on this thread.
    /// </summary>
    private void Attention(int layer, float[] q, float[] output, int row0, int n, int window, bool parallelHeads)
    {
        int hd = _headDim, heads = _heads;
        float scale = (float)_model.Spec.AttentionScale;
        float? softcap = _model.Spec.AttentionSoftcap is double sc ? (float)sc : null;
        // Keys older than the window of the first new query are never read: attention work stays within the window.
        int first = window == int.MaxValue ? 0 : Math.Max(0, Position + 1 - window);
        int total = Position + n - first;
        var kc = _kCache[layer];
        var vc = _vCache[layer];
        int start = Position;
        // Heads on all cores, each head's two products on one BLAS thread (BLAS's own threads would contend with the heads').
        Blas.SingleThreaded(() => Parallel.For(0, heads, new ParallelOptions { MaxDegreeOfParallelism = n == 1 || !parallelHeads ? 1 : Environment.ProcessorCount }, h =>
        {
            int g = h / _group;
            // One scratch array per thread, kept between calls (a fresh one per head: 1 MB of scores per head at 512 tokens).
            int need = 2 * n * hd + n * total;
            var scratch = _attentionScratch is { } sc && sc.Length >= need ? sc : _attentionScratch = new float[need];
            var qh = scratch.AsSpan(0, n * hd);
            for (int t = 0; t < n; t++) q.AsSpan(((row0 + t) * heads + h) * hd, hd).CopyTo(qh.Slice(t * hd, hd));
            var kg = kc.AsSpan((g * _capacity + first) * hd, total * hd);
            var vg = vc.AsSpan((g * _capacity + first) * hd, total * hd);
            var scores = scratch.AsSpan(n * hd, n * total);
            Blas.Gemm(false, true, n, total, hd, scale, qh, kg, 0f, scores);
            if (softcap is float cap) Softcap(scores, cap);
            for (int t = 0; t < n; t++)
            {
                // Query at position start + t sees keys max(start + t + 1 - window, 0) .. start + t (indices relative to first).
                int end = start + t + 1 - first;
                int begin = window == int.MaxValue ? 0 : Math.Max(0, start + t + 1 - window - first);
                var row = scores.Slice(t * total, total);
                row[..begin].Clear();
                row[end..].Clear();
                TensorPrimitives.SoftMax(row[begin..end], row[begin..end]);
            }
            var oh = scratch.AsSpan(n * hd + n * total, n * hd);
            Blas.Gemm(false, false, n, hd, total, 1f, scores, vg, 0f, oh);
            for (int t = 0; t < n; t++) oh.Slice(t * hd, hd).CopyTo(output.AsSpan(((row0 + t) * heads + h) * hd, hd));
        }));
    }
}
