using CimSim.Workloads.Models;
using static TorchSharp.torch;

namespace CimSim.Training.Model;

/// <summary>
/// Rotary position embedding (Su et al. 2021) in Hugging Face's rotate-half layout: q' = q cos + rotate_half(q) sin
/// with cos/sin of position x inverse frequency, the frequencies repeated over both halves of the head. The
/// inverse frequencies (default, linear, llama3 scaling) come from <see cref="RopeSpec.InverseFrequencies"/>, the
/// same code the simulator uses.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor invFreq;
    private Tensor? cos;
    private Tensor? sin;
    private long cached;

    public RotaryEmbedding(RopeSpec rope, int headDim, ScalarType dtype)
    {
        var inv = rope.InverseFrequencies(headDim);
        invFreq = tensor(inv.Select(v => (float)v).ToArray());
        Dtype = dtype;
    }

    public ScalarType Dtype { get; }

    /// <summary>cos and sin tables [T x headDim] for positions 0..T-1.</summary>
    public (Tensor Cos, Tensor Sin) Tables(long length)
    {
        if (cos is null || cached < length)
        {
            cos?.Dispose();
            sin?.Dispose();
            // HF computes the angles in float32: outer(position, inv_freq), then cat(freqs, freqs).
            var pos = arange(length, dtype: ScalarType.Float32);
            var freqs = outer(pos, invFreq);
            var emb = cat(new[] { freqs, freqs }, -1);
            cos = emb.cos().to_type(Dtype).DetachFromDisposeScope();
            sin = emb.sin().to_type(Dtype).DetachFromDisposeScope();
            cached = length;
        }
        return (cos[TensorIndex.Slice(0, length)], sin![TensorIndex.Slice(0, length)]);
    }

    /// <summary>Applies the rotation to x [B, H, T, D].</summary>
    public Tensor Apply(Tensor x)
    {
        var (c, s) = Tables(x.shape[2]);
        var half = x.shape[3] / 2;
        var x1 = x[TensorIndex.Ellipsis, TensorIndex.Slice(0, half)];
        var x2 = x[TensorIndex.Ellipsis, TensorIndex.Slice(half, null)];
        var rotated = cat(new[] { -x2, x1 }, -1);
        return x * c + rotated * s;
    }

    public void Dispose()
    {
        invFreq.Dispose();
        cos?.Dispose();
        sin?.Dispose();
    }
}
