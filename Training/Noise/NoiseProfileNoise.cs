using CimSim.Common.Errors;
using static TorchSharp.torch;

namespace CimSim.Training.Noise;

/// <summary>Per-module weight noise from a CimSim noise profile (cimsim noise-profile).</summary>
public sealed class NoiseProfileNoise : IWeightNoise
{
    private NoiseProfileNoise()
    {
    }

    public static NoiseProfileNoise Load(string path)
        => throw new UserInputException($"--noise-profile {path}: noise profiles are not readable yet (waiting for the CimSim noise-profile types)");

    public string Describe() => "noise profile";

    public Tensor? Sample(string modulePath, Tensor weight, Generator generator) => null;
}
