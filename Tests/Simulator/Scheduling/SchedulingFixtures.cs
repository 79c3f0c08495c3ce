using CimSim.Devices.Config;
using CimSim.Simulator.Scheduling;

namespace CimSim.Tests.Simulator.Scheduling;

/// <summary>Small shapes and the default hardware for fast scheduler tests.</summary>
internal static class SchedulingFixtures
{
    public static TransformerShape Tiny(int batch = 1, int prompt = 8, int generate = 4, int loraRank = 4) => new()
    {
        ModelName = "tiny",
        Hidden = 128,
        Layers = 2,
        Heads = 4,
        KvHeads = 2,
        HeadDim = 32,
        Intermediate = 256,
        Vocab = 512,
        LoraRank = loraRank,
        LoraTargets = new HashSet<Projection> { Projection.Q, Projection.K, Projection.V, Projection.Up, Projection.Down },
        Batch = batch,
        PromptTokens = prompt,
        GeneratedTokens = generate,
    };

    public static CimHardwareModel DefaultHardware(TransformerShape shape) => HardwareModelBuilder.Build(new HardwareSpec(), shape);
}
