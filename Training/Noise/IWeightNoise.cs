using static TorchSharp.torch;

namespace CimSim.Training.Noise;

/// <summary>
/// A model of what RRAM programming does to a frozen weight matrix W0: draws an additive error N for one
/// projection, so that the trainer sees W0 + N (HaLoRA's noise injection).
/// </summary>
public interface IWeightNoise
{
    /// <summary>One line for logs and the run summary.</summary>
    string Describe();

    /// <summary>An additive error for the projection <paramref name="modulePath"/> (e.g. model.layers.3.self_attn.q_proj), or null to leave it clean.</summary>
    Tensor? Sample(string modulePath, Tensor weight, Generator generator);
}
