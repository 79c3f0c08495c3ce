using System.Diagnostics;
using CimSim.Common.Numerics;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Simulator.Functional;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;

namespace CimSim.Simulator.Benchmarks;

/// <summary>
/// `cimsim bench accuracy`: tokens/s of functional inference (ideal, statistical and bit-accurate RRAM paths)
/// on a Llama-3.2-1B-shaped model with seeded random weights and fewer decoder layers, for a prefill and for
/// decode, beside the raw SGEMM and SGEMV bounds measured in the same run; peak memory against the float32
/// weight size. Minimums: statistical prefill at 25 % of the SGEMM bound, peak memory under 2x the weights, the calibrated
/// 8-bit ADC path at 50 % of the statistical path, the bit-accurate prefill at 50 % of the SGEMM bound / (DAC steps x slices).
/// </summary>
public sealed class AccuracyBenchmark : IBenchmark
{
    public string Name => "accuracy";

    public string Description => "Functional inference tokens/s (statistical and bit-accurate) on a Llama-3.2-1B-shaped model vs SGEMM/SGEMV bounds; peak memory.";

    public int Run(bool quick, TextWriter output)
    {
        int layers = quick ? 1 : 2, prefill = quick ? 128 : 512, decode = quick ? 4 : 16, bitPrefill = quick ? 8 : 32, bitDecode = quick ? 2 : 4;
        var spec = ModelCatalog.Preset("llama-3.2-1b") with { NumLayers = layers };
        var hw = new HardwareSpec();
        // The realistic ADC of docs/devices.md: 8 bits, range calibrated per array, slice and DAC step.
        var hwAdc = hw with { Rram = hw.Rram with { Adc = hw.Rram.Adc with { Ideal = false, Bits = 8, Range = hw.Rram.Adc.Range with { FullScale = AdcFullScaleMode.Calibrated } } } };
        long linearWeights = spec.ProjectionWeightCount + (long)spec.VocabSize * spec.HiddenSize; // projections + lm_head
        long weightFloats = spec.ParameterCount;
        double weightBytes = weightFloats * 4.0;
        output.WriteLine($"model: llama-3.2-1b shape with {layers} of 16 decoder layers (hidden {spec.HiddenSize}, intermediate {spec.IntermediateSize}, "
            + $"{spec.NumAttentionHeads}/{spec.NumKeyValueHeads} heads, vocab {spec.VocabSize}, tied lm_head); seeded random weights; "
            + $"{weightFloats / 1e6:F0} M parameters = {weightBytes / 1e9:F2} GB float32");
        output.WriteLine($"hardware: built-in default spec (W8A8, 1-bit bit-serial DAC, ADC {(hw.Rram.Adc.Ideal ? "ideal" : hw.Rram.Adc.Bits + "-bit")}, weight noise sigma {hw.Rram.Noise.WeightNoise.Sigma}); BLAS: {Blas.NativeLibraryName ?? "managed fallback"}, {Environment.ProcessorCount} cores");

        // Raw bounds, measured now: SGEMM on the prefill shape of the largest projection, SGEMV on the same matrix.
        int k = spec.HiddenSize, n = spec.IntermediateSize;
        var a = Filled(prefill * k, 1);
        var b = Filled(n * k, 2);
        var c = new float[prefill * n];
        double gemmFlops = BestRate(() => Blas.Gemm(false, true, prefill, n, k, 1f, a, b, 0f, c), 2.0 * prefill * n * k, quick ? 2 : 4);
        var y = new float[n];
        double gemvFlops = BestRate(() => Blas.Gemv(false, n, k, 1f, b, a.AsSpan(0, k), 0f, y), 2.0 * n * k, quick ? 5 : 20);
        // A prefill runs every projection on every token and lm_head on the last position only (the logits a next-token
        // scorer reads); a decode step runs both on its one token.
        double PrefillBound(int tokens) => gemmFlops / (2.0 * (spec.ProjectionWeightCount + (double)spec.VocabSize * spec.HiddenSize / tokens));
        double prefillBound = PrefillBound(prefill), decodeBound = gemvFlops / (2.0 * linearWeights);
        output.WriteLine($"SGEMM {prefill}x{n}x{k}: {gemmFlops / 1e9:F1} GFLOP/s -> prefill bound {prefillBound:F1} tokens/s for {prefill} tokens "
            + $"(2 x ({spec.ProjectionWeightCount / 1e6:F0} M projection weights + {(double)spec.VocabSize * spec.HiddenSize / 1e6:F0} M lm_head weights / {prefill}) per token; "
            + $"{PrefillBound(bitPrefill):F1} tokens/s for the bit-accurate {bitPrefill})");
        output.WriteLine($"SGEMV {n}x{k}: {gemvFlops / 1e9:F1} GFLOP/s -> decode bound {decodeBound:F1} tokens/s (2 x {linearWeights / 1e6:F0} M linear weights per token)");
        a = b = c = null!;

        bool ok = true;
        double statPrefill = 0, statDecode = 0;
        var format = new RramFormat(hw.Rram);
        int bitWork = format.DacSteps * format.SlicesPerWeight;
        var tokens = Enumerable.Range(0, prefill + decode).Select(i => (i * 7919 + 13) % spec.VocabSize).ToArray();
        foreach (var (label, placer, pre, dec) in new (string, Func<ILinearPlacer>, int, int)[]
        {
            ("ideal", () => IdealPlacer.Instance, prefill, decode),
            ("statistical", () => FunctionalHardware.Placer(hw, 0, RramPath.Statistical), prefill, decode),
            ("stat+adc8cal", () => FunctionalHardware.Placer(hwAdc, 0, RramPath.Statistical), prefill, decode),
            ("bit-accurate", () => FunctionalHardware.Placer(hw, 0, RramPath.BitAccurate), bitPrefill, bitDecode),
        })
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            ResetPeakMemory();
            var (buildS, preS, decS) = RunPhase(spec, placer, tokens, pre, dec);
            double peak = PeakMemoryBytes();
            double preRate = pre / preS, decRate = dec / decS;
            // The bit-accurate path's bound is SGEMM / (DAC steps x slices): one partial-sum GEMM per step and slice.
            var stepsNote = label == "bit-accurate" ? $", {preRate * bitWork / PrefillBound(pre):P0} of SGEMM bound / ({format.DacSteps} DAC steps x {format.SlicesPerWeight} slices)" : "";
            output.WriteLine($"{label,-12}: build {buildS,6:F1} s | prefill {pre} tokens {preRate,8:F1} tokens/s ({preRate / PrefillBound(pre):P0} of SGEMM bound{stepsNote}) | "
                + $"decode {dec} tokens {decRate,7:F2} tokens/s ({decRate / decodeBound:P0} of SGEMV bound) | peak RSS {peak / 1e9:F2} GB = {peak / weightBytes:F2}x weights");
            if (label == "statistical")
            {
                bool speed = preRate >= 0.25 * prefillBound, memory = peak < 2 * weightBytes;
                output.WriteLine($"  minimum statistical prefill >= 25% of SGEMM bound: {(speed ? "met" : "MISSED")}; peak memory < 2x float32 weights: {(memory ? "met" : "MISSED")}");
                ok &= speed && memory;
                (statPrefill, statDecode) = (preRate, decRate);
            }
            if (label == "bit-accurate")
            {
                bool speed = preRate * bitWork >= 0.5 * PrefillBound(pre);
                output.WriteLine($"  minimum bit-accurate prefill >= 50% of SGEMM bound / (DAC steps x slices): {(speed ? "met" : "MISSED")}");
                ok &= speed;
            }
            if (label == "stat+adc8cal")
            {
                bool speed = preRate >= 0.5 * statPrefill && decRate >= 0.5 * statDecode;
                output.WriteLine($"  calibrated 8-bit ADC path: prefill {preRate / statPrefill:P0}, decode {decRate / statDecode:P0} of the statistical path (minimum 50 %: {(speed ? "met" : "MISSED")}); build includes the calibration pass");
                ok &= speed;
            }
        }
        BitAccurateLayer(format, spec, quick ? 16 : 64, gemmFlops, output);
        return ok ? 0 : 1;
    }

    /// <summary>
    /// The bit-accurate path on one layer of the model's largest shape (intermediate x hidden), programmed once and held:
    /// the rate of its step-GEMM work (2 x tokens x out x in x DAC steps x slices FLOP per call, best of 7 after a
    /// warm-up) against SGEMM, i.e. the fraction of SGEMM / (steps x slices) it reaches (issue 19: 50 %).
    /// </summary>
    private static void BitAccurateLayer(RramFormat format, ModelSpec spec, int tokens, double gemmFlops, TextWriter output)
    {
        int outF = spec.IntermediateSize, inF = spec.HiddenSize;
        var layer = RramLinearLayer.Program(Filled(outF * inF, 3).Select(v => v * 0.04f).ToArray(), outF, inF, format, 1, "bench");
        var x = Filled(tokens * inF, 4);
        var y = new float[tokens * outF];
        double work = 2.0 * tokens * outF * inF * format.DacSteps * format.SlicesPerWeight;
        double rate = work / BenchTiming.BestSeconds(() => layer.Forward(x, y, tokens, RramPath.BitAccurate), 7);
        output.WriteLine($"bit-accurate, one {outF} x {inF} layer, {tokens} tokens: {rate / 1e9:F1} GFLOP/s of step-GEMM work "
            + $"({format.DacSteps} DAC steps x {format.SlicesPerWeight} slices) = {rate / gemmFlops:P0} of SGEMM / (steps x slices)");
    }

    public bool HasFull => true;

    /// <summary>
    /// `--full`: whole Llama-3.2-1B, 3.2-3B and 3.1-8B shapes (CIMSIM_BENCH_SHAPES, comma-separated presets, picks
    /// some) from a BF16 checkpoint of seeded random weights written to CIMSIM_BENCH_DIR (default: the temporary
    /// directory) and deleted afterwards: prefill tokens/s and peak RSS of the ideal reference on the mapped
    /// checkpoint and of the statistical chip regenerated per layer (no layer kept beyond its slot; weight noise drawn by
    /// the polar generator, the default, then by box-muller), for CIMSIM_BENCH_GROUPS (default 8) layer-major batches of
    /// CIMSIM_BENCH_BATCH = SEQUENCESxTOKENS prompts each (default 16x64; the last position's logits of each, as a
    /// scorer of the next token would), every decoder layer running on all batches before the next (one programming
    /// per layer for all of them), timed after a warm-up batch (the first batch alone, its time printed: first touch of
    /// the slots' storage, lm_head programmed into its slot), as every chunk after the first of a long evaluation runs.
    /// Two bounds: the model's own SGEMMs for one batch replayed back to back (<see cref="ReplayLinearGemms"/>), before
    /// the phases and after each one, the fastest replay setting the bound (each phase is also read against the faster of
    /// the two replays beside it, which this VM's drift within a run moves less); and, as in earlier runs, SGEMM's best
    /// rate on the largest projection at one batch's row count against the linear FLOPs (2 x projection weights per token
    /// + 2 x lm_head weights per sequence; the larger reading).
    /// Writing the checkpoint and each measured phase run in a child process of their own (this command again, with
    /// <see cref="PhaseVariable"/> set), so a phase's peak RSS is that process's VmHWM: the accuracy path plus the
    /// runtime, nothing retained from writing the file or from the other phase.
    /// </summary>
    public int RunFull(TextWriter output)
    {
        var phase = Environment.GetEnvironmentVariable(PhaseVariable);
        if (!string.IsNullOrEmpty(phase)) return RunChildPhase(phase, output);
        var shapes = (Environment.GetEnvironmentVariable("CIMSIM_BENCH_SHAPES") ?? "llama-3.2-1b,llama-3.2-3b,llama-3.1-8b")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var root = Path.Combine(Environment.GetEnvironmentVariable("CIMSIM_BENCH_DIR") ?? Path.GetTempPath(), "cimsim-bench-accuracy");
        var (sequences, length) = FullBatch();
        int rows = sequences * length, groups = FullGroups();
        output.WriteLine($"BLAS: {Blas.NativeLibraryName ?? "managed fallback"}, {Environment.ProcessorCount} cores; layer-major prefill of {groups} batch(es) of {sequences} sequences x {length} tokens "
            + $"(each decoder layer on every batch before the next layer: a regenerated layer is programmed once per {groups * rows} tokens); "
            + $"BF16 checkpoints in {root}; checkpoint writing and each phase in a child process (peak RSS = the child's VmHWM, runtime included)");
        int rc = 0;
        // CIMSIM_BENCH_KEEP=1: a checkpoint already in the directory (written before, e.g. on more cores) is used and kept.
        bool keep = Environment.GetEnvironmentVariable("CIMSIM_BENCH_KEEP") == "1";
        foreach (var shape in shapes)
        {
            var spec = FullSpec(shape);
            var dir = Path.Combine(root, shape);
            try
            {
                var sw = Stopwatch.StartNew();
                var existing = keep && File.Exists(Path.Combine(dir, "model.safetensors"));
                var written = existing ? new PhaseResult(0, 0, 0, 0, 0, 0) : RunChild("write", shape, dir);
                if (written is null) return 1;
                double writeS = sw.Elapsed.TotalSeconds;
                // Linear work of the batch: every projection on every token, lm_head on each sequence's last position.
                double flops = 2.0 * ((double)spec.ProjectionWeightCount * rows + (double)spec.VocabSize * spec.HiddenSize * sequences);
                int k = spec.HiddenSize, n = spec.IntermediateSize;
                // SGEMM before and after the phases (the writer's page-cache flushing can depress the first): the larger sets the bound.
                double gemmBefore = MeasureGemm(rows, k, n);
                // The replay before the phases and again after each: a phase is also read against the faster of the two replays
                // beside it (this VM's SGEMM drifts by up to 16 % within a run, so a late phase met a slower machine than the first replay).
                var replays = new List<double> { ReplayLinearGemms(spec, rows, sequences) };
                string loadBefore = LoadAverage();
                var phases = new List<(string Label, PhaseResult Result, string Load, double Beside)>();
                foreach (var (label, key) in new[] { ("ideal (mapped)", "ideal"), ("statistical (regenerated, polar)", "statistical"),
                    ("statistical (regenerated, box-muller)", "statistical-box-muller") })
                {
                    var r = RunChild(key, shape, dir);
                    string load = LoadAverage();
                    replays.Add(ReplayLinearGemms(spec, rows, sequences));
                    if (r is null) rc = 1;
                    else phases.Add((label, r.Value, load, Math.Min(replays[^2], replays[^1])));
                }
                double gemmAfter = MeasureGemm(rows, k, n), gemm = Math.Max(gemmBefore, gemmAfter);
                double replay = replays.Min();
                double bound = rows * gemm / flops, modelBound = rows / replay;
                var layersNote = spec.NumLayers < ModelCatalog.Preset(shape).NumLayers ? $" ({spec.NumLayers} of {ModelCatalog.Preset(shape).NumLayers} decoder layers)" : "";
                var writeNote = existing ? "written before this run" : $"written in {writeS:F0} s, writer peak RSS {written.Value.PeakBytes / 1e9:F2} GB";
                output.WriteLine($"{shape}{layersNote}: {spec.ParameterCount / 1e9:F2} B parameters ({spec.ParameterCount * 2 / 1e9:F1} GB BF16, {writeNote}); "
                    + $"SGEMM {rows}x{n}x{k} {gemmBefore / 1e9:F1} GFLOP/s before the phases (load average {loadBefore}), {gemmAfter / 1e9:F1} after "
                    + $"(load average {LoadAverage()}) -> bound {bound:F2} tokens/s at the larger; the model's own SGEMMs for one batch "
                    + $"(every projection of every layer, then lm_head, back to back, best of 3) {replays[0]:F2} s before the phases, "
                    + $"{string.Join(" / ", replays.Skip(1).Select(x => x.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))} s after each "
                    + $"= {flops / replay / 1e9:F1} GFLOP/s -> model SGEMM bound {modelBound:F2} tokens/s at the fastest");
                foreach (var (label, (buildS, warmS, preS, peak, gemmS, gemmFlops), load, beside) in phases)
                    output.WriteLine($"  {label,-37}: build {buildS,6:F1} s | warm-up batch {warmS,6:F1} s | prefill {groups * rows / preS,7:F2} tokens/s ({groups * rows / preS / modelBound:P0} of the model's SGEMM bound, "
                        + $"{groups * rows / preS / (rows / beside):P0} of the replays beside it, {groups * rows / preS / bound:P0} of the one-shape bound) "
                        + $"| its large GEMMs {gemmS:F1} of {preS:F1} s at {(gemmS > 0 ? gemmFlops / gemmS / 1e9 : 0):F1} GFLOP/s "
                        + $"| peak RSS {peak / 1e9:F2} GB | load average {load}");
            }
            finally
            {
                if (!keep && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        }
        return rc;
    }

    /// <summary>Environment variable that makes `bench accuracy --full` one child phase: "write", "ideal" or "statistical".</summary>
    public const string PhaseVariable = "CIMSIM_BENCH_PHASE";

    /// <summary>
    /// The preset, with only its first CIMSIM_BENCH_LAYERS decoder layers when that is set (a partial run of a model too
    /// large for the time at hand: embedding and lm_head whole, so the peak memory they set is measured).
    /// </summary>
    private static ModelSpec FullSpec(string shape)
    {
        var spec = ModelCatalog.Preset(shape);
        var text = Environment.GetEnvironmentVariable("CIMSIM_BENCH_LAYERS");
        if (string.IsNullOrEmpty(text)) return spec;
        if (!int.TryParse(text, out var layers) || layers < 1)
            throw new CimSim.Common.Errors.UserInputException($"CIMSIM_BENCH_LAYERS '{text}': expected a positive number of decoder layers");
        return spec with { NumLayers = Math.Min(layers, spec.NumLayers) };
    }

    /// <summary>CIMSIM_BENCH_GROUPS = batches run layer-major together (default 8): each regenerated layer is programmed once for all of them.</summary>
    private static int FullGroups()
    {
        var text = Environment.GetEnvironmentVariable("CIMSIM_BENCH_GROUPS") ?? "8";
        if (int.TryParse(text, out var g) && g >= 1 && g <= 4096) return g;
        throw new CimSim.Common.Errors.UserInputException($"CIMSIM_BENCH_GROUPS '{text}': expected a number of batches from 1 to 4096");
    }

    /// <summary>CIMSIM_BENCH_BATCH = "SEQUENCESxTOKENS" (default 16x64): one layer-major prefill batch of `--full`.</summary>
    private static (int Sequences, int Tokens) FullBatch()
    {
        var text = Environment.GetEnvironmentVariable("CIMSIM_BENCH_BATCH") ?? "16x64";
        var parts = text.Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], out var b) && int.TryParse(parts[1], out var t) && b >= 1 && t >= 1 && (long)b * t <= 1 << 20)
            return (b, t);
        throw new CimSim.Common.Errors.UserInputException($"CIMSIM_BENCH_BATCH '{text}': expected SEQUENCESxTOKENS, e.g. 16x64");
    }

    /// <summary>
    /// Seconds that SGEMM alone takes for one batch's linear work of <paramref name="spec"/>: every projection of every
    /// decoder layer on <paramref name="rows"/> rows (the executors' own call, x [rows, in] times W^T [in, out]), then
    /// lm_head on one row per sequence, back to back on one layer's seeded weights (best of three after a warm-up); the
    /// time no implementation of the model's linear layers on this BLAS can beat, shapes and calls included.
    /// </summary>
    private static double ReplayLinearGemms(ModelSpec spec, int rows, int sequences)
    {
        var shapes = spec.Projections.Select(spec.Shape).ToList();
        var weights = shapes.Select((sh, i) => Filled(sh.Out * sh.In, 10 + i)).ToList();
        int widest = shapes.Max(sh => Math.Max(sh.In, sh.Out));
        var x = Filled(rows * widest, 5);
        var y = new float[(long)rows * widest];
        var head = Filled(spec.VocabSize * spec.HiddenSize, 6);
        var logits = new float[(long)sequences * spec.VocabSize];
        void Once()
        {
            for (int l = 0; l < spec.NumLayers; l++)
                for (int i = 0; i < shapes.Count; i++)
                    Blas.Gemm(false, true, rows, shapes[i].Out, shapes[i].In, 1f, x, weights[i], 0f, y);
            Blas.Gemm(false, true, sequences, spec.VocabSize, spec.HiddenSize, 1f, x, head, 0f, logits);
        }
        Once(); // warm-up: pages touched, BLAS threads started
        // Best of three: replays read 13.4-16.6 s on this VM within 20 minutes, and a bound is the fastest the machine does.
        double best = double.MaxValue;
        for (int r = 0; r < 3; r++)
        {
            var sw = Stopwatch.StartNew();
            Once();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static double MeasureGemm(int m, int k, int n)
    {
        var a = Filled(m * k, 1);
        var b = Filled(n * k, 2);
        var c = new float[(long)m * n];
        return BestRate(() => Blas.Gemm(false, true, m, n, k, 1f, a, b, 0f, c), 2.0 * m * n * k, 3);
    }

    /// <summary>A child phase's "phase-result" line: seconds to build, of the warm-up batch and of the timed prefill, its peak
    /// RSS, and the prefill's large GEMMs (<see cref="Blas.TimeLargeGemms"/>).</summary>
    private readonly record struct PhaseResult(double Build, double Warm, double Prefill, double PeakBytes, double GemmSeconds, double GemmFlops);

    /// <summary>Runs one phase as a child process of this command and parses its result line; null (after printing its output) if it failed.</summary>
    private static PhaseResult? RunChild(string phase, string shape, string dir)
    {
        var psi = new ProcessStartInfo { RedirectStandardOutput = true, UseShellExecute = false };
        var self = Environment.ProcessPath ?? "dotnet";
        psi.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            psi.ArgumentList.Add(System.Reflection.Assembly.GetEntryAssembly()!.Location);
        foreach (var arg in new[] { "bench", "accuracy", "--full" }) psi.ArgumentList.Add(arg);
        psi.Environment[PhaseVariable] = phase;
        psi.Environment["CIMSIM_BENCH_SHAPES"] = shape;
        psi.Environment["CIMSIM_BENCH_PHASE_DIR"] = dir;
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("phase-result ", StringComparison.Ordinal));
        if (p.ExitCode != 0 || line is null)
        {
            Console.Error.WriteLine($"bench accuracy --full: phase {phase} of {shape} failed (exit {p.ExitCode}):\n{text}");
            return null;
        }
        var f = line.Split(' ');
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return new PhaseResult(double.Parse(f[1], inv), double.Parse(f[2], inv), double.Parse(f[3], inv), double.Parse(f[4], inv), double.Parse(f[5], inv), double.Parse(f[6], inv));
    }

    /// <summary>The child's side: one phase, then "phase-result BUILD_S WARMUP_S PREFILL_S PEAK_BYTES GEMM_S GEMM_FLOPS" (its own
    /// VmHWM; the prefill's large GEMMs, <see cref="Blas.TimeLargeGemms"/>).</summary>
    private static int RunChildPhase(string phase, TextWriter output)
    {
        var shape = Environment.GetEnvironmentVariable("CIMSIM_BENCH_SHAPES")!;
        var dir = Environment.GetEnvironmentVariable("CIMSIM_BENCH_PHASE_DIR")!;
        var spec = FullSpec(shape);
        double buildS = 0, warmS = 0, preS = 0, gemmS = 0, gemmFlops = 0;
        if (phase == "write")
            WriteRandomCheckpoint(spec, shape, dir);
        else
        {
            var (sequences, length) = FullBatch();
            var tokens = Enumerable.Range(0, sequences * FullGroups()).Select(j => Enumerable.Range(0, length).Select(i => ((j * length + i) * 7919 + 13) % spec.VocabSize).ToArray()).ToList();
            Func<ILinearPlacer> placer = phase switch
            {
                "ideal" => () => MappedIdealPlacer.Instance,
                "statistical" => () => FunctionalHardware.Placer(new HardwareSpec(), 0, RramPath.Statistical, chipCacheBytes: 0),
                "statistical-box-muller" => () => FunctionalHardware.Placer(BoxMuller(new HardwareSpec()), 0, RramPath.Statistical, chipCacheBytes: 0),
                _ => throw new ArgumentException($"{PhaseVariable}: expected write, ideal, statistical or statistical-box-muller, got '{phase}'"),
            };
            (buildS, warmS, preS, gemmS, gemmFlops) = RunCheckpointPhase(dir, placer, tokens.Chunk(sequences).ToList());
        }
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"phase-result {buildS:R} {warmS:R} {preS:R} {PeakMemoryBytes():R} {gemmS:R} {gemmFlops:R}"));
        return 0;
    }

    /// <summary>The spec with rram.noise.weight_noise.generator: box-muller.</summary>
    private static HardwareSpec BoxMuller(HardwareSpec hw) => hw with
    {
        Rram = hw.Rram with { Noise = hw.Rram.Noise with { WeightNoise = hw.Rram.Noise.WeightNoise with { Generator = NormalGenerator.BoxMuller } } },
    };

    /// <summary>The 1-minute load average (Linux /proc/loadavg), or "n/a".</summary>
    internal static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (double Build, double Warm, double Prefill, double GemmSeconds, double GemmFlops) RunCheckpointPhase(string dir, Func<ILinearPlacer> placer, List<int[][]> batches)
    {
        var cfg = Path.Combine(dir, "config.json");
        using var ck = SafetensorsCheckpoint.Open(dir);
        var sw = Stopwatch.StartNew();
        var model = FunctionalModel.Build(ModelConfigParser.ParseFile(cfg), new CheckpointWeightSource(ck, cfg), placer());
        double buildS = sw.Elapsed.TotalSeconds;
        // Scored prefills: no session decodes afterwards, so each keeps one layer's keys and values.
        List<InferenceSession.ForwardBatch> Batches(IEnumerable<int[][]> of) =>
            of.Select(b => new InferenceSession.ForwardBatch(b.Select(t => new InferenceSession(model, t.Length, keepKvCache: false)).ToList(), b)).ToList();
        // Warm-up: the first batch alone, so that the timed chunk runs as every chunk after the first of a long evaluation
        // does (and as the bounds are timed, after a warm-up): every slot's storage and buffer touched once, lm_head
        // programmed into its slot (where it stays), BLAS threads started. Its time is reported beside the build.
        sw.Restart();
        InferenceSession.Forward(Batches(batches.Take(1)), lastOnly: true, (_, _) => { });
        double warmS = sw.Elapsed.TotalSeconds;
        Blas.ResetLargeGemmTotals();
        Blas.TimeLargeGemms = true;
        sw.Restart();
        InferenceSession.Forward(Batches(batches), lastOnly: true, (_, _) => { });
        double prefillS = sw.Elapsed.TotalSeconds;
        Blas.TimeLargeGemms = false;
        var (gemmS, gemmFlops) = Blas.LargeGemmTotals;
        return (buildS, warmS, prefillS, gemmS, gemmFlops);
    }

    /// <summary>config.json of the preset and its tensors as BF16 seeded random weights (<see cref="RandomWeightSource"/>), one tensor in memory at a time.</summary>
    private static void WriteRandomCheckpoint(ModelSpec spec, string preset, string dir)
    {
        Directory.CreateDirectory(dir);
        var config = System.Text.Json.Nodes.JsonNode.Parse(ModelCatalog.PresetConfigJson(preset))!;
        config["num_hidden_layers"] = spec.NumLayers;
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        var tensors = FunctionalModel.ExpectedTensors(spec).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        using var header = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            long offset = 0;
            foreach (var (name, shape) in tensors)
            {
                long bytes = shape.Aggregate(2L, (x, d) => x * d);
                w.WriteStartObject(name);
                w.WriteString("dtype", "BF16");
                w.WriteStartArray("shape");
                foreach (var d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        var headerBytes = header.ToArray().AsEnumerable().Concat(Enumerable.Repeat((byte)' ', (8 - (int)(header.Length % 8)) % 8)).ToArray();
        var source = new RandomWeightSource(0);
        using var fs = new FileStream(Path.Combine(dir, "model.safetensors"), FileMode.Create, FileAccess.Write);
        fs.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
        fs.Write(headerBytes);
        foreach (var (name, shape) in tensors)
            fs.Write(SafetensorsWriter.Encode(source.Read(name, shape), TensorDType.BF16));
    }

    /// <summary>One phase in its own frame, so nothing of it stays reachable afterwards (Debug builds keep locals alive).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (double Build, double Prefill, double Decode) RunPhase(ModelSpec spec, Func<ILinearPlacer> placer, int[] tokens, int pre, int dec)
    {
        var sw = Stopwatch.StartNew();
        var model = FunctionalModel.Build(spec, new RandomWeightSource(0), placer());
        double buildS = sw.Elapsed.TotalSeconds;
        var session = new InferenceSession(model, pre + dec);
        // Warm-up: the same prefill and one decode step (JIT, thread pool, the buffers a call keeps, pages touched), then a
        // fresh session for the timed run: steady-state rates, as the SGEMM and SGEMV bounds are.
        session.Forward(tokens.AsSpan(0, pre), lastOnly: true);
        session.Forward(tokens.AsSpan(pre, 1));
        session = new InferenceSession(model, pre + dec);
        sw.Restart();
        session.Forward(tokens.AsSpan(0, pre), lastOnly: true);
        double preS = sw.Elapsed.TotalSeconds;
        sw.Restart();
        for (int t = 0; t < dec; t++) session.Forward(tokens.AsSpan(pre + t, 1));
        return (buildS, preS, sw.Elapsed.TotalSeconds);
    }

    private static float[] Filled(int count, int seed)
    {
        var r = new System.Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(r.NextDouble() - 0.5);
        return x;
    }

    /// <summary>Best FLOP/s of <paramref name="repeats"/> timed runs after one warm-up.</summary>
    private static double BestRate(Action run, double flops, int repeats) => flops / BenchTiming.BestSeconds(run, repeats);

    /// <summary>Resets Linux's peak-RSS counter (VmHWM) so each phase is measured alone; a no-op elsewhere.</summary>
    private static void ResetPeakMemory()
    {
        try
        {
            File.WriteAllText($"/proc/{Environment.ProcessId}/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux or not permitted: the peak then covers the whole process so far.
        }
    }

    private static double PeakMemoryBytes()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.PeakWorkingSet64;
    }
}
