using TorchSharp;
using System.Diagnostics;
using System.Text;
using CimSim.Common.IO;
using CimSim.Common.Random;
using CimSim.Training.Data;
using CimSim.Training.Model;
using Serilog;
using static TorchSharp.torch;

namespace CimSim.Training.Train;

/// <summary>
/// The training loop: next-token cross-entropy on the scored tokens, plus mu L_reg for HaLoRA, AdamW with warm-up
/// and decay, gradient clipping, weight noise resampled every K updates (HaLoRA), checkpoints every N updates
/// and a per-step CSV log. Every random draw (data order, dropout masks, weight noise) is a pure function of
/// (seed, step), so a run resumed from a checkpoint reproduces the uninterrupted run exactly.
/// </summary>
public sealed class Trainer
{
    private readonly CausalLm model;
    private readonly BatchSampler sampler;
    private readonly TrainOptions options;
    private readonly string outDir;
    private readonly List<StepRecord> log = [];
    private readonly List<(string Name, Parameter P)> trainable;
    private long currentNoiseEpoch = -1;

    public Trainer(CausalLm model, BatchSampler sampler, TrainOptions options, string outDir)
    {
        this.model = model;
        this.sampler = sampler;
        this.options = options;
        this.outDir = outDir;
        if (options.Method == TrainMethod.Full)
        {
            model.SetBaseTrainable(true);
            trainable = model.HfParameters().Select(p => (p.Name, p.Tensor)).ToList();
        }
        else
        {
            if (model.Lora is null) throw new InvalidOperationException("LoRA training needs a model with LoRA branches (CausalLm.AddLora)");
            model.SetBaseTrainable(false);
            trainable = model.PeftParameters().Select(p => (p.Name, p.Tensor)).ToList();
        }
    }

    public IReadOnlyList<StepRecord> Log => log;

    public string CheckpointPath => Path.Combine(outDir, "checkpoint", Checkpoint.FileName);

    public string LogPath => Path.Combine(outDir, "loss.csv");

