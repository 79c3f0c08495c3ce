using CimSim.Common.Random;
using CimSim.Devices.Numerics;

namespace CimSim.Devices.Rram;

/// <summary>
/// Programs weight digits into cells and applies the per-cell non-idealities in the order a chip sees them
/// (docs/devices.md, "Non-idealities"): target conductance -> programming noise (clipped at 0 S) ->
/// stuck-at faults (override) -> drift (not for stuck cells) -> first-order IR drop. Then the paper's abstract
/// weight noise is added in the weight domain.
/// </summary>
internal sealed class CellProgrammer(RramKernelSettings s, int inFeatures)
{
    private readonly double _gMin = s.GMinSiemens, _gMax = s.GMaxSiemens, _dG = s.ConductanceStepSiemens;
    private readonly double _driftRatio = s.Drift.IsOn ? s.Drift.ReadTimeSeconds / s.Drift.T0Seconds : 1;

    public RramFaultCounts ProgramRows(float[] w, float[] scales, float[][] slices, float[]? groupMax,
        int o0, int o1, ulong seed, string purpose)
    {
        int nSlices = s.SlicesPerWeight, b = s.BitsPerCell, qMax = s.WeightQMax, offset = s.WeightOffset;
        int digitMask = s.DigitMax, npol = s.CellsPerSlice;
        bool cellNoise = s.AnyCellNoise;
        var prog = s.ProgrammingNoise.IsOn ? new Gaussian(RandomStreams.Create(seed, purpose + "/programming")) : null;
        var stuck = s.StuckAtGminRate > 0 || s.StuckAtGmaxRate > 0 ? RandomStreams.Create(seed, purpose + "/stuck-at") : null;
        var drift = s.Drift.IsOn && s.Drift.NuStd > 0 ? new Gaussian(RandomStreams.Create(seed, purpose + "/drift")) : null;
        var weightNoise = groupMax != null ? new Gaussian(RandomStreams.Create(seed, purpose + "/weight-noise")) : null;
        int weightsPerArray = Math.Max(1, s.ArrayColumns / (nSlices * npol));
        long cells = 0, sa0 = 0, sa1 = 0;
        float topShift = (float)Math.Pow(2, b * (nSlices - 1));

        for (int o = o0; o < o1; o++)
        {
            float scale = scales[o];
            int colBase = (o % weightsPerArray) * nSlices * npol;
            for (int i = 0; i < inFeatures; i++)
            {
                long idx = (long)o * inFeatures + i;
                int q = WeightQuantizer.Level(w[idx], scale, qMax);
                int stored = npol == 2 ? Math.Abs(q) : q + offset;
                int row = i % s.ArrayRows;
                for (int sl = 0; sl < nSlices; sl++)
                {
                    int d = (stored >> (b * sl)) & digitMask;
                    float e;
                    if (!cellNoise) e = npol == 2 && q < 0 ? -d : d;
                    else if (npol == 2)
                    {
                        int dp = q > 0 ? d : 0, dn = q < 0 ? d : 0;
                        double gp = Cell(dp, row, colBase + sl * 2, prog, stuck, drift, ref sa0, ref sa1);
                        double gn = Cell(dn, row, colBase + sl * 2 + 1, prog, stuck, drift, ref sa0, ref sa1);
                        e = (float)((gp - gn) / _dG);
                    }
                    else
                    {
                        double g = Cell(d, row, colBase + sl, prog, stuck, drift, ref sa0, ref sa1);
                        e = (float)((g - _gMin) / _dG);
                    }
                    slices[sl][idx] = e;
                }
                cells += nSlices * npol;
                if (weightNoise != null && scale > 0)
                {
                    // HaLoRA abstract model: W += N(0, (sigma max|W|_group)^2), expressed in integer weight units
                    // and carried by the most significant slice.
                    double sigmaQ = s.WeightNoise.Sigma * groupMax![idx] / scale;
                    slices[nSlices - 1][idx] += (float)(sigmaQ * weightNoise.Next() / topShift);
                }
            }
        }
        return new RramFaultCounts(cells, sa0, sa1);
    }

    private double Cell(int digit, int row, int column, Gaussian? prog, System.Random? stuck, Gaussian? drift, ref long sa0, ref long sa1)
    {
        double g = _gMin + digit * _dG;
        if (prog != null) g = Math.Max(0, g + ProgrammingSigma(g) * prog.Next());
        bool isStuck = false;
        if (stuck != null)
        {
            double u = stuck.NextDouble();
            if (u < s.StuckAtGminRate) { g = _gMin; sa0++; isStuck = true; }
            else if (u < s.StuckAtGminRate + s.StuckAtGmaxRate) { g = _gMax; sa1++; isStuck = true; }
        }
        if (s.Drift.IsOn && !isStuck)
        {
            double nu = s.Drift.NuMean + (drift != null ? s.Drift.NuStd * drift.Next() : 0);
            if (nu > 0) g *= Math.Pow(_driftRatio, -nu);
        }
        else if (drift != null) drift.Next(); // keep the drift stream aligned cell by cell
        if (s.WireResistanceOhms > 0)
        {
            // First-order IR drop: the cell's current crosses (column + 1) row-wire segments from the driver and
            // (rows - row) column-wire segments to the sense node; G_eff = G / (1 + G R_path).
            int col = column % s.ArrayColumns;
            double rPath = s.WireResistanceOhms * ((col + 1) + (s.ArrayRows - row));
            g /= 1 + g * rPath;
        }
        return g;
    }

    /// <summary>sigma(G) in siemens for the configured programming-noise kind.</summary>
    public double ProgrammingSigma(double g)
    {
        var pn = s.ProgrammingNoise;
        switch (pn.Kind)
        {
            case ProgrammingNoiseKind.Absolute: return pn.Sigma;
            case ProgrammingNoiseKind.RelativeToGmax: return pn.Sigma * _gMax;
            case ProgrammingNoiseKind.RelativeToG: return pn.Sigma * g;
            case ProgrammingNoiseKind.Polynomial:
                {
                    double x = g / _gMax, acc = 0, xp = 1;
                    foreach (var c in pn.PolynomialMicrosiemens) { acc += c * xp; xp *= x; }
                    return Math.Max(0, acc) * 1e-6 * (_gMax / pn.ReferenceGmaxSiemens);
                }
            default: return 0;
        }
    }
}
