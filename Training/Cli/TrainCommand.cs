using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Common.Random;
using CimSim.Training.Data;
using CimSim.Training.Evaluation;
using CimSim.Training.Export;
using CimSim.Training.Model;
using CimSim.Training.Noise;
using CimSim.Training.Train;
using CimSim.Workloads.Models;
using Serilog;
using static TorchSharp.torch;

namespace CimSim.Training.Cli;

/// <summary>The `cimsim-train` command line: one command, every option with its default and an example in --help.</summary>
public static class TrainCommand
{
    private static Option<T> Opt<T>(string name, string description, T defaultValue)
        => new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary>Every option of the command, declared once with its description and default.</summary>
    private sealed class TrainFlags
    {
        public Option<string> Model { get; } = new Option<string>("--model") { Description = "Hugging Face model directory (config.json + model.safetensors; with --init random only config.json is needed).", Required = true };
        public Option<string> Data { get; } = new Option<string>("--data") { Description = "Training JSONL: instruction {instruction,input,output}, multiple-choice {question,choices,answer} or text {text}.", Required = true };
        public Option<string> OutDir { get; } = new Option<string>("--out", "-o") { Description = "Output directory: the PEFT adapter (lora/halora) or the model (full), loss.csv, loss.png, checkpoint/.", Required = true };
        public Option<string> Method { get; } = Opt("--method", "lora | halora | full (full: train every base weight, e.g. pretraining; writes a model, not an adapter).", "lora");
        public Option<string> Init { get; } = Opt("--init", "load | random: random initialises the base weights (pretraining from scratch; --method full only).", "load");
        public Option<int> Steps { get; } = Opt("--steps", "Optimizer updates.", 200);
        public Option<int> Batch { get; } = Opt("--batch-size", "Examples per update.", 8);
        public Option<int> MaxLen { get; } = Opt("--max-len", "Longest tokenised example (prompt + target); prompts are cut from the left beyond it.", 256);
        public Option<double> Lr { get; } = Opt("--lr", "Peak learning rate.", 3e-4);
        public Option<int> Warmup { get; } = Opt("--warmup", "Linear warm-up updates.", 10);
        public Option<string> Schedule { get; } = Opt("--schedule", "Decay after warm-up: cosine | linear | constant.", "cosine");
        public Option<double> MinLr { get; } = Opt("--min-lr-ratio", "Final learning rate as a fraction of the peak.", 0.0);
        public Option<double> Wd { get; } = Opt("--weight-decay", "AdamW decoupled weight decay.", 0.0);
        public Option<double> Clip { get; } = Opt("--clip", "Gradient global-norm clip (0: off).", 1.0);
        public Option<ulong> Seed { get; } = Opt("--seed", "Seed of every random draw (init, data order, dropout, noise).", 1UL);
        public Option<int> CkptEvery { get; } = Opt("--checkpoint-every", "Write a resumable checkpoint every N updates (0: none).", 0);
        public Option<bool> Resume { get; } = Opt("--resume", "Continue from the checkpoint in --out if there is one (same options; --steps may grow).", false);
        public Option<int> LogEvery { get; } = Opt("--log-every", "Log loss and tokens/s every N updates.", 10);
        public Option<int> Rank { get; } = Opt("--lora-rank", "LoRA rank r.", 4);
        public Option<double?> Alpha { get; } = new Option<double?>("--lora-alpha") { Description = "LoRA alpha (default 2r)." };
        public Option<double> Dropout { get; } = Opt("--lora-dropout", "LoRA dropout on the branch input.", 0.0);
        public Option<string> Targets { get; } = Opt("--lora-targets", "Adapted projections: q,k,v,o,gate,up,down or all (paper: q,k,v,up,down).", "q,k,v,up,down");
        public Option<double> Mu { get; } = Opt("--mu", "HaLoRA: weight of L_reg = ||A A^T|| + ||B^T B|| (paper 0.1).", 0.1);
        public Option<string> RegNorm { get; } = Opt("--reg-norm", "HaLoRA: spectral (torch.linalg) | spectral-power (power iteration) | frobenius.", "spectral");
        public Option<int> Resample { get; } = Opt("--resample-every", "HaLoRA: draw new weight noise every K updates (paper 400).", 400);
        public Option<string?> Profile { get; } = new Option<string?>("--noise-profile") { Description = "HaLoRA: a CimSim noise profile (cimsim noise-profile); overrides --sigma. Its modules must match the model's projections (names and shapes)." };
        public Option<bool> AllowPartial { get; } = new Option<bool>("--allow-partial-profile") { Description = "Train with a noise profile whose modules do not all match the model (mismatched and missing modules get its recommended fit); default: refuse." };
        public Option<bool> IgnoreOutput { get; } = new Option<bool>("--ignore-output-noise") { Description = "Train with a noise profile that carries output (ADC) noise, injecting its weight noise only; default: refuse." };
        public Option<string> NoiseSwitch { get; } = Opt("--noise", "HaLoRA: on | off (off: clean W0, L_reg only; with --mu 0 it is plain LoRA). Ablation switch separating noise injection from the regulariser.", "on");
        public Option<double> Sigma { get; } = Opt("--sigma", "HaLoRA paper preset: Gaussian sigma relative to max|W|.", 0.01);
        public Option<string> Scope { get; } = Opt("--sigma-scope", "What max|W| --sigma refers to: tile | layer | weight.", "tile");
        public Option<int> Tile { get; } = Opt("--tile-size", "Tile edge for --sigma-scope tile (paper 64).", 64);
        public Option<string> Tokenizer { get; } = Opt("--tokenizer", "byte | auto (auto: the model's tokenizer.json when Microsoft.ML.Tokenizers reads it, else byte).", "auto");
        public Option<bool> Plain { get; } = Opt("--plain-prompt", "Instruction data: 'instruction\\ninput\\n' instead of the LLM-Adapters (Alpaca) template.", false);
        public Option<int> Threads { get; } = Opt("--threads", "Torch intra-op threads (0: torch's default; 1 is fastest for small models on a shared machine, where OpenMP spinning costs more than it gains).", 1);
        public Option<string?> Eval { get; } = new Option<string?>("--eval") { Description = "Multiple-choice JSONL scored (log-likelihood, clean weights) before and after training; written to train_summary.json." };