    /// <summary>
    /// Trains up to options.Steps updates. With <paramref name="resume"/> and a checkpoint in the output directory,
    /// continues from it. <paramref name="stopAfter"/> stops after that many updates in total (tests use it to
    /// interrupt a run).
    /// </summary>
    public void Run(bool resume = false, int? stopAfter = null)
    {
        Directory.CreateDirectory(outDir);
        var schedule = new LrSchedule(options.LearningRate, options.WarmupSteps, options.Steps, options.Decay, options.MinLrRatio);
        using var adam = new AdamW(trainable.Select(t => (Tensor)t.P), options.Beta1, options.Beta2, 1e-8, options.WeightDecay);
        var start = 0;
        if (resume && File.Exists(CheckpointPath))
        {
            var (next, adamSteps) = Checkpoint.Load(CheckpointPath, options.Fingerprint(), StateTensors(adam));
            adam.RestoreStepCount(adamSteps);
            start = next;
            log.Clear();
            if (File.Exists(LogPath))
            {
                log.AddRange(File.ReadLines(LogPath).Skip(1).Where(l => l.Length > 0).Select(StepRecord.Parse).Where(r => r.Step < start));
            }
            Serilog.Log.Information("resumed from {Path} at step {Step}", CheckpointPath, start);
        }
        var end = Math.Min(options.Steps, stopAfter ?? options.Steps);
        using var dropoutGen = new Generator(0);
        foreach (var (_, linear) in model.LoraModules()) linear.DropoutGenerator = dropoutGen;
        model.train();
        var sw = Stopwatch.StartNew();
        long tokensSinceLog = 0;
        for (var step = start; step < end; step++)
        {
            using var scope = NewDisposeScope();
            var t0 = sw.Elapsed.TotalSeconds;
            ApplyNoise(step);
            dropoutGen.manual_seed(Seed64(RandomStreams.DeriveSeed(options.Seed, $"dropout/step-{step}")));
            var (ids, labels, _, tokens) = sampler.Batch(step);
            var logits = model.forward(ids);
            var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), labels.view(-1), ignore_index: BatchSampler.IgnoreIndex);
            var total = loss;
            double regValue = 0;
            if (options.Method == TrainMethod.HaLora && options.Mu != 0)
            {
                var reg = LoraRegularizer.Compute(model, options.RegNorm);
                regValue = reg.ToDouble();
                total = loss + reg * options.Mu;
            }
            adam.ZeroGrad();
            total.backward();
            var gradNorm = adam.ClipGradNorm(options.ClipNorm);
            var lr = schedule.At(step);
            adam.Step(lr);
            var dt = Math.Max(1e-9, sw.Elapsed.TotalSeconds - t0);
            var record = new StepRecord(step, lr, loss.ToDouble(), regValue, total.ToDouble(), gradNorm, tokens, tokens / dt);
            log.Add(record);
            tokensSinceLog += tokens;
            if ((step + 1) % Math.Max(1, options.LogEvery) == 0 || step == end - 1)
            {
                Serilog.Log.Information("step {Step}/{Total}  loss {Loss:F4}  L_reg {Reg:F4}  lr {Lr:E2}  {Tps:F0} tokens/s",
                    step + 1, options.Steps, record.Loss, record.Reg, lr, tokensSinceLog / Math.Max(1e-9, sw.Elapsed.TotalSeconds));
                tokensSinceLog = 0;
                sw.Restart();
            }
            if (options.CheckpointEvery > 0 && (step + 1) % options.CheckpointEvery == 0 && step + 1 < options.Steps)
            {
                SaveCheckpoint(adam, step + 1);
            }
        }
        ClearNoise();
        model.eval();
        if (end < options.Steps) SaveCheckpoint(adam, end);
        WriteLog();
    }

    private List<(string Name, Tensor T)> StateTensors(AdamW adam)
    {
        var list = new List<(string, Tensor)>();
        list.AddRange(trainable.Select(t => (t.Name, (Tensor)t.P)));
        list.AddRange(trainable.Select((t, i) => ("adam.m." + t.Name, adam.FirstMoments[i])));
        list.AddRange(trainable.Select((t, i) => ("adam.v." + t.Name, adam.SecondMoments[i])));
        return list;
    }

    private void SaveCheckpoint(AdamW adam, int nextStep)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CheckpointPath)!);
        Checkpoint.Save(CheckpointPath, nextStep, options.Fingerprint(), StateTensors(adam), adam.StepCount);
        WriteLog();
        Serilog.Log.Information("checkpoint at step {Step}: {Path}", nextStep, CheckpointPath);
    }

    /// <summary>
    /// HaLoRA: draws the noise of epoch floor(step / K) for every projection, unless already drawn (Run calls it
    /// before every update; public so that tests can watch when the noise changes).
    /// </summary>
    public void ApplyNoise(int step)
    {
        if (options.Method != TrainMethod.HaLora || options.Noise is null) return;
        var epoch = step / Math.Max(1, options.NoiseResampleEvery);
        if (epoch == currentNoiseEpoch) return;
        ClearNoise();
        using var gen = new Generator(RandomStreams.DeriveSeed(options.Seed, $"weight-noise/epoch-{epoch}"));
        using (no_grad())
        {
            foreach (var (_, _, path, linear) in model.Projections())
            {
                linear.WeightNoise = options.Noise.Sample(path, linear.Weight, gen)?.DetachFromDisposeScope();
            }
        }
        currentNoiseEpoch = epoch;
    }

    private void ClearNoise()
    {
        foreach (var (_, _, _, linear) in model.Projections())
        {
            linear.WeightNoise?.Dispose();
            linear.WeightNoise = null;
        }
        currentNoiseEpoch = -1;
    }

    /// <summary>A derived 64-bit seed as the non-negative long torch's manual_seed takes.</summary>
    public static long Seed64(ulong derived) => (long)(derived & 0x7fffffffffffffffUL);

    private void WriteLog()
    {
        var sb = new StringBuilder(StepRecord.Header).Append('\n');
        foreach (var r in log) sb.Append(r.ToCsv()).Append('\n');
        AtomicFile.WriteAllText(LogPath, sb.ToString());
    }
}
