using System.Collections.Concurrent;
using CimSim.Simulator.Sweeps;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace CimSim.Tests.Simulator.Sweeps;

/// <summary>Parallel sweep work logs lines that name their point.</summary>
public class SweepLogTests
{
    private sealed class Capture : ILogEventSink
    {
        public ConcurrentQueue<LogEvent> Events { get; } = new();

        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
    }

    [Test]
    public void Run_TwoJobs_EveryEvaluatorLogLineNamesItsPoint()
    {
        var dir = Directory.CreateTempSubdirectory("cimsim-sweep-log-").FullName;
        var previous = Log.Logger;
        var capture = new Capture();
        Log.Logger = new LoggerConfiguration().MinimumLevel.Information().Enrich.FromLogContext().WriteTo.Sink(capture).CreateLogger();
        try
        {
            var grid = "rram.adc.bits: [4, 6, 8]\nrram.array.rows: [64, 128]\n";
            new SweepRunner(dir, SweepDefinition.Parse(grid, "grid.yaml"), [new("model", "fake")], new FakeEvaluator())
                .Run(new SweepRunOptions { Jobs = 2 });
        }
        finally
        {
            Log.Logger = previous;
            Directory.Delete(dir, recursive: true);
        }
        var lines = capture.Events.Where(e => e.MessageTemplate.Text.StartsWith("fake evaluator", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Count.EqualTo(6));
        foreach (var e in lines)
        {
            var id = ((ScalarValue)e.Properties["Id"]).Value as string;
            Assert.That(e.Properties.TryGetValue(SweepRunner.PointTagProperty, out var tag), Is.True, "line without its point");
            Assert.That(((ScalarValue)tag!).Value, Is.EqualTo($"[{id}] "));
        }
        // Lines outside a point (the runner's own summary) carry no point tag.
        Assert.That(capture.Events.Where(e => e.MessageTemplate.Text.StartsWith("sweep ", StringComparison.Ordinal))
            .All(e => !e.Properties.ContainsKey(SweepRunner.PointTagProperty)), Is.True);
    }
}