        public IEnumerable<Option> All => [Model, Data, OutDir, Method, Init, Steps, Batch, MaxLen, Lr, Warmup, Schedule, MinLr, Wd, Clip, Seed, CkptEvery, Resume, LogEvery, Rank, Alpha, Dropout, Targets, Mu, RegNorm, Resample, Profile, AllowPartial, IgnoreOutput, NoiseSwitch, Sigma, Scope, Tile, Tokenizer, Plain, Threads, Eval];
    }

    public static RootCommand Build()
    {
        var f = new TrainFlags();
        var root = new RootCommand("cimsim-train: LoRA / HaLoRA finetuning (and small-model pretraining) of Llama/Qwen2 models with TorchSharp; writes a PEFT adapter that `cimsim accuracy --adapter` deploys.\n" +
            "Example: cimsim-train --model models/tiny --data train.jsonl --method halora --sigma 0.01 --steps 400 --out out/halora");
        foreach (var o in f.All) root.Options.Add(o);
        root.SetAction(p =>
        {
            Execute(p, f);
            return 0;
        });
        return root;
    }

    /// <summary>Checks the flags, builds the noise model and the training options, and runs.</summary>
    private static void Execute(ParseResult p, TrainFlags f)
    {
        var m = p.GetValue(f.Method)!.Trim().ToLowerInvariant() switch
        {
            "lora" => TrainMethod.Lora,
            "halora" => TrainMethod.HaLora,
            "full" => TrainMethod.Full,
            var other => throw new UserInputException($"--method: found '{other}', expected lora, halora or full"),
        };
        var initMode = p.GetValue(f.Init)!.Trim().ToLowerInvariant();
        if (initMode is not ("load" or "random")) throw new UserInputException($"--init: found '{initMode}', expected load or random");
        if (initMode == "random" && m != TrainMethod.Full) throw new UserInputException("--init random: only with --method full (LoRA on random weights is meaningless)");
        var problems = new List<string>();
        if (p.GetValue(f.Steps) < 1) problems.Add($"--steps: found {p.GetValue(f.Steps)}, expected a positive integer");
        if (p.GetValue(f.Batch) < 1) problems.Add($"--batch-size: found {p.GetValue(f.Batch)}, expected a positive integer");
        if (p.GetValue(f.MaxLen) < 2) problems.Add($"--max-len: found {p.GetValue(f.MaxLen)}, expected at least 2");
        if (!(p.GetValue(f.Lr) > 0)) problems.Add($"--lr: found {p.GetValue(f.Lr)}, expected a positive number");
        var noiseOn = p.GetValue(f.NoiseSwitch)!.Trim().ToLowerInvariant();
        if (noiseOn is not ("on" or "off")) problems.Add($"--noise: found '{noiseOn}', expected on or off");
        if (p.GetValue(f.Resample) < 1) problems.Add($"--resample-every: found {p.GetValue(f.Resample)}, expected a positive integer");
        if (problems.Count > 0) throw new UserInputException("invalid options", problems);
        if (p.GetValue(f.Threads) > 0) set_num_threads(p.GetValue(f.Threads));

        var modelDir = p.GetValue(f.Model)!;
        var output = p.GetValue(f.OutDir)!;
        OutputLocation.CheckDirectory(output, "--out");
        LoraSpec? lora = m == TrainMethod.Full ? null : LoraSpec.FromFlags(p.GetValue(f.Rank), p.GetValue(f.Targets)!, p.GetValue(f.Alpha), p.GetValue(f.Dropout));
        IWeightNoise? noise = null;
        if (m == TrainMethod.HaLora && noiseOn == "on")
        {
            var prof = p.GetValue(f.Profile);
            if (prof is not null)
            {
                var fromProfile = NoiseProfileNoise.Load(prof);
                foreach (var w in fromProfile.CheckAgainst(ModelIo.ReadSpec(p.GetValue(f.Model)!), p.GetValue(f.AllowPartial), p.GetValue(f.IgnoreOutput)))
                    Log.Warning("{Warning}", w);
                noise = fromProfile;
            }
            else noise = GaussianWeightNoise.FromFlags(p.GetValue(f.Sigma), p.GetValue(f.Scope)!, p.GetValue(f.Tile));
        }
        var options = new TrainOptions
        {
            Method = m,
            Lora = lora,
            Steps = p.GetValue(f.Steps),
            BatchSize = p.GetValue(f.Batch),
            MaxLength = p.GetValue(f.MaxLen),
            LearningRate = p.GetValue(f.Lr),
            WarmupSteps = p.GetValue(f.Warmup),
            Decay = LrSchedule.ParseDecay(p.GetValue(f.Schedule)!),
            MinLrRatio = p.GetValue(f.MinLr),
            WeightDecay = p.GetValue(f.Wd),
            ClipNorm = p.GetValue(f.Clip),
            Seed = p.GetValue(f.Seed),
            CheckpointEvery = p.GetValue(f.CkptEvery),
            LogEvery = p.GetValue(f.LogEvery),
            Mu = p.GetValue(f.Mu),
            RegNorm = LoraRegularizer.Parse(p.GetValue(f.RegNorm)!),
            NoiseResampleEvery = p.GetValue(f.Resample),
            Noise = noise,
        };
        Run(modelDir, p.GetValue(f.Data)!, output, options, initMode == "random", p.GetValue(f.Tokenizer)!, p.GetValue(f.Plain), p.GetValue(f.Resume), p.GetValue(f.Eval));
    }

