using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using CimSim.Common.Noise;
using CimSim.Common.Numerics;
using CimSim.Common.Random;
using CimSim.Devices.Config;
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

    // Bit-accurate tiles: a work item is BitOutputTile outputs of BitTokenTile tokens (partial sums of 8 steps x 32 tokens x 256
    // outputs = 256 KB, the accumulator 32 KB: both stay in a core's L2 through every row block and slice).
    private const int BitTokenTile = 32, BitOutputTile = 256;
    // Most floats of step planes laid out at once (16 MB): a group of token tiles, so that a layer with few output tiles
    // still gives every core several work items.
    private const long BitPlaneFloats = 1 << 22;

    // Per-thread buffers kept between calls (fresh multi-megabyte arrays per product cost page faults and clearing): quantised
    // inputs, the bit-accurate step planes of a token tile, and a bit-accurate work item's partial sums and accumulator.
    [ThreadStatic] private static float[]? _xqBuffer;
    [ThreadStatic] private static float[]? _planesBuffer;
    [ThreadStatic] private static float[]? _bitTileBuffer;

    // Effective signed digits of each slice, [out, in] row-major: (G+ - G-) / dG (differential), (G - G_min) / dG (offset,
    // digital subtraction) or (G - G_ref) / dG (offset, reference column at the offset level subtracted before the ADC).
    private readonly float[][] _slices;
    // sum_s 2^(b s) E_s, [out, in]; the same array as _slices[0] when a weight has one slice.
    private readonly float[] _combined;
    private readonly float[] _weightScales;
    // Read-noise variance per slice in digit^2 ([out, in]), only when read noise is relative to G.
    private readonly float[][]? _readVar;
    private readonly Lazy<float[]?> _readVarCombined;
    private readonly ulong _seed;
    private readonly string _purpose;
    private readonly Lazy<float[][][]> _packedBlocks;
    private readonly Lazy<float[][][]?> _packedReadVar;
    private long _forwardCount;
    private long _adcClipped, _adcConversions;
    // Calibrated ADC of this programmed chip, per (row block, slice, DAC step): transfer and its measured mean
    // squared conversion error on the calibration partial sums (partial-sum units^2). Null until calibrated.
    private AdcTransfer[]? _adcGroups;
    private double[]? _adcGroupMse;
    // Quantised inputs (and their token counts) collected while a calibration pass runs; the ADC reads ideally meanwhile.
    private List<(float[] Xq, int Tokens)>? _calibrationInputs;
    private readonly Lock _calibrationLock = new();

    public int OutFeatures { get; }
    public int InFeatures { get; }
    public RramSpec Spec => Format.Spec;
    public RramFormat Format { get; }
    public RramFaultCounts Faults { get; }

    /// <summary>Per-output-row weight scale s_o (all equal for per-tensor quantisation): W ~ s_o q.</summary>
    public ReadOnlySpan<float> WeightScales => _weightScales;

    /// <summary>ADC transfer per DAC step before calibration (the same for every slice and array).</summary>
    public IReadOnlyList<AdcTransfer> AdcPerStep => Format.Adc;

    /// <summary>
    /// True when the ADC needs calibration data: a calibrated range (full_scale: calibrated), or a clipping range
    /// (full_scale: fraction below 1) whose clipping error the statistical path must measure.
    /// </summary>
    public bool NeedsAdcCalibration => !Format.IdealAdc && (Format.Spec.Adc.Range.FullScale == AdcFullScaleMode.Calibrated
        || (Format.Spec.Adc.Range.FullScale == AdcFullScaleMode.Fraction && Format.Spec.Adc.Range.ClipFraction < 1));

    /// <summary>True once <see cref="CalibrateAdc"/> or <see cref="EndAdcCalibration"/> has run.</summary>
    public bool AdcCalibrated => _adcGroups != null;

    /// <summary>The calibrated ADC of row block <paramref name="rowBlock"/>, weight slice <paramref name="slice"/>, DAC step <paramref name="step"/>.</summary>
    public AdcTransfer CalibratedAdc(int rowBlock, int slice, int step) =>
        (_adcGroups ?? throw new InvalidOperationException("ADC not calibrated"))[(rowBlock * _slices.Length + slice) * Format.DacSteps + step];

    /// <summary>Starts collecting inputs of the following forward calls as calibration data; the ADC reads ideally until <see cref="EndAdcCalibration"/>.</summary>
    public void BeginAdcCalibration()
    {
        lock (_calibrationLock) _calibrationInputs = [];
    }

    /// <summary>
    /// Sets the ADC ranges from the inputs collected since <see cref="BeginAdcCalibration"/>, using at most
    /// <paramref name="maxTokens"/> of them (evenly strided over the collected tokens).
    /// </summary>
    public void EndAdcCalibration(int maxTokens = CalibrationTokens)
    {
        if (maxTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "at least one calibration token");
        List<(float[] Xq, int Tokens)> inputs;
        lock (_calibrationLock)
        {
            inputs = _calibrationInputs ?? throw new InvalidOperationException("EndAdcCalibration without BeginAdcCalibration");
            _calibrationInputs = null;
        }
        int collected = inputs.Sum(i => i.Tokens);
        if (collected == 0) throw new InvalidOperationException($"{_purpose}: no calibration inputs reached this layer");
        // At most maxTokens tokens, evenly strided over the collected ones (the partial-sum GEMMs cost
        // steps x blocks x tokens x rows x outputs; a large lm_head would otherwise dominate the build).
        int stride = (collected + maxTokens - 1) / maxTokens, tokens = (collected + stride - 1) / stride;
        var xq = new float[(long)tokens * InFeatures];
        int seen = 0, kept = 0;
        foreach (var (x, n) in inputs)
            for (int t = 0; t < n; t++, seen++)
                if (seen % stride == 0) x.AsSpan(t * InFeatures, InFeatures).CopyTo(xq.AsSpan(kept++ * InFeatures));
        CalibrateFromQuantized(xq, tokens);
    }

    /// <summary>Calibrates the ADC ranges on <paramref name="x"/> ([tokens, in], float inputs, quantised as in Forward).</summary>
    public void CalibrateAdc(ReadOnlySpan<float> x, int tokens)
    {
        if (tokens < 1 || x.Length < (long)tokens * InFeatures) throw new ArgumentException($"calibration needs [tokens >= 1, {InFeatures}] inputs", nameof(x));
        var xq = new float[tokens * InFeatures];
        InputQuantizer.Quantize(x[..(tokens * InFeatures)], tokens, InFeatures, Format, xq);
        CalibrateFromQuantized(xq, tokens);
    }

    /// <summary>Conversions and clipped conversions over all bit-accurate forward passes so far.</summary>
    public (long Conversions, long Clipped) AdcStatistics => (Interlocked.Read(ref _adcConversions), Interlocked.Read(ref _adcClipped));

    private RramLinearLayer(int outFeatures, int inFeatures, RramFormat format, float[][] slices, float[] combined,
        float[][]? readVar, float[] scales, RramFaultCounts faults, ulong seed, string purpose)
    {
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Format = format;
        _readVar = readVar;
        _readVarCombined = new Lazy<float[]?>(CombineReadVariance, LazyThreadSafetyMode.ExecutionAndPublication);
        _slices = slices;
        _combined = combined;
        _weightScales = scales;
        Faults = faults;
        _seed = seed;
        _purpose = purpose;
        _packedBlocks = new Lazy<float[][][]>(() => PackBlocks(_slices), LazyThreadSafetyMode.ExecutionAndPublication);
        _packedReadVar = new Lazy<float[][][]?>(() => _readVar == null ? null : PackBlocks(_readVar), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// Programs <paramref name="weights"/> ([outFeatures, inFeatures] row-major, the Hugging Face layout) into
    /// crossbars. Random draws come from <see cref="RandomStreams"/> with (seed, purpose + "/..."), one stream
    /// per non-ideality and per block of 64 outputs, so results do not depend on thread count, and turning
    /// one non-ideality on never changes another's draws.
    /// </summary>
    public static RramLinearLayer Program(ReadOnlySpan<float> weights, int outFeatures, int inFeatures,
        RramSpec spec, ulong seed, string purpose) => Program(weights, outFeatures, inFeatures, new RramFormat(spec), seed, purpose);

    /// <summary>As <see cref="Program(ReadOnlySpan{float}, int, int, RramSpec, ulong, string)"/> with the derived format already built.</summary>
    public static RramLinearLayer Program(ReadOnlySpan<float> weights, int outFeatures, int inFeatures,
        RramFormat format, ulong seed, string purpose) => Program(weights, null, outFeatures, inFeatures, format, seed, purpose);

    /// <summary>
    /// As above, reading <paramref name="weights"/> in place (no copy; it is not modified). With <paramref name="storage"/>
    /// the layer's arrays are written into the storage's buffers instead of new ones (same values): the layer is then
    /// valid only until the storage programs the next layer; <paramref name="weights"/> may then be the storage's
    /// <see cref="RramLayerStorage.WeightBuffer"/>, whose first out x in floats are the weights.
    /// </summary>
    public static RramLinearLayer Program(float[] weights, int outFeatures, int inFeatures, RramFormat format, ulong seed, string purpose,
        RramLayerStorage? storage = null)
        => Program(storage is not null && ReferenceEquals(weights, storage.WeightBufferArray) && weights.LongLength > (long)outFeatures * inFeatures
            ? weights.AsSpan(0, outFeatures * inFeatures) : weights, weights, outFeatures, inFeatures, format, seed, purpose, storage);

    private static RramLinearLayer Program(ReadOnlySpan<float> weights, float[]? weightArray, int outFeatures, int inFeatures,
        RramFormat format, ulong seed, string purpose, RramLayerStorage? storage = null)
    {
        CheckShape(format, purpose, outFeatures, inFeatures);
        if (weights.Length != (long)outFeatures * inFeatures)
            throw new ArgumentException($"weights hold {weights.Length} floats, expected {outFeatures} x {inFeatures}", nameof(weights));
        var scales = WeightQuantizer.Scales(weights, outFeatures, inFeatures, format);
        var groupMax = format.WeightNoiseOn ? WeightNoiseReference.Of(weights, outFeatures, inFeatures, format.WeightNoise) : null;
        var w = weightArray ?? weights.ToArray(); // the parallel body needs an array, not a span
        return ProgramCells(outFeatures, inFeatures, format, seed, purpose, storage, scales, groupMax, outFeatures, (_, _) => w);
    }

    /// <summary>
    /// As <see cref="Program(float[], int, int, RramFormat, ulong, string, RramLayerStorage?)"/>, with the weights read
    /// <paramref name="blockRows"/> rows at a time by <paramref name="readRows"/>(first row, destination) into one
    /// block buffer, so that a large matrix (a 128k-vocabulary lm_head: 1.05 GB as float32 on a 1B model, 2.1 GB on 8B)
    /// is programmed without a float32 copy of it. Every block is read twice: first for the row scales and the weight
    /// noise's max|W| references, then for the cells. The same layer bit for bit: scales and references are maxima
    /// (exact in any order; a block holds whole tiles), and the draws are per 64-row chunk, which a block never splits.
    /// </summary>
    public static RramLinearLayer ProgramInBlocks(Action<int, Span<float>> readRows, int outFeatures, int inFeatures, RramFormat format, ulong seed,
        string purpose, RramLayerStorage? storage = null, int blockRows = 4096)
    {
        ArgumentNullException.ThrowIfNull(readRows);
        CheckShape(format, purpose, outFeatures, inFeatures);
        if (blockRows < 1) throw new ArgumentOutOfRangeException(nameof(blockRows), blockRows, "expected a positive number of rows");
        // Whole random chunks and whole tiles per block.
        int align = RowsPerRandomChunk;
        if (format.WeightNoiseOn && format.WeightNoise.Scale == NoiseScale.Tile)
            align = checked((int)MathNet.Numerics.Euclid.LeastCommonMultiple(align, format.WeightNoise.TileOutputs));
        int rowsPerBlock = (int)Math.Min(outFeatures, ((long)blockRows + align - 1) / align * align);
        var block = new float[(long)rowsPerBlock * inFeatures];
        var scales = new float[outFeatures];
        var references = new List<WeightNoiseReference>();
        for (int o0 = 0; o0 < outFeatures; o0 += rowsPerBlock)
        {
            int rows = Math.Min(rowsPerBlock, outFeatures - o0);
            var w = block.AsSpan(0, rows * inFeatures);
            readRows(o0, w);
            WeightQuantizer.Scales(w, rows, inFeatures, format).CopyTo(scales, o0);
            if (format.WeightNoiseOn) references.Add(WeightNoiseReference.Of(w, rows, inFeatures, format.WeightNoise));
        }
        if (format.Spec.Array.WeightQuantization == WeightQuantizationGranularity.PerTensor)
            Array.Fill(scales, scales.Max()); // each block's max|W| / Q: the layer's is the largest (the same division)
        var groupMax = format.WeightNoiseOn ? WeightNoiseReference.Join(references) : null;
        return ProgramCells(outFeatures, inFeatures, format, seed, purpose, storage, scales, groupMax, rowsPerBlock, (o0, rows) =>
        {
            readRows(o0, block.AsSpan(0, rows * inFeatures));
            return block;
        });
    }

    private static void CheckShape(RramFormat format, string purpose, int outFeatures, int inFeatures)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(purpose);
        if (outFeatures < 1 || inFeatures < 1) throw new ArgumentOutOfRangeException(nameof(outFeatures), $"layer shape {outFeatures} x {inFeatures}");
    }

    /// <summary>
    /// The cells of every output, block by block: <paramref name="readBlock"/>(first row, rows) gives the array holding
    /// those rows' weights from its start (<paramref name="rowsPerBlock"/> a multiple of the 64-row random chunk, or all
    /// rows); each block's chunks on all cores.
    /// </summary>
    private static RramLinearLayer ProgramCells(int outFeatures, int inFeatures, RramFormat format, ulong seed, string purpose, RramLayerStorage? storage,
        float[] scales, WeightNoiseReference? groupMax, int rowsPerBlock, Func<int, int, float[]> readBlock)
    {
        int nSlices = format.SlicesPerWeight;
        long n = (long)outFeatures * inFeatures;
        // Every element of these arrays is written by ProgramOutputs, so reused storage needs no clearing.
        var slices = new float[nSlices][];
        for (int s = 0; s < nSlices; s++) slices[s] = storage?.Buffer(s, n) ?? new float[n];

        float[][]? readVar = null;
        if (format.ReadNoiseRelativeToG)
        {
            readVar = new float[nSlices][];
            for (int s = 0; s < nSlices; s++) readVar[s] = storage?.Buffer(nSlices + s, n) ?? new float[n];
        }
        int chunks = (outFeatures + RowsPerRandomChunk - 1) / RowsPerRandomChunk;
        var faults = new RramFaultCounts[chunks];
        var programmer = new CellProgrammer(format, inFeatures);
        for (int b0 = 0; b0 < outFeatures; b0 += rowsPerBlock)
        {
            int rows = Math.Min(rowsPerBlock, outFeatures - b0), rowBase = b0; // a copy per block for the body (b0 is one variable for the loop)
            var w = readBlock(b0, rows);
            Parallel.For(b0 / RowsPerRandomChunk, (b0 + rows + RowsPerRandomChunk - 1) / RowsPerRandomChunk, c =>
            {
                int o0 = c * RowsPerRandomChunk, o1 = Math.Min(outFeatures, o0 + RowsPerRandomChunk);
                faults[c] = programmer.ProgramOutputs(w, scales, slices, readVar, groupMax, o0, o1, seed, $"{purpose}/rows{o0}", purpose, rowBase); // label kept: renaming it would change every chip instance
            });
        }
        var total = new RramFaultCounts();
        foreach (var f in faults) total += f;

        float[] combined;
        if (nSlices == 1) combined = slices[0];
        else
        {
            combined = storage?.Buffer(2 * nSlices, n) ?? new float[n];
            var sum = combined.AsSpan(0, (int)n);
            sum.Clear();
            for (int s = 0; s < nSlices; s++)
                TensorPrimitives.MultiplyAdd(slices[s].AsSpan(0, (int)n), (float)(1L << (format.BitsPerCell * s)), sum, sum);
        }
        return new RramLinearLayer(outFeatures, inFeatures, format, slices, combined, readVar, scales, total, seed, purpose);
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
        float offset = Format.DigitalOffset;
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
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, RramPath path) => Forward(x, y, tokens, path, NextForwardCall());

    /// <summary>The noise-stream index the next call without one takes (this layer's forward-call count, then counted).</summary>
    public ulong NextForwardCall() => (ulong)(Interlocked.Increment(ref _forwardCount) - 1);

    /// <summary>As <see cref="Forward(ReadOnlySpan{float}, Span{float}, int, RramPath)"/> with an explicit noise-stream index.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int tokens, RramPath path, ulong noiseStream)
    {
        if (tokens < 0) throw new ArgumentOutOfRangeException(nameof(tokens));
        Forward(x, y, [tokens], path, [noiseStream]);
    }

    /// <summary>
    /// Several independent inputs in one call, the same as one <see cref="Forward(ReadOnlySpan{float}, Span{float}, int, RramPath, ulong)"/>
    /// per segment in order: segment s is the next <paramref name="segments"/>[s] rows of x and y, quantised on its own
    /// (a per-tensor input scale covers the segment) and drawing its device noise from stream <paramref name="noiseStreams"/>[s].
    /// The statistical path multiplies all segments in one GEMM (layer-major batching: a regenerated layer serves the
    /// whole batch); the bit-accurate path runs segment by segment. Inside a <see cref="SharedInputQuantization"/> scope an
    /// input that the previous call on this thread quantised the same way is not quantised again.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> segments, RramPath path, ReadOnlySpan<ulong> noiseStreams)
    {
        if (noiseStreams.Length != segments.Length) throw new ArgumentException($"{segments.Length} segments but {noiseStreams.Length} noise streams", nameof(noiseStreams));
        int tokens = 0;
        foreach (var n in segments)
        {
            if (n < 0) throw new ArgumentOutOfRangeException(nameof(segments), n, "negative segment length");
            tokens += n;
        }
        if (x.Length < (long)tokens * InFeatures) throw new ArgumentException($"x holds {x.Length} floats, needs {tokens} x {InFeatures}", nameof(x));
        if (y.Length < (long)tokens * OutFeatures) throw new ArgumentException($"y holds {y.Length} floats, needs {tokens} x {OutFeatures}", nameof(y));
        if (tokens == 0) return;
        var input = x[..(tokens * InFeatures)];
        float[] xq, inputScales;
        if (SharedInputQuantization.Find(input, segments, InFeatures, Format) is { } shared) (xq, inputScales) = shared;
        else
        {
            if (_xqBuffer is null || _xqBuffer.Length < tokens * InFeatures) _xqBuffer = new float[tokens * InFeatures];
            (xq, inputScales) = (_xqBuffer, new float[tokens]);
            for (int s = 0, row = 0; s < segments.Length; row += segments[s], s++)
                InputQuantizer.Quantize(x.Slice(row * InFeatures, segments[s] * InFeatures), segments[s], InFeatures, Format, xq.AsSpan(row * InFeatures, segments[s] * InFeatures))
                    .CopyTo(inputScales, row);
            SharedInputQuantization.Remember(input, segments, InFeatures, Format, xq, inputScales);
        }
        bool collecting;
        lock (_calibrationLock)
        {
            collecting = _calibrationInputs != null;
            if (collecting)
                for (int s = 0, row = 0; s < segments.Length; row += segments[s], s++)
                    if (segments[s] > 0) _calibrationInputs!.Add((xq.AsSpan(row * InFeatures, segments[s] * InFeatures).ToArray(), segments[s]));
        }
        if (!collecting && _adcGroups == null && !Format.IdealAdc && Format.Spec.Adc.Range.FullScale == AdcFullScaleMode.Calibrated)
            throw new InvalidOperationException($"{_purpose}: rram.adc.range.full_scale is calibrated but the ADC was never calibrated (CalibrateAdc or a calibration pass)");
        var yInt = y[..(tokens * OutFeatures)];
        if (path == RramPath.Statistical) Blas.Gemm(false, true, tokens, OutFeatures, InFeatures, 1f, xq, _combined, 0f, yInt);
        for (int s = 0, row = 0; s < segments.Length; row += segments[s], s++)
        {
            int n = segments[s];
            if (n == 0) continue;
            string noisePurpose = $"{_purpose}/forward{noiseStreams[s]}";
            var ySeg = yInt.Slice(row * OutFeatures, n * OutFeatures);
            if (path == RramPath.BitAccurate)
                ForwardBitAccurate(xq, row * InFeatures, n, ySeg, noisePurpose, idealAdc: collecting);
            else AddStatisticalNoise(xq.AsSpan(row * InFeatures, n * InFeatures), n, ySeg, noisePurpose, idealAdc: collecting);
        }

        ScaleOutputs(yInt, tokens, inputScales, xq);
    }

    /// <summary>
    /// y[t, o] = ((y[t, o] - c_t) s_o) a_t for every row in one pass, with c_t = offset x sum_i xq[t, i] for offset
    /// encoding with digital subtraction (exact: integers), else 0 and not subtracted: the same roundings in the same
    /// order as a pass per operation; rows on all cores when there is enough work.
    /// </summary>
    private unsafe void ScaleOutputs(Span<float> y, int tokens, float[] inputScales, float[] xq)
    {
        int outF = OutFeatures, inF = InFeatures, offset = Format.DigitalOffset;
        var weightScales = _weightScales;
        fixed (float* py = y)
        {
            nint p = (nint)py;
            ParallelRows.For(tokens, outF, t =>
            {
                var row = new Span<float>((float*)p + (long)t * outF, outF);
                float a = inputScales[t];
                if (offset != 0) TensorPrimitives.Subtract(row, offset * TensorPrimitives.Sum(xq.AsSpan(t * inF, inF)), row);
                int o = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    var va = Vector256.Create(a);
                    for (; o <= outF - Vector256<float>.Count; o += Vector256<float>.Count)
                    {
                        var r = row.Slice(o, Vector256<float>.Count);
                        (Vector256.Create((ReadOnlySpan<float>)r) * Vector256.Create(weightScales.AsSpan(o, Vector256<float>.Count)) * va).CopyTo(r);
                    }
                }
                for (; o < outF; o++) row[o] = row[o] * weightScales[o] * a;
            });
        }
    }

    /// <summary>
    /// The statistical model's output term on one segment whose integer-domain product y = xq E^T the caller has formed
    /// (one GEMM with the effective weights): N(0, var_ADC + var_read[t,o]) per output (docs/devices.md, "Statistical path").
    /// </summary>
    private unsafe void AddStatisticalNoise(ReadOnlySpan<float> xq, int tokens, Span<float> y, string noisePurpose, bool idealAdc)
    {
        var f = Format;
        int outF = OutFeatures, inF = InFeatures;
        int blocks = (inF + f.ArrayRows - 1) / f.ArrayRows;
        double sliceWeight2 = 0;
        for (int sl = 0; sl < f.SlicesPerWeight; sl++) sliceWeight2 += Math.Pow(4, f.BitsPerCell * sl);
        double adcVar = idealAdc ? 0 : AdcErrorVariance(sliceWeight2, blocks);
        if (adcVar == 0 && !f.ReadNoiseOn) return;

        // c2[t,i] = sum_k 4^(d k) c_k[t,i]^2: the input energy that read noise scales with.
        float[]? c2 = null;
        if (f.ReadNoiseOn)
        {
            c2 = new float[tokens * inF];
            var stepWeight = new double[f.DacSteps]; // 4^(d k): powers of two, so the table holds Math.Pow's exact values
            for (int k = 0; k < stepWeight.Length; k++) stepWeight[k] = Math.Pow(4, f.DacBits * k);
            ParallelRows.For(xq[..(tokens * inF)], inF, (t, xqRow) =>
            {
                Span<int> chunk = stackalloc int[stepWeight.Length];
                var c2Row = c2.AsSpan(t * inF, inF);
                for (int i = 0; i < inF; i++)
                {
                    InputQuantizer.SplitSteps((int)xqRow[i], f, chunk);
                    double acc = 0;
                    for (int k = 0; k < chunk.Length; k++) acc += stepWeight[k] * chunk[k] * chunk[k];
                    c2Row[i] = (float)acc;
                }
            });
        }
        // var_read[t,o]: G_max-relative: sigma_d^2 cells_per_slice sum_s 4^(b s) sum_i c2[t,i];
        // G-relative: sum_i c2[t,i] V[o,i] with V = sum_s 4^(b s) sum_pol (sigma G / dG)^2 (one more GEMM).
        float[]? readVar = null;
        var tokenVar = new double[tokens];
        if (c2 != null && f.ReadNoiseRelativeToG)
        {
            readVar = new float[tokens * outF];
            Blas.Gemm(false, true, tokens, outF, inF, 1f, c2, _readVarCombined.Value!, 0f, readVar);
        }
        else if (c2 != null)
        {
            double sd = f.ReadSigmaDigitsGmax;
            for (int t = 0; t < tokens; t++)
                tokenVar[t] = sd * sd * f.CellsPerSlice * sliceWeight2 * TensorPrimitives.Sum(c2.AsSpan(t * inF, inF));
        }
        // Rows in place through a pointer (a lambda cannot hold the span): no copy of the product per call.
        fixed (float* py = y)
        {
            nint yAddress = (nint)py;
            Parallel.For(0, tokens, () => new double[outF], (t, _, z) =>
            {
                var g = Draws(_seed, $"{noisePurpose}/statistical/t{t}");
                var row = new Span<float>((float*)yAddress + (long)t * outF, outF);
                g.Fill(z);
                if (readVar == null) AddScaledDraws(row, Math.Sqrt(adcVar + tokenVar[t]), z);
                else AddScaledDraws(row, adcVar, readVar.AsSpan(t * outF, outF), z);
                return z;
            }, _ => { });
        }
    }

    /// <summary>row[o] += (float)(sd z[o]): the scalar expression's IEEE operations, in double, four lanes at a time.</summary>
    internal static void AddScaledDraws(Span<float> row, double sd, ReadOnlySpan<double> z)
    {
        int o = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vSd = Vector256.Create(sd);
            for (; o <= row.Length - 2 * Vector256<double>.Count; o += 2 * Vector256<double>.Count)
            {
                var r = row.Slice(o, Vector256<float>.Count);
                var noise = Vector256.Narrow(vSd * Vector256.Create(z.Slice(o, 4)), vSd * Vector256.Create(z.Slice(o + 4, 4)));
                (Vector256.Create((ReadOnlySpan<float>)r) + noise).CopyTo(r);
            }
        }
        for (; o < row.Length; o++) row[o] += (float)(sd * z[o]);
    }

    /// <summary>row[o] += (float)(sqrt(baseVar + max(0, v[o])) z[o]), as <see cref="AddScaledDraws(Span{float}, double, ReadOnlySpan{double})"/>.</summary>
    internal static void AddScaledDraws(Span<float> row, double baseVar, ReadOnlySpan<float> v, ReadOnlySpan<double> z)
    {
        int o = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var vBase = Vector256.Create(baseVar);
            for (; o <= row.Length - Vector256<float>.Count; o += Vector256<float>.Count)
            {
                var r = row.Slice(o, Vector256<float>.Count);
                var (lo, hi) = Vector256.Widen(Vector256.Max(Vector256<float>.Zero, Vector256.Create(v.Slice(o, Vector256<float>.Count))));
                var noise = Vector256.Narrow(Vector256.Sqrt(vBase + lo) * Vector256.Create(z.Slice(o, 4)), Vector256.Sqrt(vBase + hi) * Vector256.Create(z.Slice(o + 4, 4)));
                (Vector256.Create((ReadOnlySpan<float>)r) + noise).CopyTo(r);
            }
        }
        for (; o < row.Length; o++) row[o] += (float)(Math.Sqrt(baseVar + Math.Max(0, v[o])) * z[o]);
    }

    /// <summary>The standard normal draws of stream (seed, purpose): the polar method on the stream's xoshiro256**, the same
    /// values as a <see cref="Gaussian"/> on <see cref="RandomStreams.Create"/> without its per-stream set-up cost.</summary>
    private static PolarNormal<Xoshiro256StarStarSource> Draws(ulong seed, string purpose) => new(Xoshiro256StarStarSource.Create(seed, purpose));

    /// <summary>
    /// DAC step planes of token <paramref name="t"/> of a run of <paramref name="tt"/> tokens, written block-major into
    /// <paramref name="planes"/>: row block rb (one array's rows) at rb x steps x tt x rpa holds [steps x tt, rows] with
    /// token t's step k in row k x tt + t, so each block's plane of step k is one [tt, rows] matrix and all its steps one
    /// [steps x tt, rows] matrix (the A operands of the bit-accurate and calibration GEMMs).
    /// </summary>
    private void WriteStepPlanes(ReadOnlySpan<float> xqRow, int t, int tt, Span<float> planes)
    {
        var f = Format;
        int steps = f.DacSteps, rpa = f.ArrayRows, inF = InFeatures;
        Span<int> chunk = stackalloc int[steps];
        for (int i = 0; i < inF; i++)
        {
            int rb = i / rpa, rows = Math.Min(rpa, inF - rb * rpa);
            InputQuantizer.SplitSteps((int)xqRow[i], f, chunk);
            int at = rb * steps * tt * rpa + t * rows + i % rpa;
            for (int k = 0; k < steps; k++) planes[at + k * tt * rows] = chunk[k];
        }
    }

    /// <summary>
    /// Integer-domain product through the bit-accurate model, on xq[offset..] ([tokens, in]). Tokens run in tiles of
    /// <see cref="BitTokenTile"/> and outputs in tiles of <see cref="BitOutputTile"/>; each output tile of a token tile is
    /// one work item on one core: per row block (one array's rows) and weight slice, one GEMM on one BLAS thread gives the
    /// partial sums of every DAC step and token of the tile ([steps x tile tokens, rows] x [rows, tile outputs]); each
    /// partial sum gets its read noise, passes the ADC and is shifted and added into the item's accumulator. Partial sums
    /// and accumulator stay in the core's cache through all blocks and slices. Token tiles are laid out (DAC step planes
    /// per row block) a group at a time, enough of them for several work items per core when a layer has few output tiles.
    /// Each output is accumulated in the same order as a whole-matrix pass (blocks, then slices, then steps), and the tiles
    /// are fixed, so neither the grouping nor the core count changes a value; read noise is drawn per (block, slice, token,
    /// output tile) stream.
    /// </summary>
    private unsafe void ForwardBitAccurate(float[] xq, int offset, int tokens, Span<float> y, string noisePurpose, bool idealAdc)
    {
        var f = Format;
        int steps = f.DacSteps, rpa = f.ArrayRows, outF = OutFeatures, inF = InFeatures, slices = _slices.Length;
        int blocks = (inF + rpa - 1) / rpa, outTiles = (outF + BitOutputTile - 1) / BitOutputTile;
        int tokenTiles = (tokens + BitTokenTile - 1) / BitTokenTile;
        var packed = _packedBlocks.Value;
        var packedReadVar = _packedReadVar.Value;
        double readSigmaGmax = f.ReadNoiseOn && !f.ReadNoiseRelativeToG ? f.ReadSigmaDigitsGmax : 0;
        bool noise = readSigmaGmax > 0 || packedReadVar != null;
        // Step planes of one token tile (WriteStepPlanes' layout), one tile after another.
        long tileFloats = (long)steps * Math.Min(tokens, BitTokenTile) * blocks * rpa;
        int TileTokens(int tokenTile) => Math.Min(BitTokenTile, tokens - tokenTile * BitTokenTile);
        int BlockAt(int j, int rb, int tt) => (int)(j * tileFloats) + rb * steps * tt * rpa;
        int SdAt(int j, int rb, int kt) => (j * blocks + rb) * steps * BitTokenTile + kt;
        // A group: at least 4 work items per core, at most 4 Mi floats of planes (or one tile).
        int group = (int)Math.Clamp(Math.Min((4L * Environment.ProcessorCount + outTiles - 1) / outTiles, BitPlaneFloats / tileFloats), 1, tokenTiles);
        long planeFloats = tileFloats * group;
        if (_planesBuffer is null || _planesBuffer.LongLength < planeFloats) _planesBuffer = new float[planeFloats];
        var planes = _planesBuffer;
        var planes2 = packedReadVar != null ? new float[planeFloats] : null;
        var readSd = readSigmaGmax > 0 ? new float[group * blocks * steps * BitTokenTile] : null;
        // Shift of DAC step k on slice sl: 2^(d k + b sl), exact in float.
        var shifts = new float[slices * steps];
        for (int sl = 0; sl < slices; sl++)
            for (int k = 0; k < steps; k++) shifts[sl * steps + k] = (float)Math.Pow(2, f.DacBits * k + f.BitsPerCell * sl);
        long clipped = 0;
        fixed (float* py = y)
        {
            nint yAddress = (nint)py;
            for (int g0 = 0; g0 < tokenTiles; g0 += group)
            {
                int tiles = Math.Min(group, tokenTiles - g0), t0 = g0 * BitTokenTile, groupTokens = Math.Min(tokens - t0, tiles * BitTokenTile);
                ParallelRows.For(groupTokens, inF * steps, gt =>
                {
                    int j = gt / BitTokenTile;
                    WriteStepPlanes(xq.AsSpan(offset + (t0 + gt) * inF, inF), gt % BitTokenTile, TileTokens(g0 + j), planes.AsSpan((int)(j * tileFloats)));
                });
                for (int j = 0; j < tiles; j++)
                {
                    int tt = TileTokens(g0 + j), m = steps * tt;
                    for (int rb = 0; rb < blocks; rb++)
                    {
                        int rows = Math.Min(rpa, inF - rb * rpa), at = BlockAt(j, rb, tt);
                        var block = planes.AsSpan(at, m * rows);
                        if (planes2 != null) TensorPrimitives.Multiply(block, block, planes2.AsSpan(at, m * rows));
                        if (readSd != null)
                            for (int kt = 0; kt < m; kt++)
                            {
                                var ar = block.Slice(kt * rows, rows);
                                readSd[SdAt(j, rb, kt)] = (float)(readSigmaGmax * Math.Sqrt(f.CellsPerSlice * (double)TensorPrimitives.Dot(ar, ar)));
                            }
                    }
                }
                long clippedHere = 0;
                Blas.SingleThreaded(() => Parallel.For(0, tiles * outTiles, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => 0L, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (item, _, local) =>
                {
                    int j = item / outTiles, tile = item % outTiles, first = (g0 + j) * BitTokenTile;
                    int tt = TileTokens(g0 + j), m = steps * tt;
                    int o0 = tile * BitOutputTile, ow = Math.Min(BitOutputTile, outF - o0);
                    int partial = steps * BitTokenTile * BitOutputTile;
                    // Grown when a layer needs more (more DAC steps) than this thread's last one did.
                    int need = 2 * partial + BitTokenTile * BitOutputTile;
                    var work = _bitTileBuffer is { } kept && kept.Length >= need ? kept : _bitTileBuffer = new float[need];
                    var p = work.AsSpan(0, m * ow);
                    var pVar = work.AsSpan(partial, m * ow);
                    var acc = work.AsSpan(2 * partial, tt * ow);
                    acc.Clear();
                    Span<double> z = stackalloc double[BitOutputTile]; // one partial-sum row's read-noise draws
                    for (int rb = 0; rb < blocks; rb++)
                    {
                        int rows = Math.Min(rpa, inF - rb * rpa), at = BlockAt(j, rb, tt);
                        for (int sl = 0; sl < slices; sl++)
                        {
                            Blas.Gemm(false, true, m, ow, rows, 1f, planes.AsSpan(at, m * rows), packed[sl][rb].AsSpan(o0 * rows, ow * rows), 0f, p);
                            if (planes2 != null)
                                Blas.Gemm(false, true, m, ow, rows, 1f, planes2.AsSpan(at, m * rows), packedReadVar![sl][rb].AsSpan(o0 * rows, ow * rows), 0f, pVar);
                            for (int t = 0; t < tt; t++)
                            {
                                var g = noise ? Draws(_seed, $"{noisePurpose}/read/b{rb}/s{sl}/t{first + t}/o{tile}") : default;
                                var accRow = acc.Slice(t * ow, ow);
                                for (int k = 0; k < steps; k++)
                                {
                                    int kt = k * tt + t;
                                    var pRow = p.Slice(kt * ow, ow);
                                    if (noise) g.Fill(z[..ow]);
                                    if (readSd != null) AddScaledDraws(pRow, readSd[SdAt(j, rb, kt)], z[..ow]);
                                    else if (planes2 != null) AddScaledDraws(pRow, 0, pVar.Slice(kt * ow, ow), z[..ow]);
                                    var adc = idealAdc ? AdcTransfer.Ideal : _adcGroups is { } gr ? gr[(rb * slices + sl) * steps + k] : f.Adc[k];
                                    local += adc.ConvertAccumulate(pRow, accRow, shifts[sl * steps + k]);
                                }
                            }
                        }
                    }
                    for (int t = 0; t < tt; t++)
                        acc.Slice(t * ow, ow).CopyTo(new Span<float>((float*)yAddress + (long)(first + t) * outF + o0, ow));
                    return local;
                }, local => Interlocked.Add(ref clippedHere, local)));
                clipped += clippedHere;
            }
        }
        Interlocked.Add(ref _adcClipped, clipped);
        Interlocked.Add(ref _adcConversions, (long)blocks * slices * steps * tokens * outF);
    }

    /// <summary>
    /// Variance the ADC adds to one output in integer units: sum over row blocks b, slices s and DAC steps k of
    /// (2^(d k + b_c s))^2 e^2_{b,s,k}, where e^2 is the calibrated group's mean squared conversion error measured
    /// on the calibration partial sums (rounding and clipping), or Delta_k^2 / 12 (rounding only) without calibration.
    /// </summary>
    private double AdcErrorVariance(double sliceWeight2, int blocks)
    {
        var f = Format;
        if (f.IdealAdc) return 0;
        if (_adcGroupMse is { } mse)
        {
            double v = 0;
            for (int rb = 0; rb < blocks; rb++)
                for (int sl = 0; sl < _slices.Length; sl++)
                    for (int k = 0; k < f.DacSteps; k++)
                        v += Math.Pow(4, f.DacBits * k + f.BitsPerCell * sl) * mse[(rb * _slices.Length + sl) * f.DacSteps + k];
            return v;
        }
        double adcVar = 0;
        for (int k = 0; k < f.DacSteps; k++)
        {
            var adc = f.Adc[k];
            // A lossless ADC adds no error to integer partial sums; analog noise makes them non-integer.
            if (adc.IsIdeal || (adc.IsLossless && !f.AnyAnalogNoise)) continue;
            adcVar += Math.Pow(4, f.DacBits * k) * adc.QuantizationNoiseVariance;
        }
        return adcVar * sliceWeight2 * blocks;
    }

    /// <summary>Most calibration tokens one layer uses.</summary>
    public const int CalibrationTokens = 512;

    /// <summary>Partial sums sampled per calibration group (a fixed stride over tokens x outputs).</summary>
    private const int CalibrationSamplesPerGroup = 8192;

    /// <summary>Percentile pairs the MSE-optimal calibration tries (CrossSim/aihwkit-style clipping search).</summary>
    private static readonly double[] MseCandidatePercentiles = [100, 99.99, 99.9, 99.5, 99, 98, 96, 93, 90, 85, 80];

    /// <summary>
    /// Per row block, slice and DAC step: the noise-free partial sums of the calibration inputs (as the bit-accurate
    /// path forms them), a fixed-stride sample of them, the range chosen by the configured method (or the spec's
    /// fixed range for max / fraction), and that range's measured mean squared conversion error.
    /// </summary>
    private void CalibrateFromQuantized(float[] xq, int tokens)
    {
        var f = Format;
        int steps = f.DacSteps, rowsPerArray = f.ArrayRows, outF = OutFeatures, inF = InFeatures, slices = _slices.Length;
        int blocks = (inF + rowsPerArray - 1) / rowsPerArray;
        var range = f.Spec.Adc.Range;
        bool calibrated = range.FullScale == AdcFullScaleMode.Calibrated;
        // The bit-accurate path's packed row blocks when it already built them; otherwise one row block at a time,
        // so a statistical-path chip keeps no second, packed copy of its weights after calibrating (same values, same GEMMs).
        var packed = _packedBlocks.IsValueCreated ? _packedBlocks.Value : null;
        var block = packed == null ? new float[slices][] : null;
        var groups = new AdcTransfer[blocks * slices * steps];
        var mse = new double[groups.Length];
        var planes = new float[(long)steps * tokens * blocks * rowsPerArray];
        ParallelRows.For(tokens, inF * steps, t => WriteStepPlanes(xq.AsSpan(t * inF, inF), t, tokens, planes));
        long total = (long)tokens * outF;
        int stride = (int)Math.Max(1, (total + CalibrationSamplesPerGroup - 1) / CalibrationSamplesPerGroup);
        // A stride sharing a factor with the row length would sample the same columns of every token only.
        while (stride > 1 && System.Numerics.BigInteger.GreatestCommonDivisor(stride, outF) != 1) stride++;
        var p = new float[(long)tokens * outF];
        for (int rb = 0; rb < blocks; rb++)
        {
            int r0 = rb * rowsPerArray, rows = Math.Min(rowsPerArray, inF - r0);
            if (block != null)
                for (int sl = 0; sl < slices; sl++) block[sl] = PackBlock(_slices[sl], rb, block[sl]);
            for (int k = 0; k < steps; k++)
            {
                var a = planes.AsSpan(rb * steps * tokens * rowsPerArray + k * tokens * rows, tokens * rows); // block rb's plane of step k
                for (int sl = 0; sl < slices; sl++)
                {
                    Blas.Gemm(false, true, tokens, outF, rows, 1f, a, packed != null ? packed[sl][rb] : block![sl], 0f, p);
                    var sample = new double[(total + stride - 1) / stride];
                    for (long i = 0, j = 0; i < total; i += stride) sample[j++] = p[i];
                    Array.Sort(sample);
                    int g = (rb * slices + sl) * steps + k;
                    groups[g] = calibrated ? ChooseRange(sample, f.Spec.Adc.Bits, range) : f.Adc[k];
                    mse[g] = ConversionMse(groups[g], sample);
                }
            }
        }
        _adcGroupMse = mse;
        _adcGroups = groups;
    }

    private static AdcTransfer ChooseRange(double[] sorted, int bits, AdcRangeSpec range)
    {
        // The range always holds 0: an idle column (a token whose active inputs are few) must read ~0, not the
        // bottom of a range fitted to busy columns (with offset encoding the busy sums sit far above 0).
        AdcTransfer At(double pct) => AdcTransfer.ForRange(bits, Math.Min(0, Quantile(sorted, 1 - pct / 100)), Math.Max(0, Quantile(sorted, pct / 100)));
        if (range.Calibration == AdcCalibrationMethod.Percentile) return At(range.CalibrationPercentile);
        AdcTransfer best = At(100);
        double bestMse = ConversionMse(best, sorted);
        foreach (var pct in MseCandidatePercentiles.Skip(1))
        {
            var c = At(pct);
            double e = ConversionMse(c, sorted);
            if (e < bestMse) { best = c; bestMse = e; }
        }
        return best;
    }

    private static double ConversionMse(AdcTransfer adc, double[] sample)
    {
        if (adc.IsIdeal || sample.Length == 0) return 0;
        double s = 0;
        foreach (var v in sample) { double e = adc.Convert((float)v) - v; s += e * e; }
        return s / sample.Length;
    }

    /// <summary>Linear interpolation between order statistics (numpy's default).</summary>
    private static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(sorted.Length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>sum_s 4^(b s) V_s: the statistical path's read-variance matrix (G-relative read noise only).</summary>
    private float[]? CombineReadVariance()
    {
        if (_readVar == null) return null;
        if (_readVar.Length == 1) return _readVar[0];
        int n = OutFeatures * InFeatures; // storage buffers may be longer than the layer
        var result = new float[n];
        for (int sl = 0; sl < _readVar.Length; sl++)
            TensorPrimitives.MultiplyAdd(_readVar[sl].AsSpan(0, n), (float)Math.Pow(4, Format.BitsPerCell * sl), result, result);
        return result;
    }

    /// <summary>Matrices cut into row blocks ([out, rows] each), the B operands of the bit-accurate GEMMs.</summary>
    private float[][][] PackBlocks(float[][] matrices)
    {
        int rpa = Format.ArrayRows, blocks = (InFeatures + rpa - 1) / rpa;
        var result = new float[matrices.Length][][];
        for (int sl = 0; sl < matrices.Length; sl++)
        {
            result[sl] = new float[blocks][];
            for (int rb = 0; rb < blocks; rb++) result[sl][rb] = PackBlock(matrices[sl], rb);
        }
        return result;
    }

    /// <summary>
    /// Row block <paramref name="rb"/> (one array's rows) of an [out, in] matrix, as [out, rows]; written into
    /// <paramref name="reuse"/> when it has that size (the calibration reuses one buffer: fresh lm_head-sized blocks
    /// would pile up as large-object garbage).
    /// </summary>
    private float[] PackBlock(float[] matrix, int rb, float[]? reuse = null)
    {
        int rpa = Format.ArrayRows, r0 = rb * rpa, rows = Math.Min(rpa, InFeatures - r0);
        var blk = reuse?.LongLength == (long)OutFeatures * rows ? reuse : new float[(long)OutFeatures * rows];
        for (int o = 0; o < OutFeatures; o++)
            matrix.AsSpan(o * InFeatures + r0, rows).CopyTo(blk.AsSpan(o * rows, rows));
        return blk;
    }

}

