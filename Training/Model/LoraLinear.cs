using TorchSharp;
using static TorchSharp.torch;

namespace CimSim.Training.Model;

/// <summary>
/// A frozen projection W0 [Out x In] (optional bias) with an optional LoRA branch (Hu et al. 2021):
/// y = x (W0 + N)^T + b + s * dropout(x) A^T B^T, with A [r x In], B [Out x r], s = alpha / r. N is the weight
/// noise HaLoRA injects into W0 during training (Wu et al., arXiv 2502.19747); null outside training.
/// A starts Kaiming-uniform and B at zero, as PEFT initialises them, so the adapter starts as the identity.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private Parameter? lora_A;
    private Parameter? lora_B;

    public LoraLinear(string name, long inFeatures, long outFeatures, bool hasBias, ScalarType dtype) : base(name)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        weight = new Parameter(zeros(outFeatures, inFeatures, dtype), requires_grad: false);
        if (hasBias) bias = new Parameter(zeros(outFeatures, dtype), requires_grad: false);
        RegisterComponents();
    }

    public long InFeatures { get; }

    public long OutFeatures { get; }

    /// <summary>W0 [Out x In], as Hugging Face stores it.</summary>
    public Parameter Weight => weight;

    public Parameter? Bias => bias;

    /// <summary>LoRA down-projection A [r x In]; null without an adapter.</summary>
    public Parameter? LoraA => lora_A;

    /// <summary>LoRA up-projection B [Out x r]; null without an adapter.</summary>
    public Parameter? LoraB => lora_B;

    public double Scaling { get; private set; }

    public double Dropout { get; private set; }

    /// <summary>Additive noise on W0 for the next forward passes (HaLoRA); null for the clean weights.</summary>
    public Tensor? WeightNoise { get; set; }

    /// <summary>Generator of the dropout masks (set by the trainer per step, so a resumed run draws the same masks).</summary>
    public Generator? DropoutGenerator { get; set; }

    /// <summary>Adds a LoRA branch of rank <paramref name="rank"/>; A drawn with <paramref name="generator"/>, B zero.</summary>
    public void AddLora(int rank, double scaling, double dropout, Generator generator)
    {
        // PEFT: nn.init.kaiming_uniform_(A, a=sqrt(5)) => U(-b, b), b = 1/sqrt(In).
        var bound = 1.0 / Math.Sqrt(InFeatures);
        using (no_grad())
        {
            var a = rand(new long[] { rank, InFeatures }, dtype: weight.dtype, generator: generator).mul_(2 * bound).sub_(bound);
            lora_A = new Parameter(a, requires_grad: true);
            lora_B = new Parameter(zeros(OutFeatures, rank, weight.dtype), requires_grad: true);
        }
        register_parameter("lora_A", lora_A);
        register_parameter("lora_B", lora_B);
        Scaling = scaling;
        Dropout = dropout;
    }

    /// <summary>Allows or freezes gradient flow into W0 and its bias (full-parameter pretraining).</summary>
    public void SetBaseTrainable(bool trainable)
    {
        weight.requires_grad = trainable;
        if (bias is not null) bias.requires_grad = trainable;
    }

    public override Tensor forward(Tensor x)
    {
        var w = WeightNoise is null ? (Tensor)weight : weight + WeightNoise;
        var y = nn.functional.linear(x, w, bias);
        if (lora_A is null || lora_B is null) return y;
        var xd = x;
        if (training && Dropout > 0)
        {
            var keep = rand(x.shape, dtype: x.dtype, generator: DropoutGenerator).ge(Dropout);
            xd = x * keep / (1 - Dropout);
        }
        return y + nn.functional.linear(nn.functional.linear(xd, lora_A), lora_B) * Scaling;
    }
}
