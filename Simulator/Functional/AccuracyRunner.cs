using System.Numerics.Tensors;
using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Workloads.Datasets;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;
using Serilog;

namespace CimSim.Simulator.Functional;

/// <summary>What <see cref="AccuracyRunner.Run"/> evaluates.</summary>
public sealed record AccuracyOptions
{
    /// <summary>Hugging Face model directory (config.json + safetensors).</summary>
    public required string ModelDirectory { get; init; }

    public string? AdapterDirectory { get; init; }

    public required HardwareSpec Hardware { get; init; }

    /// <summary>How the hardware is named in the report (its file).</summary>
    public required string HardwareName { get; init; }

    public required IReadOnlyList<EvalItem> Items { get; init; }

    public required string DataName { get; init; }

    /// <summary>Chip instances per noise level; seeds FirstSeed .. FirstSeed + Seeds - 1.</summary>
    public int Seeds { get; init; } = 5;

    public ulong FirstSeed { get; init; }

    /// <summary>Values of rram.noise.weight_noise.sigma to evaluate; null or empty: the config's own value.</summary>
    public IReadOnlyList<double>? Sigmas { get; init; }

    public RramPath Path { get; init; } = RramPath.Statistical;

    /// <summary>Longest sequence scored (texts are cut, choice contexts lose their start).</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Tokenizer; default: the model's tokenizer.json, else bytes.</summary>
    public ITextTokenizer? Tokenizer { get; init; }

    /// <summary>Ideal results are kept in memory up to this many floats (else recomputed per chip).</summary>
    public long IdealCacheFloats { get; init; } = 64L << 20;
}

/// <summary>
/// The accuracy study: runs the data through the ideal model and through N chip instances per noise level,
/// and measures perplexity, multiple-choice accuracy (log-likelihood of each choice, as lm-evaluation-harness
/// scores `acc` and `acc_norm`), KL divergence and top-1 agreement against the ideal model, and per-module
/// and per-layer output error. Same options and seeds give the same report.
/// </summary>
public static class AccuracyRunner
{
    private sealed record Sequence(int[] Tokens, int ScoreFrom, int Item, int Choice, int ContinuationBytes);

    private sealed record SequenceResult(float[] LogProbs, IReadOnlyList<float[]> Hidden);

    /// <summary>The model, data and ideal reference shared by every chip of a run.</summary>
    private sealed class Study(AccuracyOptions options, ModelSpec spec, IWeightSource source, PeftAdapter? adapter, FunctionalModel ideal,
        ITextTokenizer tokenizer, List<Sequence> sequences, bool cacheIdeal)
    {
        private readonly SequenceResult?[] _idealCache = new SequenceResult?[sequences.Count];

        public AccuracyOptions Options => options;
        public ModelSpec Spec => spec;
        public IWeightSource Source => source;
        public PeftAdapter? Adapter => adapter;
        public FunctionalModel IdealModel => ideal;
        public ITextTokenizer Tokenizer => tokenizer;
        public List<Sequence> Sequences => sequences;
        public int Vocab => spec.VocabSize;

        /// <summary>The ideal model's result for sequence i (kept when the cache budget allows, else recomputed).</summary>
        public SequenceResult Ideal(int i)
        {
            if (_idealCache[i] is { } r) return r;
            r = RunSequence(ideal, sequences[i].Tokens, null, null);
            if (cacheIdeal) _idealCache[i] = r;
            return r;
        }
    }

