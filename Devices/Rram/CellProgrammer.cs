using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using CimSim.Common.Random;
using CimSim.Devices.Config;
using CimSim.Devices.Numerics;

namespace CimSim.Devices.Rram;

/// <summary>
/// Programs weight digits into cells and applies the per-cell non-idealities in the order a chip sees them
/// (docs/devices.md, "Non-idealities"): target conductance -> programming noise (clipped to [G_min, G_max], or
/// at 0 S when clip is off) -> stuck-at faults (override) -> drift (not for stuck cells) -> first-order IR drop.
/// Then the paper's abstract weight noise is added in the weight domain. Under the offset encoding every weight is
/// read against a reference column (G_min plus the offset level with analog subtraction, G_min with digital): its
/// cells are programmed ideally but drift by the same law, each with its own nu (docs/devices.md, "Drift"). With global
/// drift compensation each array's output is multiplied by sum G(t0) / sum G(t_ref), the decay its reference read measured
/// (docs/lifecycle.md, "Drift compensation").
/// </summary>
internal sealed class CellProgrammer(RramFormat f, int inFeatures)
{
    private readonly double _gMin = f.GMinSiemens, _gMax = f.GMaxSiemens, _dG = f.ConductanceStepSiemens;
    private readonly double _driftRatio = f.DriftOn ? f.Spec.Noise.Drift.TSeconds / f.Spec.Noise.Drift.T0Seconds : 1;
    private readonly double _pvTol = f.ProgramVerifyToleranceSiemens;
    private readonly double _readSigmaRelG = f.ReadNoiseRelativeToG ? f.Spec.Noise.Read.Sigma : 0;
    private readonly double _refReadRatio = f.DriftCompensationOn ? f.DriftReferenceReadSeconds / f.Spec.Noise.Drift.T0Seconds : 1;

    // The reference column's digit of each slice (offset level with analog subtraction, else 0), removed from every cell's.
    private readonly int[] _referenceDigits = Enumerable.Range(0, f.SlicesPerWeight).Select(f.ReferenceDigit).ToArray();

