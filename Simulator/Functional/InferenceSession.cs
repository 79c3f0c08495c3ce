using System.Numerics.Tensors;
using CimSim.Common.Numerics;

namespace CimSim.Simulator.Functional;

/// <summary>
/// Runs a <see cref="FunctionalModel"/> over a token stream with a KV cache: <see cref="Forward"/> takes the
/// next tokens (a prefill chunk or one decode token) and returns their logits. Follows Hugging Face
/// transformers' Llama/Qwen2 eager path: RMSNorm in float32, rotate-half RoPE, grouped-query causal attention
/// with float32 softmax, SwiGLU MLP. Attention products are exact (SRAM digital CIM / digital units).
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

    public InferenceSession(FunctionalModel model, int initialCapacity = 64)
    {
        _model = model;
        var s = model.Spec;
        (_heads, _kvHeads, _headDim, _hidden) = (s.NumAttentionHeads, s.NumKeyValueHeads, s.HeadDim, s.HiddenSize);
        _group = _heads / _kvHeads;
        _capacity = Math.Max(1, initialCapacity);
        _kCache = new float[s.NumLayers][];
        _vCache = new float[s.NumLayers][];
        for (int l = 0; l < s.NumLayers; l++)
        {
            _kCache[l] = new float[(long)_kvHeads * _capacity * _headDim];
            _vCache[l] = new float[(long)_kvHeads * _capacity * _headDim];
        }
    }

    public void Reset() => Position = 0;

    /// <summary>
    /// Feeds <paramref name="tokens"/> at positions Position.. and returns logits [tokens, vocab] (or only the
    /// last row when <paramref name="lastOnly"/>).
    /// </summary>
    public float[] Forward(ReadOnlySpan<int> tokens, bool lastOnly = false)
    {
        var s = _model.Spec;
        int n = tokens.Length;
        if (n == 0) return [];
        for (int t = 0; t < n; t++)
            if ((uint)tokens[t] >= (uint)s.VocabSize)
                throw new CimSim.Common.Errors.UserInputException($"token id {tokens[t]} at index {t} is outside the vocabulary (0..{s.VocabSize - 1})");
        EnsureCapacity(Position + n);
        var hidden = new float[n * _hidden];
        for (int t = 0; t < n; t++)
            _model.Embedding.AsSpan(tokens[t] * _hidden, _hidden).CopyTo(hidden.AsSpan(t * _hidden, _hidden));

        int qDim = _heads * _headDim, kvDim = _kvHeads * _headDim;
        var normed = new float[n * _hidden];
        var q = new float[n * qDim];
        var k = new float[n * kvDim];
        var v = new float[n * kvDim];
        var attn = new float[n * qDim];
        var tmp = new float[n * _hidden];
        int inter = s.IntermediateSize;
        var gate = new float[n * inter];
        var up = new float[n * inter];
        var sig = new float[n * inter];
        var (cos, sin) = RopeTables(Position, n);
        for (int l = 0; l < _model.Layers.Count; l++)
        {
            var layer = _model.Layers[l];
            RmsNorm(hidden, layer.InputNorm, normed, n);
            layer.Q.Forward(normed, q, n, Observer);
            layer.K.Forward(normed, k, n, Observer);
            layer.V.Forward(normed, v, n, Observer);
            ApplyRope(q, _heads, n, cos, sin);
            ApplyRope(k, _kvHeads, n, cos, sin);
            StoreKv(l, k, v, n);
            Attention(l, q, attn, n);
            layer.O.Forward(attn, tmp, n, Observer);
            TensorPrimitives.Add(hidden, tmp, hidden);

            RmsNorm(hidden, layer.PostAttentionNorm, normed, n);
            layer.Gate.Forward(normed, gate, n, Observer);
            layer.Up.Forward(normed, up, n, Observer);
            // SwiGLU: silu(gate) * up, silu(g) = g * sigmoid(g).
            TensorPrimitives.Sigmoid(gate, sig);
            TensorPrimitives.Multiply(gate, sig, gate);
            TensorPrimitives.Multiply(gate, up, gate);
            layer.Down.Forward(gate, tmp, n, Observer);
            TensorPrimitives.Add(hidden, tmp, hidden);
            Observer?.OnLayerOutput(l, hidden, n);
        }
        Position += n;

        int rows = lastOnly ? 1 : n;
        var final = new float[rows * _hidden];
        RmsNorm(hidden.AsSpan((n - rows) * _hidden), _model.FinalNorm, final, rows);
        var logits = new float[(long)rows * s.VocabSize];
        _model.LmHead.Forward(final, logits, rows);
        return logits;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _capacity) return;
        int cap = Math.Max(needed, _capacity * 2);
        for (int l = 0; l < _kCache.Length; l++)
        {
            _kCache[l] = Grow(_kCache[l], cap);
            _vCache[l] = Grow(_vCache[l], cap);
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

    /// <summary>y = x / sqrt(mean(x^2) + eps) * w per row (transformers' LlamaRMSNorm, in float32).</summary>
    private void RmsNorm(ReadOnlySpan<float> x, float[] w, Span<float> y, int rows)
    {
        float eps = (float)_model.Spec.RmsNormEps;
        for (int t = 0; t < rows; t++)
        {
            var xr = x.Slice(t * _hidden, _hidden);
            var yr = y.Slice(t * _hidden, _hidden);
            float ms = TensorPrimitives.Dot(xr, xr) / _hidden;
            float inv = 1f / MathF.Sqrt(ms + eps);
            TensorPrimitives.Multiply(xr, inv, yr);
            TensorPrimitives.Multiply(yr, w, yr);
        }
    }

    private (float[] Cos, float[] Sin) RopeTables(int start, int n)
    {
        var inv = _model.InverseFrequencies;
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
    private void ApplyRope(float[] x, int heads, int n, float[] cos, float[] sin)
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

    private void StoreKv(int layer, float[] k, float[] v, int n)
    {
        var kc = _kCache[layer];
        var vc = _vCache[layer];
        for (int t = 0; t < n; t++)
            for (int g = 0; g < _kvHeads; g++)
            {
                long dst = ((long)g * _capacity + Position + t) * _headDim;
                k.AsSpan((t * _kvHeads + g) * _headDim, _headDim).CopyTo(kc.AsSpan((int)dst, _headDim));
                v.AsSpan((t * _kvHeads + g) * _headDim, _headDim).CopyTo(vc.AsSpan((int)dst, _headDim));
            }
    }

    /// <summary>Causal grouped-query attention of the n new queries over every cached key, per head.</summary>
    private void Attention(int layer, float[] q, float[] output, int n)
    {
        int total = Position + n, hd = _headDim, heads = _heads;
        float scale = 1f / MathF.Sqrt(hd);
        var kc = _kCache[layer];
        var vc = _vCache[layer];
        int start = Position;
        Parallel.For(0, heads, new ParallelOptions { MaxDegreeOfParallelism = n == 1 ? 1 : Environment.ProcessorCount }, h =>
        {
            int g = h / _group;
            var qh = new float[n * hd];
            for (int t = 0; t < n; t++) q.AsSpan((t * heads + h) * hd, hd).CopyTo(qh.AsSpan(t * hd, hd));
            var kg = kc.AsSpan(g * _capacity * hd, total * hd);
            var vg = vc.AsSpan(g * _capacity * hd, total * hd);
            var scores = new float[n * total];
            Blas.Gemm(false, true, n, total, hd, scale, qh, kg, 0f, scores);
            for (int t = 0; t < n; t++)
            {
                int visible = start + t + 1;
                var row = scores.AsSpan(t * total, total);
                row[visible..].Clear();
                TensorPrimitives.SoftMax(row[..visible], row[..visible]);
            }
            var oh = new float[n * hd];
            Blas.Gemm(false, false, n, hd, total, 1f, scores, vg, 0f, oh);
            for (int t = 0; t < n; t++) oh.AsSpan(t * hd, hd).CopyTo(output.AsSpan((t * heads + h) * hd, hd));
        });
    }
}
