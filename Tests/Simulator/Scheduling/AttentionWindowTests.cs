using CimSim.Simulator.Scheduling;

namespace CimSim.Tests.Simulator.Scheduling;

public class AttentionWindowTests
{
    private static TaskTemplate Task(long? window) => new()
    {
        Id = 0,
        Operator = "self_attn.qk_matmul",
        Layer = 0,
        Kind = TaskKind.AttentionScore,
        ResourceKey = "x",
        ResourceClass = "x",
        Dependencies = [],
        AttentionWindow = window,
    };

    // A job of `tokens` queries at positions kv - tokens + 1 .. kv: each attends min(p, W) keys (brute-force sum here).
    [TestCase(1, 10, 6)]
    [TestCase(4, 10, 6)]
    [TestCase(10, 10, 6)]
    [TestCase(64, 128, 100)]
    [TestCase(64, 64, 4096)]
    [TestCase(3, 7, 7)]
    public void Attended_Window_EqualsSumOfMinimumsOverPositions(int tokens, int kvLength, int window)
    {
        long kvSum = 0, expected = 0;
        for (long p = kvLength - tokens + 1; p <= kvLength; p++)
        {
            kvSum += p;
            expected += Math.Min(p, window);
        }
        Assert.That(Task(window).Attended(tokens, kvSum, kvLength), Is.EqualTo((expected, (long)Math.Min(kvLength, window))));
        Assert.That(Task(null).Attended(tokens, kvSum, kvLength), Is.EqualTo((kvSum, (long)kvLength)));
    }
}