    /// <summary>
    /// Programs outputs (bit-line columns) [o0, o1); fills slices (and read-variance matrices when read noise is relative
    /// to G). <paramref name="w"/> holds the weights of rows <paramref name="rowBase"/>.. (the whole matrix when 0, a block
    /// of it when a layer is programmed block by block); scales, slices and the rest are indexed by the matrix's rows.
    /// </summary>
    public RramFaultCounts ProgramOutputs(float[] w, float[] scales, float[][] slices, float[][]? readVar, WeightNoiseReference? groupMax,
        int o0, int o1, ulong seed, string purpose, string layerPurpose, int rowBase = 0)
    {
        if (!f.AnyCellNoise && readVar == null) return ProgramExactCells(w, rowBase, scales, slices, groupMax, o0, o1, seed, purpose);
        long wBase = (long)rowBase * inFeatures;
        int nSlices = f.SlicesPerWeight, b = f.BitsPerCell, qMax = f.WeightQMax, offset = f.WeightOffset;
        int digitMask = f.DigitMax, npol = f.CellsPerSlice;
        var prog = f.ProgrammingNoiseOn ? new Gaussian(RandomStreams.Create(seed, purpose + "/programming")) : null;
        var stuck = f.StuckAtOn ? RandomStreams.Create(seed, purpose + "/stuck-at") : null;
        var drift = f.DriftOn && f.Spec.Noise.Drift.NuSigma > 0 ? new Gaussian(RandomStreams.Create(seed, purpose + "/drift")) : null;
        var weightNoise = groupMax != null ? new WeightNoiseRows(f, groupMax, inFeatures, seed, purpose) : null;
        int weightsPerArray = Math.Max(1, f.ArrayColumns / (nSlices * npol));
        long cells = 0, sa0 = 0, sa1 = 0;
        // The reference column's current (offset level, analog subtraction) is removed before the ADC; programmed
        // ideally, but its cells drift like every other cell (aihwkit drifts every device of a pair), so a common nu
        // scales the stored weight instead of shifting it.
        var refDigits = _referenceDigits;
        var refDrift = npol == 1 && f.DriftOn ? new ReferenceDrift(this, f, inFeatures, nSlices, seed, layerPurpose) : null;
        // Global drift compensation: the reference read of an array (every row driven, every weight column summed) right
        // after programming and at the last periodic read, per array = (row block, column block) met in this chunk.
        bool compensate = f.DriftCompensationOn;
        int rowBlocks = (inFeatures + f.ArrayRows - 1) / f.ArrayRows, firstBlock = o0 / weightsPerArray;
        int colBlocks = compensate ? (o1 - 1) / weightsPerArray - firstBlock + 1 : 0;
        var sumAtT0 = new double[colBlocks * rowBlocks];
        var sumAtRef = new double[colBlocks * rowBlocks];

        for (int o = o0; o < o1; o++)
        {
            float scale = scales[o];
            int colBase = (o % weightsPerArray) * nSlices * npol;
            for (int i = 0; i < inFeatures; i++)
            {
                long idx = (long)o * inFeatures + i;
                int q = WeightQuantizer.Level(w[idx - wBase], scale, qMax);
                int stored = npol == 2 ? Math.Abs(q) : q + offset;
                int row = i % f.ArrayRows;
                int block = compensate ? ((o / weightsPerArray - firstBlock) * rowBlocks + i / f.ArrayRows) : 0;
                for (int sl = 0; sl < nSlices; sl++)
                {
                    int d = (stored >> (b * sl)) & digitMask;
                    float e;
                    if (npol == 2)
                    {
                        int dp = q > 0 ? d : 0, dn = q < 0 ? d : 0;
                        double gp = Cell(dp, row, colBase + sl * 2, prog, stuck, drift, ref sa0, ref sa1, out double gp0, out double gpRef);
                        double gn = Cell(dn, row, colBase + sl * 2 + 1, prog, stuck, drift, ref sa0, ref sa1, out double gn0, out double gnRef);
                        if (compensate)
                        {
                            sumAtT0[block] += gp0 + gn0;
                            sumAtRef[block] += gpRef + gnRef;
                        }
                        e = (float)((gp - gn) / _dG);
                        if (readVar != null) readVar[sl][idx] = (float)(Sq(_readSigmaRelG * gp / _dG) + Sq(_readSigmaRelG * gn / _dG));
                    }
                    else
                    {
                        double g = Cell(d, row, colBase + sl, prog, stuck, drift, ref sa0, ref sa1, out double g0, out double gRef);
                        if (compensate)
                        {
                            sumAtT0[block] += g0;
                            sumAtRef[block] += gRef;
                        }
                        // Reference cell G_ref = (G_min + r dG) s_ref: subtract its drift (G_min + r dG)(s_ref - 1) too.
                        double refShift = refDrift == null ? 0 : (_gMin + refDigits[sl] * _dG) * (refDrift.Factor(o / weightsPerArray, i, sl) - 1);
                        e = (float)((g - _gMin - refShift) / _dG);
                        if (readVar != null) readVar[sl][idx] = (float)Sq(_readSigmaRelG * g / _dG);
                    }
                    slices[sl][idx] = e - refDigits[sl];
                }
                cells += nSlices * npol;
            }
            weightNoise?.Add(w.AsSpan((o - rowBase) * inFeatures, inFeatures), o, scale, slices[nSlices - 1].AsSpan(o * inFeatures, inFeatures));
        }
        if (compensate) Compensate(slices, readVar, sumAtT0, sumAtRef, inFeatures, o0, o1, weightsPerArray, rowBlocks);
        return new RramFaultCounts(cells, sa0, sa1);
    }

