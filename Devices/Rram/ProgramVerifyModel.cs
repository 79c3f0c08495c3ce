using CimSim.Devices.Config;
using MathNet.Numerics;

namespace CimSim.Devices.Rram;

/// <summary>Closed-form program-and-verify statistics of one conductance level (docs/lifecycle.md, "Programming W0").</summary>
/// <param name="TargetSiemens">Target conductance G of the level.</param>
/// <param name="SigmaSiemens">Spread of one write pulse at G (the programming-noise model).</param>
/// <param name="AcceptProbability">p = erf(tol / (sigma sqrt 2)) per attempt (1 when sigma is 0).</param>
/// <param name="MeanIterations">E[attempts] = (1 - (1 - p)^N) / p with the cap N = max_iterations.</param>
/// <param name="FailFraction">(1 - p)^N: cells left outside the tolerance after N attempts.</param>
/// <param name="ResidualVarianceSiemens2">E[(G - G_target)^2] after verify (accepted: truncated Gaussian; failed: its tails).</param>
public sealed record ProgramVerifyLevel(double TargetSiemens, double SigmaSiemens, double AcceptProbability, double MeanIterations,
    double FailFraction, double ResidualVarianceSiemens2);

/// <summary>
/// Program-and-verify of W0 as a device model (docs/lifecycle.md, "Programming W0"): every attempt is one write pulse
/// whose result is G_target + sigma(G) z (z ~ N(0, 1), sigma from rram.noise.programming) and one verify read; the cell
/// is accepted when |G - G_target| &lt;= tol. Per level, with p = erf(tol / (sigma sqrt 2)) and the cap N:
/// E[attempts] = (1 - (1-p)^N) / p, fail fraction (1-p)^N, residual variance
/// sigma^2 [(1 - f)(1 - 2 a phi(a) / p) + f (1 + 2 a phi(a) / (1 - p))], a = tol / sigma. A row is programmed with all
/// its cells in parallel and lasts until its slowest cell is done: E[max] = sum_{k=0}^{N-1} 1 - (1 - E_l[(1-p_l)^k])^C
/// over C cells whose levels are drawn uniformly from the 2^b levels (the stated assumption for the level mix).
/// Energy per attempt: one pulse (program_verify.pulse_energy_pj) plus the verify read, priced from the array's own
/// tables (one cell read and one ADC conversion). Off (or no programming noise): one attempt per cell, zero residual.
/// </summary>
public sealed class ProgramVerifyModel
{
    private readonly double[] _levelFail; // (1 - p_l) per level, for the row maximum

    /// <param name="format">The RRAM format (levels, sigma(G)).</param>
    /// <param name="verifyEnergyPicojoules">Energy of one verify read of one cell (cell read + its ADC conversion), picojoules.</param>
    /// <param name="verifySeconds">Time of one verify read (read pulse + ADC conversion), seconds.</param>
    public ProgramVerifyModel(RramFormat format, double verifyEnergyPicojoules, double verifySeconds)
    {
        ArgumentNullException.ThrowIfNull(format);
        Format = format;
        Spec = format.Spec.ProgramVerify;
        VerifyEnergyPicojoules = verifyEnergyPicojoules;
        VerifySeconds = verifySeconds;
        var levels = new ProgramVerifyLevel[format.DigitMax + 1];
        for (int d = 0; d <= format.DigitMax; d++)
        {
            double g = format.GMinSiemens + d * format.ConductanceStepSiemens;
            levels[d] = Level(g, format.ProgrammingNoiseOn ? format.ProgrammingSigmaSiemens(g) : 0,
                Spec.Enabled ? format.ProgramVerifyToleranceSiemens : double.PositiveInfinity, Spec.Enabled ? Spec.MaxIterations : 1);
        }
        Levels = levels;
        _levelFail = levels.Select(l => 1 - l.AcceptProbability).ToArray();
        MeanIterationsPerCell = levels.Average(l => l.MeanIterations);
        FailFraction = levels.Average(l => l.FailFraction);
        ResidualStdSiemens = Math.Sqrt(levels.Average(l => l.ResidualVarianceSiemens2));
        SinglePulseStdSiemens = Math.Sqrt(levels.Average(l => l.SigmaSiemens * l.SigmaSiemens));
    }

