using System.Numerics.Tensors;
using CimSim.Common.Numerics;
using CimSim.Common.Random;
using CimSim.Devices.Numerics;

namespace CimSim.Devices.Rram;

/// <summary>Which functional model a forward pass runs (docs/devices.md, "Functional kernels").</summary>
public enum RramPath
{
    /// <summary>Quantised input -> DAC steps x weight slices -> per-array partial sums -> ADC -> shift-and-add.</summary>
    BitAccurate,

    /// <summary>Programmed effective weights in one GEMM, plus a Gaussian output term for ADC quantisation and read noise.</summary>
    Statistical,
}

/// <summary>Cells programmed and the stuck-at faults observed while programming one layer.</summary>
public readonly record struct RramFaultCounts(long Cells, long StuckAtGmin, long StuckAtGmax)
{
    public long Stuck => StuckAtGmin + StuckAtGmax;
    public static RramFaultCounts operator +(RramFaultCounts a, RramFaultCounts b) =>
        new(a.Cells + b.Cells, a.StuckAtGmin + b.StuckAtGmin, a.StuckAtGmax + b.StuckAtGmax);
}

/// <summary>
/// One linear layer y = x W^T held in RRAM crossbars. <see cref="Program"/> quantises W (W8 symmetric),
/// slices it into cell digits, maps digits to conductances and applies the configured non-idealities once,
/// as a chip would be programmed; <see cref="Forward"/> then runs inputs through the bit-accurate or the
/// statistical model. Thread-safe for concurrent <see cref="Forward"/> calls.
/// </summary>
public sealed class RramLinearLayer
{
    private const int RowsPerRandomChunk = 64;

    // Effective signed digits of each slice, [out, in] row-major: (G+ - G-) / dG (differential) or (G - G_min) / dG (offset).
    private readonly float[][] _slices;
    // sum_s 2^(b s) E_s, [out, in]; the same array as _slices[0] when a weight has one slice.
    private readonly float[] _combined;
    private readonly float[] _weightScales;
    private readonly ulong _seed;
    private readonly string _purpose;
    private readonly Lazy<float[][][]> _packedBlocks;
    private readonly AdcTransfer[] _adc;
    private long _forwardCount;
    private long _adcClipped, _adcConversions;

    public int OutFeatures { get; }
    public int InFeatures { get; }
    public RramKernelSettings Settings { get; }
    public RramFaultCounts Faults { get; }

    /// <summary>Per-output-row weight scale s_o (all equal for per-tensor quantisation): W ~ s_o q.</summary>
    public ReadOnlySpan<float> WeightScales => _weightScales;

    /// <summary>ADC transfer per DAC step (the same for every slice and array).</summary>
    public IReadOnlyList<AdcTransfer> AdcPerStep => _adc;

    /// <summary>Conversions and clipped conversions over all bit-accurate forward passes so far.</summary>
    public (long Conversions, long Clipped) AdcStatistics => (Interlocked.Read(ref _adcConversions), Interlocked.Read(ref _adcClipped));

    private RramLinearLayer(int outFeatures, int inFeatures, RramKernelSettings settings, float[][] slices, float[] combined,
        float[] scales, RramFaultCounts faults, ulong seed, string purpose)
    {
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Settings = settings;
        _slices = slices;
        _combined = combined;
        _weightScales = scales;
        Faults = faults;
        _seed = seed;
        _purpose = purpose;
        _packedBlocks = new Lazy<float[][][]>(PackBlocks, LazyThreadSafetyMode.ExecutionAndPublication);
        _adc = new AdcTransfer[settings.DacSteps];
        for (int k = 0; k < settings.DacSteps; k++)
            _adc[k] = AdcTransfer.For(settings.AdcBits, settings.AdcRangeFraction, settings.ArrayRows, settings.StepRange(k), settings.DigitRange);
    }

    /// <summary>
    /// Programs <paramref name="weights"/> ([outFeatures, inFeatures] row-major, the Hugging Face layout) into
    /// crossbars. Random draws come from <see cref="RandomStreams"/> with (seed, purpose + "/..."), one stream
    /// per non-ideality and per block of 64 output rows, so results do not depend on thread count, and turning
    /// one non-ideality on never changes another's draws.
    /// </summary>
    public static RramLinearLayer Program(ReadOnlySpan<float> weights, int outFeatures, int inFeatures,
        RramKernelSettings settings, ulong seed, string purpose)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(purpose);
        if (outFeatures < 1 || inFeatures < 1) throw new ArgumentOutOfRangeException(nameof(outFeatures), $"layer shape {outFeatures} x {inFeatures}");
        if (weights.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"weights hold {weights.Length} floats, expected {outFeatures} x {inFeatures}", nameof(weights));
        var problems = settings.Problems();
        if (problems.Count > 0) throw new ArgumentException("invalid RRAM settings: " + string.Join("; ", problems), nameof(settings));