    /// <summary>
    /// <see cref="ProgramOutputs"/> when no cell non-ideality is on (the default chip): every cell holds its exact digit,
    /// written row by row and vectorised, then the row's abstract weight noise. The same values as the cell-by-cell loop
    /// (tested), which it replaces for this case.
    /// </summary>
    private RramFaultCounts ProgramExactCells(float[] w, int rowBase, float[] scales, float[][] slices, WeightNoiseReference? groupMax,
        int o0, int o1, ulong seed, string purpose)
    {
        int nSlices = f.SlicesPerWeight, npol = f.CellsPerSlice;
        var top = slices[nSlices - 1];
        var weightNoise = groupMax != null ? new WeightNoiseRows(f, groupMax, inFeatures, seed, purpose) : null;
        for (int o = o0; o < o1; o++)
        {
            int start = o * inFeatures;
            var row = w.AsSpan((o - rowBase) * inFeatures, inFeatures);
            DigitsOfRow(row, scales[o], slices, start);
            weightNoise?.Add(row, o, scales[o], top.AsSpan(start, inFeatures));
        }
        return new RramFaultCounts((long)(o1 - o0) * inFeatures * nSlices * npol, 0, 0);
    }

    /// <summary>
    /// The HaLoRA abstract model (the shared NoiseModel) on one chunk's output rows, in order: W += (mean + sigma z)
    /// max|W|_group, in integer weight units (divided by the row's scale) and carried by the most significant slice.
    /// One draw per weight of every row with a positive scale, from the stream (seed, purpose + "/weight-noise") by the
    /// configured generator (docs/devices.md, "Weight noise draws"); the same for both programming paths.
    /// </summary>
    private sealed class WeightNoiseRows(RramFormat f, WeightNoiseReference groupMax, int inFeatures, ulong seed, string purpose)
    {
        private readonly bool _polar = f.WeightNoiseGenerator == NormalGenerator.Polar;
        private readonly double _sigma = f.WeightNoise.Sigma, _mean = f.WeightNoise.Mean;
        private readonly float _topShift = (float)Math.Pow(2, f.BitsPerCell * (f.SlicesPerWeight - 1));
        private readonly float[] _reference = new float[inFeatures];
        private readonly float[] _draws = new float[f.WeightNoiseGenerator == NormalGenerator.Polar ? 0 : inFeatures];
        private readonly double[] _polarValues = new double[f.WeightNoiseGenerator == NormalGenerator.Polar ? inFeatures : 0];
#pragma warning disable IDE0044 // mutable on purpose: the generators are structs whose state advances with every draw
        private PolarNormal<Xoshiro256StarStarSource> _polarDraws = f.WeightNoiseGenerator == NormalGenerator.Polar
            ? new(Xoshiro256StarStarSource.Create(seed, purpose + "/weight-noise")) : default;
        private VectorNormalStream _vectorDraws = f.WeightNoiseGenerator == NormalGenerator.Polar
            ? default : VectorNormalStream.Create(seed, purpose + "/weight-noise");
#pragma warning restore IDE0044

        /// <summary>Adds row <paramref name="o"/>'s noise to <paramref name="topRow"/> (its most significant slice); nothing when the scale is 0.</summary>
        public void Add(ReadOnlySpan<float> row, int o, float scale, Span<float> topRow)
        {
            if (scale <= 0) return;
            groupMax.FillRow(row, o, _reference);
            TensorPrimitives.Divide(_reference, scale, _reference);
            if (_polar)
            {
                _polarDraws.Fill(_polarValues);
                AddPolarNoise(topRow);
            }
            else
            {
                _vectorDraws.Fill(_draws);
                TensorPrimitives.Multiply(_draws, (float)_sigma, _draws);
                TensorPrimitives.Add(_draws, (float)_mean, _draws);
                TensorPrimitives.Multiply(_draws, _reference, _draws);
                TensorPrimitives.MultiplyAdd(_draws, 1f / _topShift, topRow, topRow);
            }
        }