    public static AccuracyReport Run(AccuracyOptions o)
    {
        using var ck = OpenCheckpoint(o, out var spec, out var source);
        var notes = new List<string>();
        var study = Prepare(o, spec, source, notes);
        var idealScores = Score(study.Sequences, i => study.Ideal(i).LogProbs, study.Vocab, o.Items);
        Log.Information("ideal: perplexity {Ppl}, choice accuracy {Acc}", Fmt(idealScores.Perplexity), Fmt(idealScores.Accuracy));

        var sigmas = o.Sigmas is { Count: > 0 } ? o.Sigmas : [o.Hardware.Rram.Noise.WeightNoise.Sigma];
        var seeds = Enumerable.Range(0, o.Seeds).Select(i => o.FirstSeed + (ulong)i).ToList();
        string? plan = null;
        var levels = new List<NoiseLevelResult>();
        foreach (var sigma in sigmas)
        {
            var hw = FunctionalHardware.WithWeightNoiseSigma(o.Hardware, sigma);
            var chips = new List<ChipMetrics>();
            foreach (var seed in seeds)
            {
                var chip = FunctionalModel.Build(spec, source, FunctionalHardware.Placer(hw, seed, o.Path), study.Adapter);
                plan ??= chip.PlanDescription;
                chips.Add(MeasureChip(study, chip, seed));
                Log.Information("sigma {Sigma}, seed {Seed}: perplexity {Ppl}, choice accuracy {Acc}, KL {Kl:G4}, top-1 {Top1:P1}",
                    sigma, seed, Fmt(chips[^1].Perplexity), Fmt(chips[^1].ChoiceAccuracy), chips[^1].KlDivergence, chips[^1].Top1Agreement);
            }
            levels.Add(Summarise(sigma, chips));
        }
        notes.Add((plan ?? "W0 on RRAM; lm_head digital") + "; embeddings, norms, biases, LoRA and attention products exact (digital / SRAM CIM); SRAM and digital matrices exact.");
        if (!o.Hardware.Rram.Adc.Ideal)
            notes.Add($"ADC: {o.Hardware.Rram.Adc.Bits}-bit, full scale {o.Hardware.Rram.Adc.Range.FullScale.ToString().ToLowerInvariant()}" +
                (o.Hardware.Rram.Adc.Range.FullScale == AdcFullScaleMode.Calibrated ? $" ({AdcCalibrationPass.Prompts} x {AdcCalibrationPass.TokensPerPrompt} seeded calibration tokens per chip)" : ""));
        return new AccuracyReport
        {
            Model = o.ModelDirectory,
            Adapter = o.AdapterDirectory,
            Hardware = o.HardwareName,
            DevicePath = FunctionalHardware.PathName(o.Path),
            Data = o.DataName,
            Tokenizer = study.Tokenizer.Describe,
            TextItems = o.Items.OfType<TextItem>().Count(),
            ChoiceItems = o.Items.OfType<ChoiceItem>().Count(),
            MaxTokens = o.MaxTokens,
            Seeds = seeds,
            Ideal = new IdealMetrics(idealScores.Perplexity, idealScores.Accuracy, idealScores.AccuracyNorm),
            Levels = levels,
            Notes = notes,
        };
    }

    /// <summary>Checks the options and opens the model's weights.</summary>
    private static SafetensorsCheckpoint OpenCheckpoint(AccuracyOptions o, out ModelSpec spec, out IWeightSource source)
    {
        if (o.Seeds < 1) throw new UserInputException($"--seeds {o.Seeds}: expected at least 1");
        if (o.MaxTokens < 2) throw new UserInputException($"--max-tokens {o.MaxTokens}: expected at least 2");
        var cfg = System.IO.Path.Combine(o.ModelDirectory, "config.json");
        if (!File.Exists(cfg)) throw new UserInputException($"{o.ModelDirectory}: no config.json (expected a Hugging Face model directory)");
        spec = ModelConfigParser.ParseFile(cfg);
        if (!SafetensorsCheckpoint.Exists(o.ModelDirectory))
            throw new UserInputException($"{o.ModelDirectory}: no safetensors weights; the accuracy study needs the model's weights");
        var ck = SafetensorsCheckpoint.Open(o.ModelDirectory);
        source = new CheckpointWeightSource(ck, cfg);
        return ck;
    }

    /// <summary>The ideal model, the tokenised sequences and the ideal-result cache.</summary>
    private static Study Prepare(AccuracyOptions o, ModelSpec spec, IWeightSource source, List<string> notes)
    {
        var adapter = o.AdapterDirectory is null ? null : PeftAdapter.Load(o.AdapterDirectory);
        var ideal = FunctionalModel.Build(spec, source, IdealPlacer.Instance, adapter);
        var tokenizer = o.Tokenizer ?? TextTokenizers.ForModel(o.ModelDirectory, spec);
        var sequences = BuildSequences(o.Items, tokenizer, o.MaxTokens, spec.VocabSize, notes);
        long idealFloats = sequences.Sum(s => (long)s.Tokens.Length * (spec.VocabSize + spec.HiddenSize * spec.NumLayers));
        bool cache = idealFloats <= o.IdealCacheFloats;
        if (!cache) notes.Add($"ideal results ({idealFloats} floats) exceed the cache budget: recomputed for every chip");
        return new Study(o, spec, source, adapter, ideal, tokenizer, sequences, cache);
    }

