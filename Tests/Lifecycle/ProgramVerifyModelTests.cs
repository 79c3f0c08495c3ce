using CimSim.Common.Random;
using CimSim.Devices.Config;
using CimSim.Devices.Numerics;
using CimSim.Devices.Rram;

namespace CimSim.Tests.Lifecycle;

/// <summary>Program-and-verify (docs/lifecycle.md, "Programming W0") against Monte Carlo runs of the algorithm itself.</summary>
public class ProgramVerifyModelTests
{
    private const double SigmaUs = 0.5, TolUs = 0.3;

    private static RramSpec Spec(int maxIterations, bool enabled = true) => HardwareConfigLoader.ApplyOverrides(new HardwareSpec(),
    [
        "rram.noise.programming.impl=gaussian-absolute", $"rram.noise.programming.sigma_us={SigmaUs}", "rram.noise.programming.clip=false",
        "rram.noise.weight_noise.sigma=0", $"rram.program_verify.enabled={(enabled ? "true" : "false")}",
        $"rram.program_verify.tolerance_us={TolUs}", $"rram.program_verify.max_iterations={maxIterations}",
    ]).Rram;

    /// <summary>The algorithm: pulses until |sigma z| &lt;= tol, at most n; returns (attempts, final deviation).</summary>
    private static (int Attempts, double Dev) Simulate(Gaussian g, double sigma, double tol, int n)
    {
        double dev = sigma * g.Next();
        int k = 1;
        for (; k < n && Math.Abs(dev) > tol; k++) dev = sigma * g.Next();
        return (k, dev);
    }

    [TestCase(20)]
    [TestCase(3)]
    public void MeanIterationsPerCell_GaussianModel_MatchesMonteCarlo(int cap)
    {
        var model = new RramArrayModel(Spec(cap)).ProgramVerify;
        var g = new Gaussian(RandomStreams.Create(7, "pv-test"));
        const int Cells = 200_000;
        double sum = 0, sumSq = 0, fails = 0;
        for (int c = 0; c < Cells; c++)
        {
            var (k, dev) = Simulate(g, SigmaUs, TolUs, cap);
            sum += k;
            sumSq += (double)k * k;
            if (Math.Abs(dev) > TolUs) fails++;
        }
        double mean = sum / Cells, se = Math.Sqrt((sumSq / Cells - mean * mean) / Cells);
        // Independent closed form: p = erf(tol / (sigma sqrt 2)) = 2 Phi(tol / sigma) - 1.
        double p = 2 * MathNet.Numerics.Distributions.Normal.CDF(0, 1, TolUs / SigmaUs) - 1;
        Assert.That(model.MeanIterationsPerCell, Is.EqualTo((1 - Math.Pow(1 - p, cap)) / p).Within(1e-9));
        Assert.That(model.MeanIterationsPerCell, Is.EqualTo(mean).Within(4 * se));
        Assert.That(model.FailFraction, Is.EqualTo(fails / Cells).Within(4 * Math.Sqrt(model.FailFraction * (1 - model.FailFraction) / Cells) + 1e-6));
    }

    [Test]
    public void MeanRowIterations_SixtyFourCells_MatchesMonteCarloOfTheSlowestCell()
    {
        var array = new RramArrayModel(Spec(20));
        var g = new Gaussian(RandomStreams.Create(8, "pv-row"));
        const int Rows = 20_000;
        double sum = 0, sumSq = 0;
        for (int r = 0; r < Rows; r++)
        {
            int max = 0;
            for (int c = 0; c < array.Columns; c++) max = Math.Max(max, Simulate(g, SigmaUs, TolUs, 20).Attempts);
            sum += max;
            sumSq += (double)max * max;
        }
        double mean = sum / Rows, se = Math.Sqrt((sumSq / Rows - mean * mean) / Rows);
        Assert.That(array.ProgramVerify.MeanRowIterations(array.Columns), Is.EqualTo(mean).Within(4 * se));
    }

    [Test]
    public void ProgramOutputs_WithProgramVerify_ResidualStdMatchesClosedFormAndIsWithinTolerance()
    {
        var noisy = new RramFormat(Spec(20));
        var exact = new RramFormat(Spec(20) with { Noise = new RramNoiseSpec { WeightNoise = new WeightNoiseSpec { Sigma = 0 } } });
        const int Out = 64, In = 256;
        var rng = RandomStreams.Create(9, "pv-weights");
        var w = new float[Out * In];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1);
        var scales = Enumerable.Repeat(1f / 127, Out).ToArray();
        float[][] Program(RramFormat f)
        {
            var slices = new[] { new float[Out * In] };
            new CellProgrammer(f, In).ProgramOutputs(w, scales, slices, null, null, 0, Out, 3, "pv", "pv");
            return slices;
        }
        var a = Program(noisy)[0];
        var b = Program(exact)[0];
        double sumSq = 0, worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double devUs = (a[i] - b[i]) * noisy.ConductanceStepSiemens * 1e6;
            sumSq += devUs * devUs;
            worst = Math.Max(worst, Math.Abs(devUs));
        }
        double rms = Math.Sqrt(sumSq / a.Length);
        // Truncated Gaussian on [-a, a] (a = tol / sigma): E[z^2] = 1 - 2 a phi(a) / (2 Phi(a) - 1).
        double t = TolUs / SigmaUs, phi = Math.Exp(-t * t / 2) / Math.Sqrt(2 * Math.PI);
        double p = 2 * MathNet.Numerics.Distributions.Normal.CDF(0, 1, t) - 1;
        double expected = SigmaUs * Math.Sqrt(1 - 2 * t * phi / p);
        Assert.That(rms, Is.EqualTo(expected).Within(0.03 * expected));
        Assert.That(new RramArrayModel(Spec(20)).ProgramVerify.ResidualStdSiemens * 1e6, Is.EqualTo(expected).Within(1e-3 * expected));
        Assert.That(rms, Is.LessThan(TolUs));
        Assert.That(worst, Is.LessThanOrEqualTo(TolUs + 1e-4), "with 20 attempts no cell of 16 Ki is expected outside the tolerance (fail fraction 6e-6)");
    }

    [Test]
    public void CellWrite_ProgramVerifyOn_IsMeanIterationsTimesPulsePlusVerify()
    {
        var array = new RramArrayModel(Spec(20));
        var pv = array.ProgramVerify;
        double verify = array.CellReadEnergyPicojoules(array.MeanConductanceSiemens) + array.Spec.Adc.SampleHold.EnergyPicojoules + array.Adc.EnergyPicojoulesPerConversion;
        Assert.That(array.Tables[0].Energy[RramArrayModel.CellWrite], Is.EqualTo(pv.MeanIterationsPerCell * (4.0 + verify)).Within(1e-9));
        Assert.That(new RramArrayModel(Spec(20, enabled: false)).Tables[0].Energy[RramArrayModel.CellWrite], Is.EqualTo(4.0), "off: rram.device.write_energy_pj");
    }

    [Test]
    public void ReprogrammingsSurvived_Endurance_IsEnduranceOverMeanPulses()
    {
        var pv = new RramArrayModel(Spec(20)).ProgramVerify;
        Assert.That(pv.ReprogrammingsSurvived, Is.EqualTo(1e5 / pv.MeanIterationsPerCell).Within(1e-6));
        Assert.That(pv.ReprogrammingsSurvivedWorstCell, Is.EqualTo(1e5 / 20).Within(1e-9));
    }
}