        /// <summary>
        /// topRow[i] += (float)((mean + sigma z_i) ref_i / 2^(b (slices - 1))) over the row's polar draws z, in double, four
        /// lanes at a time: the same IEEE operations in the same order as the scalar expression (no fused multiply-add).
        /// </summary>
        private void AddPolarNoise(Span<float> topRow)
        {
            ReadOnlySpan<double> z = _polarValues;
            ReadOnlySpan<float> reference = _reference;
            double shift = _topShift;
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var mean = Vector256.Create(_mean);
                var sigma = Vector256.Create(_sigma);
                var vShift = Vector256.Create(shift);
                const int Lanes = 2 * 4; // two double vectors make one float vector
                for (; i <= inFeatures - Lanes; i += Lanes)
                {
                    var (refLo, refHi) = Vector256.Widen(Vector256.Create(reference.Slice(i, Lanes)));
                    var lo = (mean + sigma * Vector256.Create(z.Slice(i, 4))) * refLo / vShift;
                    var hi = (mean + sigma * Vector256.Create(z.Slice(i + 4, 4))) * refHi / vShift;
                    var row = topRow.Slice(i, Lanes);
                    (Vector256.Create((ReadOnlySpan<float>)row) + Vector256.Narrow(lo, hi)).CopyTo(row);
                }
            }
            for (; i < inFeatures; i++) topRow[i] += (float)((_mean + _sigma * z[i]) * reference[i] / shift);
        }
    }

    /// <summary>
    /// The exact stored digits of one output row, less the reference column's digit: slice s of weight i holds
    /// ((q_i + offset) >> b s) &amp; (2^b - 1) (offset encoding), or +-(|q_i| >> b s) &amp; (2^b - 1) (differential), with
    /// q_i = clamp(round_half_even(w_i / scale), -Q, Q) (<see cref="WeightQuantizer.Level"/>).
    /// </summary>
    private void DigitsOfRow(ReadOnlySpan<float> row, float scale, float[][] slices, int start)
    {
        int nSlices = f.SlicesPerWeight, b = f.BitsPerCell, qMax = f.WeightQMax, offset = f.WeightOffset, mask = f.DigitMax;
        bool differential = f.CellsPerSlice == 2;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && scale > 0)
        {
            var vScale = Vector256.Create(scale);
            var lo = Vector256.Create(-(float)qMax);
            var hi = Vector256.Create((float)qMax);
            var vOffset = Vector256.Create(offset);
            var vMask = Vector256.Create(mask);
            for (; i <= row.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var q = Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(Vector256.Round(Vector256.Create(row.Slice(i, Vector256<float>.Count)) / vScale), lo), hi));
                var negative = Vector256.LessThan(q, Vector256<int>.Zero);
                var stored = differential ? Vector256.Abs(q) : q + vOffset;
                for (int sl = 0; sl < nSlices; sl++)
                {
                    var d = (stored >> (b * sl)) & vMask;
                    if (differential) d = Vector256.ConditionalSelect(negative, -d, d);
                    (Vector256.ConvertToSingle(d) - Vector256.Create((float)_referenceDigits[sl])).CopyTo(slices[sl].AsSpan(start + i, Vector256<float>.Count));
                }
            }
        }
        for (; i < row.Length; i++)
        {
            int q = WeightQuantizer.Level(row[i], scale, qMax);
            int stored = differential ? Math.Abs(q) : q + offset;
            for (int sl = 0; sl < nSlices; sl++)
            {
                int d = (stored >> (b * sl)) & mask;
                slices[sl][start + i] = (differential && q < 0 ? -d : d) - _referenceDigits[sl];
            }
        }
    }

    /// <summary>
    /// Digital output rescale of global drift compensation: every output of an array times alpha = sum G(t0) / sum G(t_ref)
    /// (its read noise variance times alpha^2), which scales the array's partial sums, so it is applied to the stored
    /// slices (after the ADC in the chip; the same with an ideal ADC).
    /// </summary>
    private void Compensate(float[][] slices, float[][]? readVar, double[] sumAtT0, double[] sumAtRef, int inFeatures, int o0, int o1,
        int weightsPerArray, int rowBlocks)
    {
        var alpha = new float[sumAtT0.Length];
        for (int k = 0; k < alpha.Length; k++) alpha[k] = sumAtRef[k] > 0 ? (float)(sumAtT0[k] / sumAtRef[k]) : 1f;
        int firstBlock = o0 / weightsPerArray;
        for (int o = o0; o < o1; o++)
        {
            int rowOfBlocks = (o / weightsPerArray - firstBlock) * rowBlocks;
            for (int i = 0; i < inFeatures; i++)
            {
                long idx = (long)o * inFeatures + i;
                float a = alpha[rowOfBlocks + i / f.ArrayRows];
                foreach (var s in slices) s[idx] *= a;
                if (readVar != null) foreach (var v in readVar) v[idx] *= a * a;
            }
        }
    }

    private static double Sq(double v) => v * v;

    /// <summary>Drift factor (t/t0)^-nu of the reference cell of array column block cb, input row i, slice sl. One
    /// stream per column block (the reference column serves every weight column of its arrays), so every output
    /// chunk that reads the block sees the same reference cells.</summary>
    private sealed class ReferenceDrift(CellProgrammer p, RramFormat f, int inFeatures, int nSlices, ulong seed, string layerPurpose)
    {
        private readonly DriftSpec _d = f.Spec.Noise.Drift;
        private readonly double _common = Math.Pow(p._driftRatio, -Math.Max(0, f.Spec.Noise.Drift.Nu));
        private int _block = -1;
        private double[] _factors = [];

        public double Factor(int block, int row, int slice)
        {
            if (_d.NuSigma == 0) return _common;
            if (block != _block)
            {
                var g = new Gaussian(RandomStreams.Create(seed, $"{layerPurpose}/reference-drift/{block}"));
                _factors = new double[inFeatures * nSlices];
                for (int k = 0; k < _factors.Length; k++) _factors[k] = Math.Pow(p._driftRatio, -Math.Max(0, _d.Nu + _d.NuSigma * g.Next()));
                _block = block;
            }
            return _factors[row * nSlices + slice];
        }
    }

    /// <summary>One cell's conductance at read time t_s; <paramref name="gProgrammed"/> is its value right after programming
    /// (before drift and IR drop) and <paramref name="gAtReference"/> at the last reference read (drift compensation).</summary>
    private double Cell(int digit, int row, int column, Gaussian? prog, System.Random? stuck, Gaussian? drift, ref long sa0, ref long sa1,
        out double gProgrammed, out double gAtReference)
    {
        var noise = f.Spec.Noise;
        double g = _gMin + digit * _dG;
        if (prog != null)
        {
            double sigma = f.ProgrammingSigmaSiemens(g), dev = sigma * prog.Next();
            // Program-and-verify (docs/lifecycle.md): another pulse while the verify read is outside the tolerance,
            // at most max_iterations pulses; the cell keeps its last draw.
            if (f.ProgramVerifyOn)
                for (int k = 1; k < f.Spec.ProgramVerify.MaxIterations && Math.Abs(dev) > _pvTol; k++) dev = sigma * prog.Next();
            g += dev;
            g = noise.Programming.Clip ? Math.Clamp(g, _gMin, _gMax) : Math.Max(0, g);
        }
        bool isStuck = false;
        if (stuck != null)
        {
            double u = stuck.NextDouble();
            if (u < noise.StuckAt.RateGmin) { g = _gMin; sa0++; isStuck = true; }
            else if (u < noise.StuckAt.RateGmin + noise.StuckAt.RateGmax) { g = _gMax; sa1++; isStuck = true; }
        }
        gProgrammed = gAtReference = g;
        if (f.DriftOn)
        {
            // Power law G(t) = G0 (t / t0)^(-nu), nu ~ N(nu_mean, nu_sigma) per cell, clamped at 0; the draw is
            // taken for stuck cells too so the stream stays aligned cell by cell.
            double nu = noise.Drift.Nu + (drift != null ? noise.Drift.NuSigma * drift.Next() : 0);
            if (!isStuck && nu > 0)
            {
                g *= Math.Pow(_driftRatio, -nu);
                if (_refReadRatio > 1) gAtReference *= Math.Pow(_refReadRatio, -nu);
            }
        }
        if (f.IrDropOn)
        {
            // First-order IR drop: the cell current crosses (column + 1) word-line segments from the driver and
            // (rows - row) bit-line segments to the sense node: G_eff = G / (1 + G R_path).
            int col = column % f.ArrayColumns;
            double rPath = noise.IrDrop.WireResistanceOhmPerCell * ((col + 1) + (f.ArrayRows - row));
            g /= 1 + g * rPath;
        }
        return g;
    }
}
