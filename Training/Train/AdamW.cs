using TorchSharp;
using static TorchSharp.torch;

namespace CimSim.Training.Train;

/// <summary>
/// AdamW (Loshchilov and Hutter 2019), the update torch.optim.AdamW performs: p -= lr wd p; m = b1 m + (1-b1) g;
/// v = b2 v + (1-b2) g^2; p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps). Written out here (a dozen lines) so
/// that its whole state is ours to checkpoint and restore exactly.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly Tensor[] parameters;
    private readonly Tensor[] m;
    private readonly Tensor[] v;

    public AdamW(IEnumerable<Tensor> parameters, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.0)
    {
        this.parameters = parameters.ToArray();
        m = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        v = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
    }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double Eps { get; }

    public double WeightDecay { get; }

    /// <summary>Updates taken so far (t in the bias corrections).</summary>
    public long StepCount { get; private set; }

    public IReadOnlyList<Tensor> Parameters => parameters;

    /// <summary>First and second moment buffers, in parameter order (for checkpoints).</summary>
    public IReadOnlyList<Tensor> FirstMoments => m;

    public IReadOnlyList<Tensor> SecondMoments => v;

    public void ZeroGrad()
    {
        foreach (var p in parameters) p.grad?.zero_();
    }

    /// <summary>Scales gradients so that their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public double ClipGradNorm(double maxNorm)
    {
        using var _ = NewDisposeScope();
        double sq = 0;
        foreach (var p in parameters)
        {
            if (p.grad is not null) sq += p.grad.pow(2).sum().ToDouble();
        }
        var norm = Math.Sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm)
        {
            var scale = maxNorm / (norm + 1e-6);
            foreach (var p in parameters) p.grad?.mul_(scale);
        }
        return norm;
    }

    public void Step(double lr)
    {
        using var _ = NewDisposeScope();
        using var __ = no_grad();
        StepCount++;
        var bc1 = 1 - Math.Pow(Beta1, StepCount);
        var bc2 = 1 - Math.Pow(Beta2, StepCount);
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var g = p.grad;
            if (g is null) continue;
            if (WeightDecay != 0) p.mul_(1 - lr * WeightDecay);
            m[i].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            v[i].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denom = (v[i] / bc2).sqrt_().add_(Eps);
            p.addcdiv_(m[i], denom, value: -lr / bc1);
        }
    }

    /// <summary>Restores the step count (the moments are restored in place through <see cref="FirstMoments"/>/<see cref="SecondMoments"/>).</summary>
    public void RestoreStepCount(long steps) => StepCount = steps;

    public void Dispose()
    {
        foreach (var t in m) t.Dispose();
        foreach (var t in v) t.Dispose();
    }
}
