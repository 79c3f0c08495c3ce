using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;

namespace CimSim.Simulator.Functional;

/// <summary>How the functional simulation places W0 given a hardware config (or none: ideal devices).</summary>
public static class FunctionalHardware
{
    /// <summary>Placer for chip instance <paramref name="seed"/>: ideal when <paramref name="hw"/> is null.</summary>
    public static ILinearPlacer Placer(HardwareSpec? hw, ulong seed, RramPath path)
        => hw is null ? IdealPlacer.Instance : new RramPlacer(KernelSettings(hw.Rram), seed, path);

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

    /// <summary>The functional kernel's settings from the RRAM part of a hardware spec (docs/devices.md names each field).</summary>
    public static RramKernelSettings KernelSettings(RramSpec r)
    {
        var n = r.Noise;
        var prog = n.Programming.Impl switch
        {
            ProgrammingNoiseModel.GaussianAbsolute => new ProgrammingNoiseSettings { Kind = ProgrammingNoiseKind.Absolute, Sigma = n.Programming.SigmaMicrosiemens * 1e-6 },
            ProgrammingNoiseModel.GaussianRelativeGmax => new ProgrammingNoiseSettings { Kind = ProgrammingNoiseKind.RelativeToGmax, Sigma = n.Programming.Sigma },
            ProgrammingNoiseModel.GaussianRelativeG => new ProgrammingNoiseSettings { Kind = ProgrammingNoiseKind.RelativeToG, Sigma = n.Programming.Sigma },
            ProgrammingNoiseModel.Polynomial => new ProgrammingNoiseSettings
            {
                Kind = ProgrammingNoiseKind.Polynomial,
                PolynomialMicrosiemens = n.Programming.CoefficientsMicrosiemens.ToArray(),
                ReferenceGmaxSiemens = n.Programming.FitGMaxMicrosiemens * 1e-6,
            },
            _ => new ProgrammingNoiseSettings(),
        };
        var wn = n.WeightNoise;
        return new RramKernelSettings
        {
            ArrayRows = r.Array.Rows,
            ArrayColumns = r.Array.Cols,
            WeightBits = r.Array.WeightBits,
            BitsPerCell = r.Array.BitsPerCell,
            Encoding = r.Array.Encoding == WeightEncoding.Differential ? SignedEncoding.DifferentialPair : SignedEncoding.OffsetColumn,
            WeightQuantization = r.Array.WeightQuantization == WeightQuantizationGranularity.PerTensor ? WeightQuantization.PerTensor : WeightQuantization.PerOutputChannel,
            InputQuantization = r.Dac.InputQuantization == InputQuantizationGranularity.PerTensor ? InputQuantization.PerTensor : InputQuantization.PerToken,
            InputBits = r.Dac.InputBits,
            DacBits = r.Dac.BitSerial ? Math.Min(r.Dac.Bits, r.Dac.InputBits) : r.Dac.InputBits,
            AdcBits = r.Adc.Ideal ? 0 : r.Adc.Bits,
            AdcRangeFraction = r.Adc.Range.FullScale == AdcFullScaleMode.Fraction ? r.Adc.Range.ClipFraction : 1.0,
            GMinSiemens = r.Device.GMinMicrosiemens * 1e-6,
            GMaxSiemens = r.Device.GMaxMicrosiemens * 1e-6,
            ProgrammingNoise = prog,
            ReadNoiseRelativeToGmax = n.Read.Sigma,
            StuckAtGminRate = n.StuckAt.RateGmin,
            StuckAtGmaxRate = n.StuckAt.RateGmax,
            Drift = n.Drift.Enabled
                ? new DriftSettings { NuMean = n.Drift.Nu, NuStd = n.Drift.NuSigma, T0Seconds = n.Drift.T0Seconds, ReadTimeSeconds = n.Drift.TSeconds }
                : new DriftSettings(),
            WireResistanceOhms = n.IrDrop.Enabled ? n.IrDrop.WireResistanceOhmPerCell : 0,
            WeightNoise = new WeightNoiseSettings
            {
                Scope = wn.Sigma <= 0 ? WeightNoiseScope.None : wn.Scale switch
                {
                    WeightNoiseScale.Layer => WeightNoiseScope.Layer,
                    WeightNoiseScale.Weight => WeightNoiseScope.Weight,
                    _ => WeightNoiseScope.Tile,
                },
                Sigma = wn.Sigma,
                TileRows = wn.TileRows,
                TileColumns = wn.TileCols,
            },
        };
    }
}