        var scales = WeightQuantizer.Scales(weights, outFeatures, inFeatures, settings);
        int nSlices = settings.SlicesPerWeight;
        long n = (long)outFeatures * inFeatures;
        var slices = new float[nSlices][];
        for (int s = 0; s < nSlices; s++) slices[s] = new float[n];

        float[]? groupMax = settings.WeightNoise.IsOn ? WeightNoiseGroupMax(weights, outFeatures, inFeatures, settings.WeightNoise) : null;
        var w = weights.ToArray(); // the parallel body needs an array, not a span
        int chunks = (outFeatures + RowsPerRandomChunk - 1) / RowsPerRandomChunk;
        var faults = new RramFaultCounts[chunks];
        var programmer = new CellProgrammer(settings, inFeatures);
        Parallel.For(0, chunks, c =>
        {
            int o0 = c * RowsPerRandomChunk, o1 = Math.Min(outFeatures, o0 + RowsPerRandomChunk);
            faults[c] = programmer.ProgramRows(w, scales, slices, groupMax, o0, o1, seed, $"{purpose}/rows{o0}");
        });
        var total = new RramFaultCounts();
        foreach (var f in faults) total += f;

        float[] combined;
        if (nSlices == 1) combined = slices[0];
        else
        {
            combined = new float[n];
            for (int s = 0; s < nSlices; s++)
                TensorPrimitives.MultiplyAdd(slices[s], (float)(1L << (settings.BitsPerCell * s)), combined, combined);
        }
        return new RramLinearLayer(outFeatures, inFeatures, settings, slices, combined, scales, total, seed, purpose);
    }

    /// <summary>The weights the chip really holds, dequantised: W_eff[o,i] = s_o (sum_s 2^(b s) E_s[o,i] - offset).</summary>
    public float[] EffectiveWeights()
    {
        var result = new float[(long)OutFeatures * InFeatures];
        CopyEffectiveWeights(result);
        return result;
    }

    /// <summary>Writes <see cref="EffectiveWeights"/> into <paramref name="destination"/> ([out, in]).</summary>
    public void CopyEffectiveWeights(Span<float> destination)
    {
        if (destination.Length < (long)OutFeatures * InFeatures) throw new ArgumentException("destination too short", nameof(destination));
        float offset = Settings.WeightOffset;
        for (int o = 0; o < OutFeatures; o++)
        {
            var src = _combined.AsSpan(o * InFeatures, InFeatures);
            var dst = destination.Slice(o * InFeatures, InFeatures);
            TensorPrimitives.Subtract(src, offset, dst);
            TensorPrimitives.Multiply(dst, _weightScales[o], dst);
        }
    }

    /// <summary>
    /// y[tokens, out] = x[tokens, in] W_eff^T through the chosen model. Inputs are quantised to InputBits
    /// (symmetric, per token or per tensor). Read-noise and statistical output-noise draws use the stream
    /// (seed, purpose + "/forward{n}") where n counts this layer's forward calls, so a fixed call sequence
    /// is reproducible; use <see cref="Forward(ReadOnlySpan{float}, Span{float}, int, RramPath, ulong)"/>
    /// to pick the stream yourself.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, RramPath path)
    {
        ulong call = (ulong)(Interlocked.Increment(ref _forwardCount) - 1);
        Forward(x, y, tokens, path, call);
    }

    /// <summary>As <see cref="Forward(ReadOnlySpan{float}, Span{float}, int, RramPath)"/> with an explicit noise-stream index.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, RramPath path, ulong noiseStream)
    {
        if (tokens < 0) throw new ArgumentOutOfRangeException(nameof(tokens));
        if (x.Length < (long)tokens * InFeatures) throw new ArgumentException($"x holds {x.Length} floats, needs {tokens} x {InFeatures}", nameof(x));
        if (y.Length < (long)tokens * OutFeatures) throw new ArgumentException($"y holds {y.Length} floats, needs {tokens} x {OutFeatures}", nameof(y));
        if (tokens == 0) return;
        var xq = new float[tokens * InFeatures];
        var inputScales = InputQuantizer.Quantize(x[..(tokens * InFeatures)], tokens, InFeatures, Settings, xq);
        string noisePurpose = $"{_purpose}/forward{noiseStream}";
        var yInt = y[..(tokens * OutFeatures)];
        if (path == RramPath.BitAccurate) ForwardBitAccurate(xq, tokens, yInt, noisePurpose);
        else ForwardStatistical(xq, tokens, yInt, noisePurpose);

        // Offset-column encoding: subtract offset x sum_i xq[t,i] (computed digitally, exact).
        if (Settings.WeightOffset != 0)
            for (int t = 0; t < tokens; t++)
                TensorPrimitives.Subtract(yInt.Slice(t * OutFeatures, OutFeatures),
                    Settings.WeightOffset * TensorPrimitives.Sum(xq.AsSpan(t * InFeatures, InFeatures)), yInt.Slice(t * OutFeatures, OutFeatures));
        for (int t = 0; t < tokens; t++)
        {
            var row = yInt.Slice(t * OutFeatures, OutFeatures);
            TensorPrimitives.Multiply(row, _weightScales, row);
            TensorPrimitives.Multiply(row, inputScales[t], row);
        }
    }

    /// <summary>
    /// Integer-domain product through the statistical model: one GEMM with the effective weights, then
    /// N(0, var_ADC + var_read[t]) per output (docs/devices.md, "Statistical path").
    /// </summary>
    private void ForwardStatistical(float[] xq, int tokens, Span<float> y, string noisePurpose)
    {
        Blas.Gemm(false, true, tokens, OutFeatures, InFeatures, 1f, xq, _combined, 0f, y);
        var s = Settings;
        int blocks = (InFeatures + s.ArrayRows - 1) / s.ArrayRows;
        double sliceWeight2 = 0;
        for (int sl = 0; sl < s.SlicesPerWeight; sl++) sliceWeight2 += Math.Pow(4, s.BitsPerCell * sl);
        double adcVar = 0;
        for (int k = 0; k < s.DacSteps; k++)
        {
            var adc = _adc[k];
            // A lossless ADC adds no error to integer partial sums; analog noise makes them non-integer.
            if (adc.IsIdeal || (adc.IsLossless && !s.AnyAnalogNoise)) continue;
            adcVar += Math.Pow(4, s.DacBits * k) * adc.QuantizationNoiseVariance;
        }
        adcVar *= sliceWeight2 * blocks;
        double readSigma = ReadNoiseSigmaDigits();
        if (adcVar == 0 && readSigma == 0) return;

        var tokenVar = new double[tokens];
        if (readSigma > 0)
        {
            // var_read[t] = sigma^2 * cells_per_slice * sum_s 4^(b s) * sum_k 4^(d k) sum_i c_k[t,i]^2
            var chunk = new int[s.DacSteps];
            for (int t = 0; t < tokens; t++)
            {
                double acc = 0;
                var row = xq.AsSpan(t * InFeatures, InFeatures);
                for (int i = 0; i < row.Length; i++)
                {
                    InputQuantizer.SplitSteps((int)row[i], s, chunk);
                    for (int k = 0; k < chunk.Length; k++) acc += Math.Pow(4, s.DacBits * k) * chunk[k] * chunk[k];
                }
                tokenVar[t] = readSigma * readSigma * s.CellsPerSlice * sliceWeight2 * acc;
            }
        }
        var yArr = new float[y.Length];
        y.CopyTo(yArr);
        int outF = OutFeatures;
        Parallel.For(0, tokens, t =>
        {
            var g = new Gaussian(RandomStreams.Create(_seed, $"{noisePurpose}/statistical/t{t}"));
            g.AddScaled(yArr.AsSpan(t * outF, outF), Math.Sqrt(adcVar + tokenVar[t]));
        });
        yArr.CopyTo(y);
    }

    /// <summary>Read-noise sigma of one cell in digit units (conductance steps).</summary>
    private double ReadNoiseSigmaDigits() => Settings.ReadNoiseRelativeToGmax * Settings.GMaxSiemens / Settings.ConductanceStepSiemens;

    /// <summary>
    /// Integer-domain product through the bit-accurate model. Per row block (one array's rows) and weight
    /// slice, one GEMM computes the partial sums of every DAC step and token at once ([steps x tokens, rows]
    /// x [rows, out]); each partial sum then gets its read noise, passes the ADC and is shifted and added.
    /// </summary>
    private void ForwardBitAccurate(float[] xq, int tokens, Span<float> y, string noisePurpose)
    {
        var s = Settings;
        int steps = s.DacSteps, rowsPerArray = s.ArrayRows, outF = OutFeatures, inF = InFeatures;
        int blocks = (inF + rowsPerArray - 1) / rowsPerArray;
        var packed = _packedBlocks.Value;

        // Step planes: c_k[t, i] for every DAC step k.
        var planes = new float[steps][];
        for (int k = 0; k < steps; k++) planes[k] = new float[tokens * inF];
        var chunk = new int[steps];
        for (int idx = 0; idx < xq.Length; idx++)
        {
            InputQuantizer.SplitSteps((int)xq[idx], s, chunk);
            for (int k = 0; k < steps; k++) planes[k][idx] = chunk[k];
        }

        double readSigma = ReadNoiseSigmaDigits();
        var acc = new float[tokens * outF];
        var a = new float[steps * tokens * rowsPerArray];
        var p = new float[(long)steps * tokens * outF];
        var readSd = readSigma > 0 ? new float[steps * tokens] : null;
        long clipped = 0;
        for (int rb = 0; rb < blocks; rb++)
        {
            int r0 = rb * rowsPerArray, rows = Math.Min(rowsPerArray, inF - r0);
            for (int k = 0; k < steps; k++)
                for (int t = 0; t < tokens; t++)
                    planes[k].AsSpan(t * inF + r0, rows).CopyTo(a.AsSpan((k * tokens + t) * rows, rows));
            if (readSd != null)
                for (int kt = 0; kt < steps * tokens; kt++)
                {
                    var ar = a.AsSpan(kt * rows, rows);
                    readSd[kt] = (float)(readSigma * Math.Sqrt(s.CellsPerSlice * (double)TensorPrimitives.Dot(ar, ar)));
                }
            for (int sl = 0; sl < _slices.Length; sl++)
            {
                Blas.Gemm(false, true, steps * tokens, outF, rows, 1f, a, packed[sl][rb], 0f, p);
                int sliceShift = s.BitsPerCell * sl;
                int localRb = rb, localSl = sl;
                long clippedHere = 0;
                Parallel.For(0, tokens, () => 0L, (t, _, local) =>
                {
                    Gaussian? g = readSd != null ? new Gaussian(RandomStreams.Create(_seed, $"{noisePurpose}/read/b{localRb}/s{localSl}/t{t}")) : null;
                    var accRow = acc.AsSpan(t * outF, outF);
                    for (int k = 0; k < steps; k++)
                    {
                        var pRow = p.AsSpan((k * tokens + t) * outF, outF);
                        if (g != null) g.AddScaled(pRow, readSd![k * tokens + t]);
                        float shift = (float)Math.Pow(2, s.DacBits * k + sliceShift);
                        local += _adc[k].ConvertAccumulate(pRow, accRow, shift);
                    }
                    return local;
                }, local => Interlocked.Add(ref clippedHere, local));
                clipped += clippedHere;
            }
        }
        acc.CopyTo(y);
        Interlocked.Add(ref _adcClipped, clipped);
        Interlocked.Add(ref _adcConversions, (long)blocks * _slices.Length * steps * tokens * outF);
    }

    /// <summary>Slices cut into row blocks ([out, rows] each), the B operands of the bit-accurate GEMMs.</summary>
    private float[][][] PackBlocks()
    {
        int rpa = Settings.ArrayRows, blocks = (InFeatures + rpa - 1) / rpa;
        var result = new float[_slices.Length][][];
        for (int sl = 0; sl < _slices.Length; sl++)
        {
            result[sl] = new float[blocks][];
            for (int rb = 0; rb < blocks; rb++)
            {
                int r0 = rb * rpa, rows = Math.Min(rpa, InFeatures - r0);
                var blk = new float[OutFeatures * rows];
                for (int o = 0; o < OutFeatures; o++)
                    _slices[sl].AsSpan(o * InFeatures + r0, rows).CopyTo(blk.AsSpan(o * rows, rows));
                result[sl][rb] = blk;
            }
        }
        return result;
    }

    /// <summary>max|W| per weight-noise group, one value per weight (Tile, Layer) or |W| itself (Weight).</summary>
    private static float[] WeightNoiseGroupMax(ReadOnlySpan<float> w, int outF, int inF, WeightNoiseSettings wn)
    {
        var result = new float[w.Length];
        switch (wn.Scope)
        {
            case WeightNoiseScope.Weight:
                TensorPrimitives.Abs(w, result);
                break;
            case WeightNoiseScope.Layer:
                Array.Fill(result, TensorPrimitives.MaxMagnitude(w) is var m ? Math.Abs(m) : 0f);
                break;
            case WeightNoiseScope.Tile:
                for (int o0 = 0; o0 < outF; o0 += wn.TileRows)
                    for (int i0 = 0; i0 < inF; i0 += wn.TileColumns)
                    {
                        int o1 = Math.Min(outF, o0 + wn.TileRows), i1 = Math.Min(inF, i0 + wn.TileColumns);
                        float mx = 0;
                        for (int o = o0; o < o1; o++) mx = Math.Max(mx, Math.Abs(TensorPrimitives.MaxMagnitude(w.Slice(o * inF + i0, i1 - i0))));
                        for (int o = o0; o < o1; o++) result.AsSpan(o * inF + i0, i1 - i0).Fill(mx);
                    }
                break;
            default:
                break;
        }
        return result;
    }
}