    /// <summary>One chip instance against the ideal model: scores, KL, top-1 agreement, faults, module and layer errors.</summary>
    private static ChipMetrics MeasureChip(Study study, FunctionalModel chip, ulong seed)
    {
        var moduleObs = new ModuleErrorObserver(study.IdealModel);
        var hiddenObs = new HiddenStateObserver();
        moduleObs.Next = hiddenObs;
        double kl = 0, agree = 0;
        long positions = 0;
        var chipLogProbs = new float[study.Sequences.Count][];
        for (int i = 0; i < study.Sequences.Count; i++)
        {
            var reference = study.Ideal(i);
            hiddenObs.Reference = reference.Hidden;
            var r = RunSequence(chip, study.Sequences[i].Tokens, moduleObs, hiddenObs);
            chipLogProbs[i] = r.LogProbs;
            var (k, a, n) = CompareDistributions(reference.LogProbs, r.LogProbs, study.Vocab);
            kl += k;
            agree += a;
            positions += n;
        }
        var scores = Score(study.Sequences, i => chipLogProbs[i], study.Vocab, study.Options.Items);
        var faults = chip.Executors.OfType<RramLinear>().Aggregate(new RramFaultCounts(), (acc, l) => acc + l.Layer.Faults);
        return new ChipMetrics
        {
            Seed = seed,
            Perplexity = scores.Perplexity,
            ChoiceAccuracy = scores.Accuracy,
            ChoiceAccuracyNorm = scores.AccuracyNorm,
            KlDivergence = positions > 0 ? kl / positions : 0,
            Top1Agreement = positions > 0 ? agree / positions : 0,
            Cells = faults.Cells,
            StuckCells = faults.Stuck,
            Modules = moduleObs.Modules.Results(),
            DecoderLayers = hiddenObs.Layers.Results(),
        };
    }

    /// <summary>Means and spreads over the chips of one noise level.</summary>
    private static NoiseLevelResult Summarise(double sigma, List<ChipMetrics> chips) => new()
    {
        Sigma = sigma,
        Chips = chips,
        Perplexity = MetricSummary.Of(chips.Select(c => c.Perplexity)),
        ChoiceAccuracy = MetricSummary.Of(chips.Select(c => c.ChoiceAccuracy)),
        ChoiceAccuracyNorm = MetricSummary.Of(chips.Select(c => c.ChoiceAccuracyNorm)),
        KlDivergence = MetricSummary.Of(chips.Select(c => (double?)c.KlDivergence)),
        Top1Agreement = MetricSummary.Of(chips.Select(c => (double?)c.Top1Agreement)),
        Modules = ErrorAccumulator.Mean(chips.Select(c => c.Modules)),
        DecoderLayers = ErrorAccumulator.Mean(chips.Select(c => c.DecoderLayers)),
    };

    private static string Fmt(double? v) => v is { } x ? x.ToString("G5") : "n/a";

    private static List<Sequence> BuildSequences(IReadOnlyList<EvalItem> items, ITextTokenizer tok, int maxTokens, int vocab, List<string> notes)
    {
        var result = new List<Sequence>();
        int cut = 0;
        for (int i = 0; i < items.Count; i++)
        {
            switch (items[i])
            {
                case TextItem t:
                    var ids = tok.Encode(t.Text);
                    if (ids.Length > maxTokens) { ids = ids[..maxTokens]; cut++; }
                    if (ids.Length < 2) throw new UserInputException($"data line {t.Line}: text has {ids.Length} token(s); perplexity needs at least 2");
                    result.Add(new Sequence(Check(ids, vocab, t.Line), 1, i, -1, 0));
                    break;
                case ChoiceItem c:
                    int ctxLen = tok.Encode(c.Question).Length;
                    for (int k = 0; k < c.Choices.Count; k++)
                    {
                        // lm-evaluation-harness: encode context + continuation together, split at the context's length.
                        var cont = c.Continuation(k);
                        var whole = tok.Encode(c.Question + cont);
                        int from = Math.Min(ctxLen, whole.Length - 1);
                        if (whole.Length > maxTokens)
                        {
                            int drop = whole.Length - maxTokens;
                            whole = whole[drop..];
                            from = Math.Max(1, from - drop);
                            cut++;
                        }
                        result.Add(new Sequence(Check(whole, vocab, c.Line), Math.Max(1, from), i, k, System.Text.Encoding.UTF8.GetByteCount(cont)));
                    }
                    break;
            }
        }
        if (cut > 0) notes.Add($"{cut} sequence(s) cut to --max-tokens {maxTokens}");
        return result;
    }

