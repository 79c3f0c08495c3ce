using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;

namespace CimSim.Simulator.Functional;

/// <summary>How the functional simulation places W0 given a hardware config (or none: ideal devices).</summary>
public static class FunctionalHardware
{
    /// <summary>
    /// Placer for chip instance <paramref name="seed"/>: ideal when <paramref name="hw"/> is null, else every matrix where
    /// the mapping of <paramref name="hw"/> puts it (<paramref name="plan"/>, or mapped when the model is known);
    /// <paramref name="chipCacheBytes"/>: regenerate RRAM layers from the seed, keeping at most that many bytes programmed.
    /// </summary>
    public static ILinearPlacer Placer(HardwareSpec? hw, ulong seed, RramPath path, FunctionalPlan? plan = null, long? chipCacheBytes = null)
        => hw is null ? IdealPlacer.Instance : new RramPlacer(new RramFormat(hw.Rram), seed, path, plan, hw) { ChipCacheBytes = chipCacheBytes };

    /// <summary>The hardware with rram.noise.weight_noise.sigma replaced (the paper's abstract noise level).</summary>
    public static HardwareSpec WithWeightNoiseSigma(HardwareSpec hw, double sigma)
        => hw with { Rram = hw.Rram with { Noise = hw.Rram.Noise with { WeightNoise = hw.Rram.Noise.WeightNoise with { Sigma = sigma } } } };

    /// <summary>"statistical" / "bit-accurate" (also "bit_accurate") to a device path.</summary>
    public static RramPath ParsePath(string text) => text.Trim().ToLowerInvariant().Replace('_', '-') switch
    {
        "statistical" or "stat" => RramPath.Statistical,
        "bit-accurate" or "bitaccurate" or "exact" => RramPath.BitAccurate,
        _ => throw new UserInputException($"--path '{text}': expected 'statistical' or 'bit-accurate'"),
    };

    public static string PathName(RramPath path) => path == RramPath.BitAccurate ? "bit_accurate" : "statistical";
}
