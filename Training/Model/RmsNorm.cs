using TorchSharp;
using static TorchSharp.torch;

namespace CimSim.Training.Model;

/// <summary>RMSNorm (Zhang and Sennrich 2019) as Hugging Face LlamaRMSNorm: w * x / sqrt(mean(x^2) + eps).</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    public RmsNorm(string name, long size, double eps, ScalarType dtype) : base(name)
    {
        weight = new Parameter(ones(size, dtype), requires_grad: false);
        this.eps = eps;
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public override Tensor forward(Tensor x)
    {
        var variance = x.pow(2).mean(new long[] { -1 }, keepdim: true);
        return weight * (x * rsqrt(variance + eps));
    }
}
