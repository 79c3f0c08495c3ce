using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Tests.Devices.Rram;

namespace CimSim.Tests.Lifecycle;

/// <summary>
/// Drift under the offset encoding (docs/devices.md, "Drift"): the reference column's cells drift by the same law as
/// the weight cells, so a common nu scales every weight by s = (t/t0)^-nu with no bias shift, and only the dispersion of
/// nu is left as noise. Checked against closed forms written out here, not against the programmer's own sums.
/// </summary>
public class ReferenceDriftTests
{
    private const double T0 = 20, T = 30 * 86400.0;

    private static RramSpec Spec(double nu, double nuSigma, OffsetSubtraction sub, int bitsPerCell = 8) =>
        RramTestSpecs.NoiseFree(WeightEncoding.Offset, bitsPerCell) with
        {
            Array = RramTestSpecs.NoiseFree(WeightEncoding.Offset, bitsPerCell).Array with { OffsetSubtraction = sub },
            Device = new RramDeviceSpec { GMinMicrosiemens = 1, GMaxMicrosiemens = 10 },
            Noise = RramTestSpecs.NoiseOff with { Drift = new DriftSpec { Enabled = true, Nu = nu, NuSigma = nuSigma, T0Seconds = T0, TSeconds = T } },
        };

    private static float[] Weights(int n) => Enumerable.Range(0, n).Select(k => (float)Math.Sin(0.37 * k + 0.1)).ToArray();

    [TestCase(8)]
    [TestCase(4)] // two slices, each with its own reference digit (8 and 0) and a drifted G_min reference
    public void Program_CommonNuAnalogSubtraction_WeightsScaleByPowerLawWithoutBias(int bitsPerCell)
    {
        const double nu = 0.06;
        var layer = RramLinearLayer.Program(Weights(16 * 32), 16, 32, Spec(nu, 0, OffsetSubtraction.Analog, bitsPerCell), 1, "r");
        var eff = layer.EffectiveWeights();
        double s = Math.Pow(T / T0, -nu);
        for (int idx = 0; idx < eff.Length; idx++)
        {
            float scale = layer.WeightScales[idx / 32];
            int q = WeightQuantizer.Level(Weights(16 * 32)[idx], scale, 127);
            Assert.That(eff[idx], Is.EqualTo(q * s * scale).Within(2e-5 * 127 * scale), $"weight {idx} (q = {q})");
        }
    }

    [Test]
    public void Program_CommonNuDigitalSubtraction_OnlyTheDigitalOffsetStaysUndrifted()
    {
        // The G_min reference column drifts with the cells; the offset 2^(B-1) is subtracted after the ADC, a
        // constant that does not drift: W = ((q + 128) s - 128) scale.
        const double nu = 0.06;
        var w = Weights(8 * 32);
        var layer = RramLinearLayer.Program(w, 8, 32, Spec(nu, 0, OffsetSubtraction.Digital), 1, "r");
        var eff = layer.EffectiveWeights();
        double s = Math.Pow(T / T0, -nu);
        for (int idx = 0; idx < eff.Length; idx++)
        {
            float scale = layer.WeightScales[idx / 32];
            int q = WeightQuantizer.Level(w[idx], scale, 127);
            Assert.That(eff[idx], Is.EqualTo(((q + 128) * s - 128) * scale).Within(2e-5 * 255 * scale), $"weight {idx}");
        }
    }

    [Test]
    public void Program_DispersedNu_MeanAndVarianceMatchTheLognormalClosedForm()
    {
        // Every weight at q = 127 (digit 255, reference digit 128): e = (g0 + 255) s_cell - (g0 + 128) s_ref with
        // g0 = G_min / dG and s = exp(-nu L), L = ln(t/t0), nu ~ N(mu, sigma) (mu/sigma = 5: the clamp at 0 is negligible).
        // s is lognormal: E[s] = exp(-mu L + sigma^2 L^2 / 2), Var[s] = (exp(sigma^2 L^2) - 1) E[s]^2; cell and reference
        // are independent, so E[e] = 127 E[s] and Var[e] = ((g0 + 255)^2 + (g0 + 128)^2) Var[s].
        const double mu = 0.1, sigma = 0.02;
        const int outF = 64, inF = 1024;
        var w = Enumerable.Repeat(1f, outF * inF).ToArray();
        var layer = RramLinearLayer.Program(w, outF, inF, Spec(mu, sigma, OffsetSubtraction.Analog), 7, "r");
        var eff = layer.EffectiveWeights();
        var e = eff.Select((v, idx) => (double)v / layer.WeightScales[idx / inF]).ToArray();

        double l = Math.Log(T / T0), g0 = 1.0 / (9.0 / 255);
        double es = Math.Exp(-mu * l + sigma * sigma * l * l / 2), vs = (Math.Exp(sigma * sigma * l * l) - 1) * es * es;
        double mean = e.Average(), variance = e.Select(x => (x - mean) * (x - mean)).Sum() / (e.Length - 1);
        double expectedVar = (Math.Pow(g0 + 255, 2) + Math.Pow(g0 + 128, 2)) * vs;
        // Reference cells are shared by the 16 columns of an array: 4 blocks x 1024 rows = 4096 independent draws, so
        // the sample moments are looser than 65,536 independent weights would give (5 standard errors of the mean).
        Assert.That(mean, Is.EqualTo(127 * es).Within(5 * Math.Sqrt(expectedVar / 4096)));
        Assert.That(variance, Is.EqualTo(expectedVar).Within(0.12 * expectedVar));
        // Without the reference drifting the mean would sit near (g0 + 255) E[s] - (g0 + 128), far below 127 E[s].
        Assert.That((g0 + 255) * es - (g0 + 128), Is.LessThan(127 * es - 10 * Math.Sqrt(expectedVar / 4096)));
    }
}
