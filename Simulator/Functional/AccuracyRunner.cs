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

    /// <summary>With <see cref="SeparateReference"/>, the ideal reference's adapter (null: the base model) instead of the chip's
    /// (`cimsim lifecycle`: a LoRA re-tuned against the drifted chip is scored against the deployed adapter on ideal devices).</summary>
    public string? ReferenceAdapterDirectory { get; init; }

    public bool SeparateReference { get; init; }

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

    /// <summary>
    /// Null: each chip instance is programmed once and held whole. A value: RRAM layers are regenerated from the chip's
    /// seed when used, at most this many bytes of programmed layers kept (same results, less memory, more time).
    /// </summary>
    public long? ChipCacheBytes { get; init; }

    /// <summary>
    /// Tokens per layer-major batch: a chunk's sequences run through each decoder layer together, in batches of at most
    /// this many tokens (a longer sequence is a batch of its own), so a regenerated layer is programmed once per batch.
    /// Activations and logits grow with it (logits: tokens x vocab x 4 B).
    /// </summary>
    public int BatchTokens { get; init; } = 2048;

    /// <summary>Data items per unit of work (a chunk); shards split noise levels x seeds x chunks.</summary>
    public int ChunkItems { get; init; } = 16;

    /// <summary>This process's share of the units of work, (index, count) as `--shard i/N`; (0, 1): all of them.</summary>
    public (int Index, int Count) Shard { get; init; } = (0, 1);
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

        /// <summary>True when the ideal results (logits and residual streams) of every sequence are kept for the next chip.</summary>
        public bool CachesIdeal => cacheIdeal;

        /// <summary>The ideal model's result for sequence <paramref name="i"/> if kept, else null (it is then computed beside the chip's).</summary>
        public SequenceResult? CachedIdeal(int i) => _idealCache[i];

        /// <summary>Keeps the ideal result of sequence <paramref name="i"/> when the cache budget allows.</summary>
        public void StoreIdeal(int i, SequenceResult result)
        {
            if (cacheIdeal) _idealCache[i] = result;
        }
    }

    /// <summary>The whole study in this process: every unit of work, assembled into the report.</summary>
    public static AccuracyReport Run(AccuracyOptions o) => AccuracyShards.Assemble([RunShard(o with { Shard = (0, 1) })]);

    /// <summary>
    /// The units of work (noise level x chip seed x chunk of <see cref="AccuracyOptions.ChunkItems"/> data items) that
    /// shard <see cref="AccuracyOptions.Shard"/> owns, as partial sums; <see cref="AccuracyShards.Assemble"/> of all
    /// shards gives the report of <see cref="Run"/> byte for byte (docs/accuracy.md, "Sharding").
    /// </summary>
    public static AccuracyShard RunShard(AccuracyOptions o)
    {
        if (o.ChunkItems < 1) throw new UserInputException($"--chunk-items {o.ChunkItems}: expected at least 1");
        if (o.BatchTokens < 1) throw new UserInputException($"--batch-tokens {o.BatchTokens}: expected at least 1");
        using var ck = OpenCheckpoint(o, out var spec, out var source);
        var notes = new List<string>();
        var study = Prepare(o, spec, source, notes);
        var sigmas = o.Sigmas is { Count: > 0 } ? o.Sigmas : [o.Hardware.Rram.Noise.WeightNoise.Sigma];
        var seeds = Enumerable.Range(0, o.Seeds).Select(i => o.FirstSeed + (ulong)i).ToList();
        int chunks = Math.Max(1, (o.Items.Count + o.ChunkItems - 1) / o.ChunkItems);
        var header = new AccuracyShardHeader
        {
            Model = o.ModelDirectory,
            Adapter = o.AdapterDirectory,
            Hardware = o.HardwareName,
            HardwareFingerprint = AccuracyShards.Fingerprint(o.Hardware),
            DevicePath = FunctionalHardware.PathName(o.Path),
            Data = o.DataName,
            DataFingerprint = AccuracyShards.Fingerprint(o.Items),
            Tokenizer = study.Tokenizer.Describe,
            TextItems = o.Items.OfType<TextItem>().Count(),
            ChoiceItems = o.Items.OfType<ChoiceItem>().Count(),
            ChanceAccuracy = o.Items.OfType<ChoiceItem>().Select(q => 1.0 / q.Choices.Count).DefaultIfEmpty(double.NaN).Average() is var c && double.IsFinite(c) ? c : null,
            MaxTokens = o.MaxTokens,
            Seeds = seeds,
            Sigmas = sigmas,
            ChunkItems = o.ChunkItems,
            BatchTokens = o.BatchTokens,
            Chunks = chunks,
            ShardCount = o.Shard.Count,
            Notes = notes,
            AdcNote = o.Hardware.Rram.Adc.Ideal ? null
                : $"ADC: {o.Hardware.Rram.Adc.Bits}-bit, full scale {o.Hardware.Rram.Adc.Range.FullScale.ToString().ToLowerInvariant()}" +
                  (o.Hardware.Rram.Adc.Range.FullScale == AdcFullScaleMode.Calibrated ? $" ({AdcCalibrationPass.Prompts} x {AdcCalibrationPass.TokensPerPrompt} seeded calibration tokens per chip)" : ""),
        };
        var (first, end) = AccuracyShards.Range(header.Units, o.Shard);
        var units = new List<AccuracyUnit>();
        string? plan = null;
        FunctionalModel? chip = null;
        int chipOf = -1;
        for (int u = first; u < end; u++)
        {
            int chunk = u % chunks, chipIndex = u / chunks;
            int sigmaIndex = chipIndex / seeds.Count;
            ulong seed = seeds[chipIndex % seeds.Count];
            if (chipOf != chipIndex)
            {
                chip = null; // the previous chip instance may be collected before the next is programmed
                var hw = FunctionalHardware.WithWeightNoiseSigma(o.Hardware, sigmas[sigmaIndex]);
                // The chip shares the ideal reference's embedding table (left in the checkpoint, or 1-2 GB of float32 when held) instead of making a second one.
                chip = FunctionalModel.Build(spec, source, FunctionalHardware.Placer(hw, seed, o.Path, chipCacheBytes: o.ChipCacheBytes), study.Adapter,
                    study.IdealModel.Embedding);
                chipOf = chipIndex;
                plan ??= chip.PlanDescription;
            }
            units.Add(MeasureChunk(study, chip!, u, sigmaIndex, seed, chunk));
            if (chunk == chunks - 1 || u == end - 1)
                LogChip(sigmas[sigmaIndex], seed, units.Where(x => x.SigmaIndex == sigmaIndex && x.Seed == seed).ToList());
        }
        return new AccuracyShard { Header = header, ShardIndex = o.Shard.Index, Plan = plan, Units = units };
    }

    private static void LogChip(double sigma, ulong seed, List<AccuracyUnit> units)
    {
        var c = AccuracyShards.Combine(units);
        Log.Information("sigma {Sigma}, seed {Seed}, chunks {First}..{Last}: perplexity {Ppl}, choice accuracy {Acc}, KL {Kl:G4}, top-1 {Top1:P1}",
            sigma, seed, units[0].Chunk, units[^1].Chunk, Fmt(c.Chip.Perplexity), Fmt(c.Chip.Accuracy), c.Kl, c.Top1);
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
        var reference = !o.SeparateReference ? adapter : o.ReferenceAdapterDirectory is { } r ? PeftAdapter.Load(r) : null;
        var ideal = FunctionalModel.Build(spec, source, MappedIdealPlacer.Instance, reference); // the reference keeps its weights in the mapped file
        var tokenizer = o.Tokenizer ?? TextTokenizers.ForModel(o.ModelDirectory, spec);
        var sequences = BuildSequences(o.Items, tokenizer, o.MaxTokens, spec.VocabSize, notes);
        long idealFloats = sequences.Sum(s => (long)s.Tokens.Length * (spec.VocabSize + spec.HiddenSize * spec.NumLayers));
        bool cache = idealFloats <= o.IdealCacheFloats;
        if (!cache) notes.Add($"ideal results ({idealFloats} floats) exceed the cache budget: recomputed for every chip");
        return new Study(o, spec, source, adapter, ideal, tokenizer, sequences, cache);
    }

    /// <summary>
    /// One chip instance against the ideal model on one chunk of the data: partial sums of the scores, KL, top-1
    /// agreement and module and layer errors. Sequence g of the data reads the device noise stream
    /// <see cref="SequenceNoiseStreamBase"/> + g, so a chunk's result does not depend on what ran before it.
    /// </summary>
    private static AccuracyUnit MeasureChunk(Study study, FunctionalModel chip, int unit, int sigmaIndex, ulong seed, int chunk)
    {
        var moduleObs = new ModuleErrorObserver(study.IdealModel);
        var layerSums = new ErrorAccumulator();
        double kl = 0, agree = 0;
        long positions = 0;
        var rram = chip.Executors.OfType<RramLinear>().ToList();
        var regenerating = chip.Executors.OfType<RegeneratingRramLinear>().ToList();
        var inChunk = ChunkSequences(study, chunk);
        var chipLogProbs = new Dictionary<int, float[]>();
        var idealLogProbs = new Dictionary<int, float[]>();
        // Layer-major across the whole chunk: decoder layer l runs on every batch before layer l + 1 runs on any, so a
        // regenerated layer is programmed once per chunk; each batch's ideal reference (unless kept from an earlier chip)
        // runs just before it in lockstep, the chip's layer outputs being compared with the reference's as they come.
        var groups = new List<InferenceSession.ForwardBatch>();
        var roles = new List<(List<int> Batch, bool Ideal, List<HiddenStateObserver> Observers)>();
        var pending = new Dictionary<int, SequenceResult>();
        foreach (var batch in Batches(study, inChunk))
        {
            var missing = batch.Where(i => study.CachedIdeal(i) is null).ToList();
            var captures = missing.Select(_ => new HiddenStateObserver { LatestOnly = !study.CachesIdeal }).ToList();
            if (missing.Count > 0)
            {
                groups.Add(NewBatch(study.IdealModel, study, missing, captures, null, null));
                roles.Add((missing, true, captures));
            }
            var observers = batch.Select(i => new HiddenStateObserver(layerSums)
            {
                Reference = study.CachedIdeal(i)?.Hidden ?? captures[missing.IndexOf(i)].Captured,
            }).ToList();
            groups.Add(NewBatch(chip, study, batch, observers, moduleObs, batch.Select(i => (ulong?)(SequenceNoiseStreamBase + (ulong)i)).ToList()));
            roles.Add((batch, false, observers));
        }
        InferenceSession.Forward(groups, lastOnly: false, (g, logits) =>
        {
            var (batch, isIdeal, observers) = roles[g];
            var results = Results(logits, study.Vocab, isIdeal ? observers : null);
            for (int j = 0; j < batch.Count; j++)
            {
                int i = batch[j];
                if (isIdeal)
                {
                    study.StoreIdeal(i, results[j]);
                    pending[i] = results[j];
                    continue;
                }
                var reference = study.CachedIdeal(i) ?? pending[i];
                pending.Remove(i);
                idealLogProbs[i] = reference.LogProbs;
                chipLogProbs[i] = results[j].LogProbs;
                var (k, a, n) = CompareDistributions(reference.LogProbs, results[j].LogProbs, study.Vocab);
                kl += k;
                agree += a;
                positions += n;
            }
        });
        var faults = rram.Aggregate(new RramFaultCounts(), (acc, l) => acc + l.Layer.Faults);
        faults = regenerating.Aggregate(faults, (acc, l) => acc + l.Faults);
        return new AccuracyUnit
        {
            Unit = unit,
            SigmaIndex = sigmaIndex,
            Seed = seed,
            Chunk = chunk,
            Ideal = Score(study.Sequences, inChunk, i => idealLogProbs[i], study.Vocab, study.Options.Items),
            Chip = Score(study.Sequences, inChunk, i => chipLogProbs[i], study.Vocab, study.Options.Items),
            Kl = kl,
            Agree = agree,
            Positions = positions,
            Cells = faults.Cells,
            StuckCells = faults.Stuck,
            Modules = moduleObs.Modules.Sums(),
            DecoderLayers = layerSums.Sums(),
        };
    }

    /// <summary>Device noise stream of the first data sequence (well above the calibration pass's call counts).</summary>
    public const ulong SequenceNoiseStreamBase = 1UL << 32;

    /// <summary>The sequences <paramref name="indices"/> in order, cut into batches of at most <see cref="AccuracyOptions.BatchTokens"/> tokens.</summary>
    private static List<List<int>> Batches(Study study, List<int> indices)
    {
        var result = new List<List<int>>();
        int tokens = 0;
        foreach (var i in indices)
        {
            int n = study.Sequences[i].Tokens.Length;
            if (result.Count == 0 || tokens + n > study.Options.BatchTokens)
            {
                result.Add([]);
                tokens = 0;
            }
            result[^1].Add(i);
            tokens += n;
        }
        return result;
    }

    /// <summary>Indices of the sequences whose items fall in <paramref name="chunk"/>.</summary>
    private static List<int> ChunkSequences(Study study, int chunk)
    {
        int from = chunk * study.Options.ChunkItems, to = from + study.Options.ChunkItems;
        var result = new List<int>();
        for (int i = 0; i < study.Sequences.Count; i++)
            if (study.Sequences[i].Item >= from && study.Sequences[i].Item < to) result.Add(i);
        return result;
    }

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

    /// <summary>
    /// Sequences <paramref name="indices"/> of the study as one batch of <paramref name="model"/>'s sessions (scored prefills:
    /// no KV cache kept per layer), each with its observer and noise stream.
    /// </summary>
    private static InferenceSession.ForwardBatch NewBatch(FunctionalModel model, Study study, List<int> indices, IReadOnlyList<HiddenStateObserver> observers,
        IForwardObserver? batchObserver, IReadOnlyList<ulong?>? noiseStreams)
    {
        var tokens = indices.Select(i => study.Sequences[i].Tokens).ToList();
        var sessions = tokens.Select((t, j) => new InferenceSession(model, t.Length, keepKvCache: false) { Observer = observers[j], NoiseStream = noiseStreams?[j] }).ToList();
        return new InferenceSession.ForwardBatch(sessions, tokens, batchObserver);
    }

    /// <summary>Log-probabilities per position from a batch's logits (in place), with the residual streams <paramref name="captures"/> kept (ideal runs).</summary>
    private static SequenceResult[] Results(float[][] logits, int vocab, IReadOnlyList<HiddenStateObserver>? captures)
    {
        var result = new SequenceResult[logits.Length];
        for (int j = 0; j < logits.Length; j++)
        {
            for (int row = 0; row < logits[j].Length / vocab; row++) LogSoftmax(logits[j].AsSpan(row * vocab, vocab));
            result[j] = new SequenceResult(logits[j], captures is null ? [] : captures[j].Captured);
        }
        return result;
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

    /// <summary>Partial sums of perplexity and choice accuracy over <paramref name="subset"/> of the sequences.</summary>
    private static ScoreSums Score(List<Sequence> sequences, List<int> subset, Func<int, float[]> logProbs, int vocab, IReadOnlyList<EvalItem> items)
    {
        double nll = 0;
        long count = 0;
        var choiceLl = new Dictionary<int, double[]>();
        var choiceNorm = new Dictionary<int, double[]>();
        foreach (var i in subset)
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
        int correct = choiceLl.Count(kv => ArgMax(kv.Value) == ((ChoiceItem)items[kv.Key]).Answer);
        int correctNorm = choiceNorm.Count(kv => ArgMax(kv.Value) == ((ChoiceItem)items[kv.Key]).Answer);
        return new ScoreSums(nll, count, correct, correctNorm, choiceLl.Count);
    }

    private static int ArgMax(double[] v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