    private static int[] Check(int[] ids, int vocab, int line)
    {
        foreach (var id in ids)
            if ((uint)id >= (uint)vocab) throw new UserInputException($"data line {line}: token id {id} is outside the model's vocabulary (0..{vocab - 1}); wrong tokenizer for this model?");
        return ids;
    }

    private static SequenceResult RunSequence(FunctionalModel model, int[] tokens, IForwardObserver? observer, HiddenStateObserver? hidden)
    {
        var capture = hidden is null ? new HiddenStateObserver() : null;
        var session = new InferenceSession(model, tokens.Length) { Observer = observer ?? capture };
        var logits = session.Forward(tokens);
        int vocab = model.Spec.VocabSize;
        for (int t = 0; t < tokens.Length; t++) LogSoftmax(logits.AsSpan(t * vocab, vocab));
        return new SequenceResult(logits, capture?.Captured ?? []);
    }

    private static void LogSoftmax(Span<float> row)
    {
        float max = TensorPrimitives.Max(row);
        double sum = 0;
        foreach (var v in row) sum += Math.Exp(v - max);
        float lse = max + (float)Math.Log(sum);
        TensorPrimitives.Subtract(row, lse, row);
    }

    /// <summary>Sum over positions of KL(p || q) and of argmax agreement, and the number of positions.</summary>
    private static (double Kl, double Agree, long Positions) CompareDistributions(float[] lp, float[] lq, int vocab)
    {
        int rows = lp.Length / vocab;
        double kl = 0, agree = 0;
        for (int t = 0; t < rows; t++)
        {
            var p = lp.AsSpan(t * vocab, vocab);
            var q = lq.AsSpan(t * vocab, vocab);
            double k = 0;
            for (int j = 0; j < vocab; j++) k += Math.Exp(p[j]) * (p[j] - q[j]);
            kl += Math.Max(0, k);
            if (TensorPrimitives.IndexOfMax(p) == TensorPrimitives.IndexOfMax(q)) agree++;
        }
        return (kl, agree, rows);
    }

    private sealed record Scores(double? Perplexity, double? Accuracy, double? AccuracyNorm);

    private static Scores Score(List<Sequence> sequences, Func<int, float[]> logProbs, int vocab, IReadOnlyList<EvalItem> items)
    {
        double nll = 0;
        long count = 0;
        var choiceLl = new Dictionary<int, double[]>();
        var choiceNorm = new Dictionary<int, double[]>();
        for (int i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i];
            var lp = logProbs(i);
            double ll = 0;
            for (int t = s.ScoreFrom; t < s.Tokens.Length; t++) ll += lp[(t - 1) * vocab + s.Tokens[t]];
            if (s.Choice < 0)
            {
                nll -= ll;
                count += s.Tokens.Length - s.ScoreFrom;
            }
            else
            {
                var n = ((ChoiceItem)items[s.Item]).Choices.Count;
                if (!choiceLl.TryGetValue(s.Item, out var arr)) { choiceLl[s.Item] = arr = new double[n]; choiceNorm[s.Item] = new double[n]; }
                arr[s.Choice] = ll;
                choiceNorm[s.Item][s.Choice] = ll / Math.Max(1, s.ContinuationBytes);
            }
        }
        double? ppl = count > 0 ? Math.Exp(nll / count) : null;
        double? acc = null, accNorm = null;
        if (choiceLl.Count > 0)
        {
            acc = choiceLl.Average(kv => ArgMax(kv.Value) == ((ChoiceItem)items[kv.Key]).Answer ? 1.0 : 0.0);
            accNorm = choiceNorm.Average(kv => ArgMax(kv.Value) == ((ChoiceItem)items[kv.Key]).Answer ? 1.0 : 0.0);
        }
        return new Scores(ppl, acc, accNorm);
    }

    private static int ArgMax(double[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