    public RramFormat Format { get; }
    public ProgramVerifySpec Spec { get; }

    /// <summary>True when verify iterations apply (enabled).</summary>
    public bool Enabled => Spec.Enabled;

    /// <summary>Per-level statistics, level 0 (G_min) first.</summary>
    public IReadOnlyList<ProgramVerifyLevel> Levels { get; }

    /// <summary>Mean attempts (write pulses) per cell over uniformly drawn levels.</summary>
    public double MeanIterationsPerCell { get; }

    /// <summary>Fraction of cells that end outside the tolerance.</summary>
    public double FailFraction { get; }

    /// <summary>RMS error |G - G_target| after verify over uniformly drawn levels, siemens.</summary>
    public double ResidualStdSiemens { get; }

    /// <summary>RMS error of one unverified write pulse over uniformly drawn levels, siemens.</summary>
    public double SinglePulseStdSiemens { get; }

    public double VerifyEnergyPicojoules { get; }
    public double VerifySeconds { get; }

    /// <summary>Energy of one attempt on one cell: write pulse + verify read, picojoules.</summary>
    public double IterationEnergyPicojoules => Spec.PulseEnergyPicojoules + VerifyEnergyPicojoules;

    /// <summary>Time of one attempt: write pulse + verify read, seconds.</summary>
    public double IterationSeconds => Spec.PulseSeconds + VerifySeconds;

    /// <summary>Mean energy to program one cell, picojoules: E[attempts] x (pulse + verify).</summary>
    public double EnergyPicojoulesPerCell => MeanIterationsPerCell * IterationEnergyPicojoules;

    /// <summary>Mean attempts of a row of <paramref name="cellsPerRow"/> cells written in parallel: E[max over the row].</summary>
    public double MeanRowIterations(int cellsPerRow)
    {
        if (!Spec.Enabled) return 1;
        double sum = 0;
        for (int k = 0; k < Spec.MaxIterations; k++)
        {
            // P(one cell needs more than k attempts) = E_l[(1 - p_l)^k]; P(row needs more) = 1 - (1 - that)^C.
            double more = 0;
            foreach (var q in _levelFail) more += Math.Pow(q, k);
            more /= _levelFail.Length;
            double rowMore = 1 - Math.Pow(1 - more, cellsPerRow);
            sum += rowMore;
            if (rowMore < 1e-15) break;
        }
        return sum;
    }

    /// <summary>Full re-programmings of W0 a cell survives on average: endurance / E[attempts].</summary>
    public double ReprogrammingsSurvived => Spec.EnduranceCycles / MeanIterationsPerCell;

    /// <summary>Full re-programmings the worst cell (one that uses every attempt) survives: endurance / max_iterations.</summary>
    public double ReprogrammingsSurvivedWorstCell => Spec.EnduranceCycles / (Spec.Enabled ? Spec.MaxIterations : 1);

    /// <summary>The closed form of one level: target g, pulse spread sigma, tolerance tol, cap n.</summary>
    public static ProgramVerifyLevel Level(double g, double sigma, double tol, int n)
    {
        if (!(sigma > 0)) return new ProgramVerifyLevel(g, 0, 1, 1, 0, 0);
        if (double.IsPositiveInfinity(tol)) return new ProgramVerifyLevel(g, sigma, 1, 1, 0, sigma * sigma); // one pulse, no verify
        double a = tol / sigma;
        double p = SpecialFunctions.Erf(a / Math.Sqrt(2));
        double q = 1 - p;
        double fail = Math.Pow(q, n);
        double mean = p > 0 ? (1 - fail) / p : n;
        double phi = Math.Exp(-a * a / 2) / Math.Sqrt(2 * Math.PI);
        double inside = p > 1e-300 ? 1 - 2 * a * phi / p : 0;           // E[z^2 | |z| <= a]
        double outside = q > 1e-300 ? 1 + 2 * a * phi / q : 1 + a * a;  // E[z^2 | |z| > a]
        double variance = sigma * sigma * ((1 - fail) * inside + fail * outside);
        return new ProgramVerifyLevel(g, sigma, p, mean, fail, variance);
    }
}