    public static void Run(string modelDir, string dataPath, string outDir, TrainOptions options, bool randomInit, string tokenizerName, bool plainPrompt, bool resume, string? evalPath = null)
    {
        var spec = ModelIo.ReadSpec(modelDir);
        if (options.Noise is NoiseProfileNoise profileNoise)
            profileNoise.CheckModules(Enumerable.Range(0, spec.NumLayers).SelectMany(i => LinearModules.All.Select(m => m.HfPath(i))));
        var tok = TokenizerFactory.Create(tokenizerName, modelDir, spec);
        var (examples, format) = JsonlDataset.Load(dataPath, tok, options.MaxLength, plainPrompt);
        Log.Information("model {Name} ({Type}, {Params:N0} parameters), tokenizer {Tok}, {Count} {Format} examples from {Data}",
            spec.Name, spec.ModelType, spec.ParameterCount, tok.Name, examples.Count, format, dataPath);
        manual_seed((long)(RandomStreams.DeriveSeed(options.Seed, "torch-global") & 0x7fffffffffffffff));
        using var model = new CausalLm(spec);
        if (randomInit)
        {
            using var g = new Generator(RandomStreams.DeriveSeed(options.Seed, "init/base"));
            model.InitializeRandom(g);
        }
        else
        {
            ModelIo.LoadWeights(model, modelDir);
        }
        if (options.Lora is not null)
        {
            using var g = new Generator(RandomStreams.DeriveSeed(options.Seed, "init/lora"));
            model.AddLora(options.Lora, g);
            Log.Information("LoRA r={Rank} alpha={Alpha} on {Targets}: {Params:N0} trainable parameters", options.Lora.Rank, options.Lora.Alpha,
                string.Join(",", options.Lora.Targets.Select(t => t.ShortName())), options.Lora.ParameterCount(spec));
        }
        if (options.Noise is not null)
        {
            Log.Information("HaLoRA noise: {Noise}, resampled every {K} updates; mu {Mu}, {Norm} norm", options.Noise.Describe(), options.NoiseResampleEvery, options.Mu, options.RegNorm);
        }
        var evalItems = evalPath is null ? null : MultipleChoiceScorer.Load(evalPath, tok, plainPrompt);
        double? accBefore = evalItems is null ? null : MultipleChoiceScorer.Accuracy(model, evalItems);
        if (accBefore is not null) Log.Information("multiple-choice accuracy before training: {Acc:P1} on {N} items", accBefore, evalItems!.Count);
        var sampler = new BatchSampler(examples, options.BatchSize, options.Seed, tok.PadId);
        var trainer = new Trainer(model, sampler, options, outDir);
        trainer.Run(resume);
        double? accAfter = evalItems is null ? null : MultipleChoiceScorer.Accuracy(model, evalItems);
        if (accAfter is not null) Log.Information("multiple-choice accuracy after training: {Acc:P1}", accAfter);
        if (options.Method == TrainMethod.Full)
        {
            ModelIo.Save(model, Path.Combine(modelDir, "config.json"), outDir);
            var tj = Path.Combine(modelDir, "tokenizer.json");
            if (File.Exists(tj)) AtomicFile.WriteAllText(Path.Combine(outDir, "tokenizer.json"), File.ReadAllText(tj));
        }
        else
        {
            PeftExport.Save(model, outDir, Path.GetFullPath(modelDir));
        }
        LossPlot.Save(trainer.Log, Path.Combine(outDir, "loss.png"), $"{options.Method} on {spec.Name}");
        var last = trainer.Log.Count > 0 ? trainer.Log[^1] : null;
        var summary = new JsonObject
        {
            ["method"] = options.Method.ToString().ToLowerInvariant(),
            ["model"] = Path.GetFullPath(modelDir),
            ["data"] = Path.GetFullPath(dataPath),
            ["examples"] = examples.Count,
            ["steps"] = options.Steps,
            ["seed"] = options.Seed,
            ["options"] = options.Fingerprint(),
            ["final_loss"] = last?.Loss,
            ["final_l_reg"] = last?.Reg,
            ["eval"] = evalPath is null ? null : Path.GetFullPath(evalPath),
            ["eval_accuracy_before"] = accBefore,
            ["eval_accuracy_after"] = accAfter,
            ["mean_loss_last_10pct"] = trainer.Log.Count == 0 ? null : trainer.Log.Skip(trainer.Log.Count * 9 / 10).Average(r => r.Loss),
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "train_summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Log.Information("wrote {Out} (final loss {Loss})", outDir, last?.Loss.ToString("F4", CultureInfo.InvariantCulture));
    }
}
