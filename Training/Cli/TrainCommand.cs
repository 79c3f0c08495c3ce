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

    public static RootCommand Build()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model directory (config.json + model.safetensors; with --init random only config.json is needed).", Required = true };
        var data = new Option<string>("--data") { Description = "Training JSONL: instruction {instruction,input,output}, multiple-choice {question,choices,answer} or text {text}.", Required = true };
        var outDir = new Option<string>("--out", "-o") { Description = "Output directory: the PEFT adapter (lora/halora) or the model (full), loss.csv, loss.png, checkpoint/.", Required = true };
        var method = Opt("--method", "lora | halora | full (full: train every base weight, e.g. pretraining; writes a model, not an adapter).", "lora");
        var init = Opt("--init", "load | random: random initialises the base weights (pretraining from scratch; --method full only).", "load");
        var steps = Opt("--steps", "Optimizer updates.", 200);
        var batch = Opt("--batch-size", "Examples per update.", 8);
        var maxLen = Opt("--max-len", "Longest tokenised example (prompt + target); prompts are cut from the left beyond it.", 256);
        var lr = Opt("--lr", "Peak learning rate.", 3e-4);
        var warmup = Opt("--warmup", "Linear warm-up updates.", 10);
        var schedule = Opt("--schedule", "Decay after warm-up: cosine | linear | constant.", "cosine");
        var minLr = Opt("--min-lr-ratio", "Final learning rate as a fraction of the peak.", 0.0);
        var wd = Opt("--weight-decay", "AdamW decoupled weight decay.", 0.0);
        var clip = Opt("--clip", "Gradient global-norm clip (0: off).", 1.0);
        var seed = Opt("--seed", "Seed of every random draw (init, data order, dropout, noise).", 1UL);
        var ckptEvery = Opt("--checkpoint-every", "Write a resumable checkpoint every N updates (0: none).", 0);
        var resume = Opt("--resume", "Continue from the checkpoint in --out if there is one (same options; --steps may grow).", false);
        var logEvery = Opt("--log-every", "Log loss and tokens/s every N updates.", 10);
        var rank = Opt("--lora-rank", "LoRA rank r.", 4);
        var alpha = new Option<double?>("--lora-alpha") { Description = "LoRA alpha (default 2r)." };
        var dropout = Opt("--lora-dropout", "LoRA dropout on the branch input.", 0.0);
        var targets = Opt("--lora-targets", "Adapted projections: q,k,v,o,gate,up,down or all (paper: q,k,v,up,down).", "q,k,v,up,down");
        var mu = Opt("--mu", "HaLoRA: weight of L_reg = ||A A^T|| + ||B^T B|| (paper 0.1).", 0.1);
        var regNorm = Opt("--reg-norm", "HaLoRA: spectral (torch.linalg) | spectral-power (power iteration) | frobenius.", "spectral");
        var resample = Opt("--resample-every", "HaLoRA: draw new weight noise every K updates (paper 400).", 400);
        var profile = new Option<string?>("--noise-profile") { Description = "HaLoRA: a CimSim noise profile (cimsim noise-profile); overrides --sigma. Its modules must match the model's projections (names and shapes)." };
        var allowPartial = new Option<bool>("--allow-partial-profile") { Description = "Train with a noise profile whose modules do not all match the model (mismatched and missing modules get its recommended fit); default: refuse." };
        var ignoreOutput = new Option<bool>("--ignore-output-noise") { Description = "Train with a noise profile that carries output (ADC) noise, injecting its weight noise only; default: refuse." };
        var noiseSwitch = Opt("--noise", "HaLoRA: on | off (off: clean W0, L_reg only; with --mu 0 it is plain LoRA). Ablation switch separating noise injection from the regulariser.", "on");
        var sigma = Opt("--sigma", "HaLoRA paper preset: Gaussian sigma relative to max|W|.", 0.01);
        var scope = Opt("--sigma-scope", "What max|W| --sigma refers to: tile | layer | weight.", "tile");
        var tile = Opt("--tile-size", "Tile edge for --sigma-scope tile (paper 64).", 64);
        var tokenizer = Opt("--tokenizer", "byte | auto (auto: the model's tokenizer.json when Microsoft.ML.Tokenizers reads it, else byte).", "auto");
        var plain = Opt("--plain-prompt", "Instruction data: 'instruction\\ninput\\n' instead of the LLM-Adapters (Alpaca) template.", false);
        var threads = Opt("--threads", "Torch intra-op threads (0: torch's default; 1 is fastest for small models on a shared machine, where OpenMP spinning costs more than it gains).", 1);
        var eval = new Option<string?>("--eval") { Description = "Multiple-choice JSONL scored (log-likelihood, clean weights) before and after training; written to train_summary.json." };

        var root = new RootCommand("cimsim-train: LoRA / HaLoRA finetuning (and small-model pretraining) of Llama/Qwen2 models with TorchSharp; writes a PEFT adapter that `cimsim accuracy --adapter` deploys.\n" +
            "Example: cimsim-train --model models/tiny --data train.jsonl --method halora --sigma 0.01 --steps 400 --out out/halora");
        foreach (var o in new Option[] { model, data, outDir, method, init, steps, batch, maxLen, lr, warmup, schedule, minLr, wd, clip, seed, ckptEvery, resume, logEvery, rank, alpha, dropout, targets, mu, regNorm, resample, profile, allowPartial, ignoreOutput, noiseSwitch, sigma, scope, tile, tokenizer, plain, threads, eval })
        {
            root.Options.Add(o);
        }
        root.SetAction(p =>
        {
            var m = p.GetValue(method)!.Trim().ToLowerInvariant() switch
            {
                "lora" => TrainMethod.Lora,
                "halora" => TrainMethod.HaLora,
                "full" => TrainMethod.Full,
                var other => throw new UserInputException($"--method: found '{other}', expected lora, halora or full"),
            };
            var initMode = p.GetValue(init)!.Trim().ToLowerInvariant();
            if (initMode is not ("load" or "random")) throw new UserInputException($"--init: found '{initMode}', expected load or random");
            if (initMode == "random" && m != TrainMethod.Full) throw new UserInputException("--init random: only with --method full (LoRA on random weights is meaningless)");
            var problems = new List<string>();
            if (p.GetValue(steps) < 1) problems.Add($"--steps: found {p.GetValue(steps)}, expected a positive integer");
            if (p.GetValue(batch) < 1) problems.Add($"--batch-size: found {p.GetValue(batch)}, expected a positive integer");
            if (p.GetValue(maxLen) < 2) problems.Add($"--max-len: found {p.GetValue(maxLen)}, expected at least 2");
            if (!(p.GetValue(lr) > 0)) problems.Add($"--lr: found {p.GetValue(lr)}, expected a positive number");
            var noiseOn = p.GetValue(noiseSwitch)!.Trim().ToLowerInvariant();
            if (noiseOn is not ("on" or "off")) problems.Add($"--noise: found '{noiseOn}', expected on or off");
            if (p.GetValue(resample) < 1) problems.Add($"--resample-every: found {p.GetValue(resample)}, expected a positive integer");
            if (problems.Count > 0) throw new UserInputException("invalid options", problems);
            if (p.GetValue(threads) > 0) set_num_threads(p.GetValue(threads));

            var modelDir = p.GetValue(model)!;
            var output = p.GetValue(outDir)!;
            OutputLocation.CheckDirectory(output, "--out");
            LoraSpec? lora = m == TrainMethod.Full ? null : LoraSpec.FromFlags(p.GetValue(rank), p.GetValue(targets)!, p.GetValue(alpha), p.GetValue(dropout));
            IWeightNoise? noise = null;
            if (m == TrainMethod.HaLora && noiseOn == "on")
            {
                var prof = p.GetValue(profile);
                if (prof is not null)
                {
                    var fromProfile = NoiseProfileNoise.Load(prof);
                    foreach (var w in fromProfile.CheckAgainst(ModelIo.ReadSpec(p.GetValue(model)!), p.GetValue(allowPartial), p.GetValue(ignoreOutput)))
                        Log.Warning("{Warning}", w);
                    noise = fromProfile;
                }
                else noise = new GaussianWeightNoise(p.GetValue(sigma), GaussianWeightNoise.ParseScope(p.GetValue(scope)!), p.GetValue(tile));
            }
            var options = new TrainOptions
            {
                Method = m,
                Lora = lora,
                Steps = p.GetValue(steps),
                BatchSize = p.GetValue(batch),
                MaxLength = p.GetValue(maxLen),
                LearningRate = p.GetValue(lr),
                WarmupSteps = p.GetValue(warmup),
                Decay = LrSchedule.ParseDecay(p.GetValue(schedule)!),
                MinLrRatio = p.GetValue(minLr),
                WeightDecay = p.GetValue(wd),
                ClipNorm = p.GetValue(clip),
                Seed = p.GetValue(seed),
                CheckpointEvery = p.GetValue(ckptEvery),
                LogEvery = p.GetValue(logEvery),
                Mu = p.GetValue(mu),
                RegNorm = LoraRegularizer.Parse(p.GetValue(regNorm)!),
                NoiseResampleEvery = p.GetValue(resample),
                Noise = noise,
            };
            Run(modelDir, p.GetValue(data)!, output, options, initMode == "random", p.GetValue(tokenizer)!, p.GetValue(plain), p.GetValue(resume), p.GetValue(eval));
            return 0;
        });
        return root;
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
