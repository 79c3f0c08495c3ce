using CimSim.Training.Data;
using CimSim.Training.Model;
using CimSim.Workloads.Models;
using static TorchSharp.torch;

namespace CimSim.Training.Tests;

/// <summary>Tiny random models and data sets shared by the tests (seconds on two cores).</summary>
internal static class TinyModels
{
    public static ModelSpec Spec(string type = "llama", bool tied = true) => new()
    {
        Name = "tiny-" + type,
        ModelType = type,
        HiddenSize = 32,
        NumLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 8,
        IntermediateSize = 64,
        VocabSize = 257,
        TieWordEmbeddings = tied,
        RmsNormEps = 1e-5,
        Rope = new RopeSpec { Theta = 10000 },
        QkvBias = type == "qwen2",
    };

    public static CausalLm RandomModel(ulong seed = 7, string type = "llama", ScalarType dtype = ScalarType.Float32)
    {
        var model = new CausalLm(Spec(type), dtype);
        using var g = new Generator(seed);
        model.InitializeRandom(g, std: 0.1);
        return model;
    }

    /// <summary>A learnable toy task: "a+b=" followed by the digit of (a+b) mod 10.</summary>
    public static List<TrainingExample> AdditionExamples(int count = 64)
    {
        var tok = new ByteTokenizer();
        var list = new List<TrainingExample>();
        for (var i = 0; i < count; i++)
        {
            int a = i % 10, b = (i * 7 + 3) % 10;
            list.Add(new TrainingExample(tok.Encode($"{a}+{b}="), tok.Encode($"{(a + b) % 10}")));
        }
        return list;
    }
}