/// <summary>
/// Buffers that <see cref="RramLinearLayer.Program(float[], int, int, RramFormat, ulong, string, RramLayerStorage?)"/> writes a
/// layer into instead of new arrays, grown to the largest layer and reused: a chip regenerated one layer at a time then
/// holds one layer's arrays, with no large-object garbage per regeneration. A layer programmed into it is valid only
/// until the next layer is programmed into it.
/// </summary>
public sealed class RramLayerStorage
{
    private readonly List<float[]> _buffers = [];
    private readonly RramLayerStorage? _weightsOf;
    private float[]? _weightBuffer;

    public RramLayerStorage() { }

    /// <summary>Storage whose weight buffer is <paramref name="weightsOf"/>'s (several storages, one transient weight buffer).</summary>
    public RramLayerStorage(RramLayerStorage weightsOf) => _weightsOf = weightsOf;

    /// <summary>Floats held (all buffers, the weight buffer included when it is this storage's own).</summary>
    public long Floats => _buffers.Sum(b => b.LongLength) + (_weightsOf is null ? _weightBuffer?.LongLength ?? 0 : 0);

    internal float[]? WeightBufferArray => _weightsOf?.WeightBufferArray ?? _weightBuffer;

    /// <summary>A reused buffer of at least <paramref name="floats"/> floats to read a layer's weights into before programming it.</summary>
    public float[] WeightBuffer(long floats)
    {
        if (_weightsOf is not null) return _weightsOf.WeightBuffer(floats);
        if (_weightBuffer is null || _weightBuffer.LongLength < floats) _weightBuffer = new float[floats];
        return _weightBuffer;
    }

    internal float[] Buffer(int index, long floats)
    {
        while (_buffers.Count <= index) _buffers.Add([]);
        if (_buffers[index].LongLength < floats) _buffers[index] = new float[floats];
        return _buffers[index];
    }
}
