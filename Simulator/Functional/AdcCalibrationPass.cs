using CimSim.Common.Random;
using CimSim.Devices.Rram;
using Serilog;

namespace CimSim.Simulator.Functional;

/// <summary>
/// The calibration pass of a programmed chip (docs/devices.md, "ADC calibration"): a few seeded prompts run
/// through the model while every RRAM layer whose ADC needs a range collects its inputs (reading ideally),
/// then each layer fixes its ranges per array, weight slice and DAC step. The prompts come from the chip's
/// seed, so `infer`, `accuracy` and `noise-profile` with the same seed calibrate the same chip identically.
/// </summary>
public static class AdcCalibrationPass
{
    /// <summary>Calibration prompts per chip.</summary>
    public const int Prompts = 8;

    /// <summary>Tokens per calibration prompt.</summary>
    public const int TokensPerPrompt = 64;

    /// <summary>
    /// Calibration tokens of lm_head (the other layers use up to <see cref="RramLinearLayer.CalibrationTokens"/>): every
    /// 4th of the 512 prompt tokens, 16 from each prompt. Its partial-sum GEMMs scale with tokens x vocabulary, which made
    /// lm_head most of the calibrated build; each of its groups still samples 8192 partial sums, as the other layers do
    /// (docs/accuracy.md, "Benchmark", shows the top-1 effect on the fixture within the seed spread).
    /// </summary>
    public const int LmHeadTokens = 128;

    /// <summary>Calibrates every RRAM layer of <paramref name="model"/> that needs it; returns how many layers were calibrated.</summary>
    public static int Run(FunctionalModel model, ulong seed)
    {
        var layers = model.Executors.OfType<RramLinear>().Select(r => r.Layer).Where(l => l.NeedsAdcCalibration && !l.AdcCalibrated).ToList();
        if (layers.Count == 0) return 0;
        foreach (var l in layers) l.BeginAdcCalibration();
        var rng = RandomStreams.Create(seed, "adc-calibration/prompts");
        for (int p = 0; p < Prompts; p++)
        {
            var tokens = new int[TokensPerPrompt];
            for (int t = 0; t < tokens.Length; t++) tokens[t] = rng.Next(model.Spec.VocabSize);
            new InferenceSession(model, tokens.Length).Forward(tokens);
        }
        var lmHead = (model.LmHead as RramLinear)?.Layer;
        foreach (var l in layers) l.EndAdcCalibration(ReferenceEquals(l, lmHead) ? LmHeadTokens : RramLinearLayer.CalibrationTokens);
        Log.Debug("ADC calibration: {Layers} RRAM layers on {Prompts} x {Tokens} seeded tokens", layers.Count, Prompts, TokensPerPrompt);
        return layers.Count;
    }
}
