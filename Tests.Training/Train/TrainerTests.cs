using CimSim.Common.Noise;
using CimSim.Training.Data;
using CimSim.Training.Model;
using CimSim.Training.Noise;
using CimSim.Training.Train;
using CimSim.Workloads.Models;
using static TorchSharp.torch;

namespace CimSim.Training.Tests.Train;

public class TrainerTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => dir = Directory.CreateTempSubdirectory("cimsim-train-test").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private static TrainOptions Options(TrainMethod method, int steps, double mu = 0.1, double dropout = 0.0) => new()
    {
        Method = method,
        Lora = method == TrainMethod.Full ? null : LoraSpec.FromFlags(4, "q,k,v,up,down", dropout: dropout),
        Steps = steps,
        BatchSize = 8,
        LearningRate = method == TrainMethod.Full ? 3e-3 : 1e-2,
        WarmupSteps = 2,
        Seed = 5,
        LogEvery = 1000,
        Mu = mu,
        NoiseResampleEvery = 3,
        Noise = method == TrainMethod.HaLora ? new GaussianWeightNoise(new NoiseModel { Sigma = 0.02 }) : null,
    };

    private static CausalLm Model(TrainOptions o)
    {
        var model = TinyModels.RandomModel();
        if (o.Lora is not null)
        {
            using var g = new Generator(9);
            model.AddLora(o.Lora, g);
        }
        return model;
    }

    private static BatchSampler Sampler(TrainOptions o) => new(TinyModels.AdditionExamples(), o.BatchSize, o.Seed, 0);

    [TestCase(TrainMethod.Full)]
    [TestCase(TrainMethod.Lora)]
    [TestCase(TrainMethod.HaLora)]
    public void Run_FewSteps_LowersLoss(TrainMethod method)
    {
        var o = Options(method, 30);
        using var model = Model(o);
        var trainer = new Trainer(model, Sampler(o), o, dir);
        trainer.Run();
        var first = trainer.Log.Take(3).Average(r => r.Loss);
        var last = trainer.Log.TakeLast(3).Average(r => r.Loss);
        Assert.That(last, Is.LessThan(first * 0.9), $"loss {first:F4} -> {last:F4}");
        Assert.That(File.Exists(trainer.LogPath), Is.True);
    }

    [Test]
    public void Run_Resumed_ReproducesUninterruptedRun()
    {
        var o = Options(TrainMethod.HaLora, 8, dropout: 0.1) with { CheckpointEvery = 2 };
        using var straight = Model(o);
        var t1 = new Trainer(straight, Sampler(o), o, Path.Combine(dir, "a"));
        t1.Run();

        using var interrupted = Model(o);
        new Trainer(interrupted, Sampler(o), o, Path.Combine(dir, "b")).Run(stopAfter: 5);
        using var resumed = Model(o);
        var t2 = new Trainer(resumed, Sampler(o), o, Path.Combine(dir, "b"));
        t2.Run(resume: true);

        Assert.That(t2.Log.Select(r => r.Loss), Is.EqualTo(t1.Log.Select(r => r.Loss)));
        Assert.That(t2.Log.Select(r => r.Reg), Is.EqualTo(t1.Log.Select(r => r.Reg)));
        foreach (var ((name, p1), (_, p2)) in straight.PeftParameters().Zip(resumed.PeftParameters()))
        {
            Assert.That(p2.data<float>().ToArray(), Is.EqualTo(p1.data<float>().ToArray()), name);
        }
    }

    private static double SpectralSum(CausalLm model)
    {
        using var _ = no_grad();
        return model.LoraModules().Sum(m =>
            LoraRegularizer.GramNorm(m.Linear.LoraA!.matmul(m.Linear.LoraA!.t()), RegNorm.Spectral).item<float>()
            + LoraRegularizer.GramNorm(m.Linear.LoraB!.t().matmul(m.Linear.LoraB!), RegNorm.Spectral).item<float>());
    }

    [Test]
    public void Run_HaLoraRegulariser_LowersPenalisedSpectralNorms()
    {
        var without = Options(TrainMethod.HaLora, 20, mu: 0.0);
        var with = Options(TrainMethod.HaLora, 20, mu: 1.0);
        using var m0 = Model(without);
        new Trainer(m0, Sampler(without), without, Path.Combine(dir, "a")).Run();
        using var m1 = Model(with);
        new Trainer(m1, Sampler(with), with, Path.Combine(dir, "b")).Run();
        var s0 = SpectralSum(m0);
        var s1 = SpectralSum(m1);
        Assert.That(s1, Is.LessThan(0.8 * s0), $"sum of ||AA^T||_2 + ||B^TB||_2: mu=0 {s0:F4}, mu=1 {s1:F4}");
    }

    private static Tensor FirstNoise(CausalLm model) => model.Projections().First().Linear.WeightNoise!.clone();

    [Test]
    public void ApplyNoise_ResampleEvery3_ChangesNoiseExactlyAtSteps3And6()
    {
        var o = Options(TrainMethod.HaLora, 10);
        using var model = Model(o);
        var trainer = new Trainer(model, Sampler(o), o, dir);
        var drawn = new List<Tensor>();
        for (var step = 0; step < 7; step++)
        {
            trainer.ApplyNoise(step);
            drawn.Add(FirstNoise(model));
        }
        for (var step = 1; step < 7; step++)
        {
            var same = drawn[step].eq(drawn[step - 1]).all().item<bool>();
            Assert.That(same, Is.EqualTo(step % 3 != 0), $"step {step}: noise {(same ? "kept" : "redrawn")}");
        }
    }

    [Test]
    public void Run_HaLoraMuZero_MatchesPlainLoraOnTheNoisyW0()
    {
        // With mu = 0 HaLoRA's gradient is plain LoRA's gradient at W0 + N: train both and compare A, B.
        var halora = Options(TrainMethod.HaLora, 4, mu: 0.0) with { NoiseResampleEvery = 100 };
        using var noisy = Model(halora);
        var t1 = new Trainer(noisy, Sampler(halora), halora, Path.Combine(dir, "a"));
        t1.ApplyNoise(0);
        var noise = noisy.Projections().Select(p => p.Linear.WeightNoise!.clone()).ToList();
        t1.Run();

        var lora = Options(TrainMethod.Lora, 4);
        using var shifted = Model(lora);
        using (no_grad())
        {
            foreach (var ((_, _, _, linear), n) in shifted.Projections().Zip(noise)) linear.Weight.add_(n);
        }
        var t2 = new Trainer(shifted, Sampler(lora), lora, Path.Combine(dir, "b"));
        t2.Run();

        Assert.That(t1.Log.Select(r => r.Reg), Is.All.EqualTo(0.0));
        Assert.That(t1.Log.Select(r => r.Loss), Is.EqualTo(t2.Log.Select(r => r.Loss)).Within(1e-6));
        foreach (var ((name, p1), (_, p2)) in noisy.PeftParameters().Zip(shifted.PeftParameters()))
        {
            Assert.That(p1.data<float>().ToArray(), Is.EqualTo(p2.data<float>().ToArray()).Within(1e-6), name);
        }
    }

    [Test]
    public void Run_HaLoraWithoutNoiseMuZero_EqualsPlainLora()
    {
        var halora = Options(TrainMethod.HaLora, 4, mu: 0.0) with { Noise = null };
        var lora = Options(TrainMethod.Lora, 4);
        using var m1 = Model(halora);
        var t1 = new Trainer(m1, Sampler(halora), halora, Path.Combine(dir, "a"));
        t1.Run();
        using var m2 = Model(lora);
        var t2 = new Trainer(m2, Sampler(lora), lora, Path.Combine(dir, "b"));
        t2.Run();
        Assert.That(t1.Log.Select(r => r.Loss), Is.EqualTo(t2.Log.Select(r => r.Loss)));
    }
}
