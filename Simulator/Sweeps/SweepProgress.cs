using System.Diagnostics;
using Serilog;
using Spectre.Console;

namespace CimSim.Simulator.Sweeps;

/// <summary>
/// Plain periodic log lines (for a log file, CI or a batch job): points done, rate and ETA, at most one line
/// per interval plus one at the end.
/// </summary>
public sealed class LogLineProgress(TimeSpan interval) : ISweepProgress
{
    private readonly Stopwatch _clock = new();
    private readonly Lock _lock = new();
    private int _total, _done, _doneAtStart, _invalid, _errors;
    private TimeSpan _lastLine;

    public void Started(int pointsInShard, int alreadyDone)
    {
        _total = pointsInShard;
        _done = _doneAtStart = alreadyDone;
        _clock.Restart();
    }

    public void PointFinished(SweepPoint point, PointStatus status)
    {
        lock (_lock)
        {
            _done++;
            if (status == PointStatus.Invalid) _invalid++;
            if (status == PointStatus.Error) _errors++;
            var now = _clock.Elapsed;
            if (_done < _total && now - _lastLine < interval) return;
            _lastLine = now;
            var ranNow = _done - _doneAtStart;
            var perMinute = ranNow / Math.Max(now.TotalMinutes, 1e-9);
            var eta = perMinute > 0 ? TimeSpan.FromMinutes((_total - _done) / perMinute) : TimeSpan.Zero;
            Log.Information("sweep: {Done}/{Total} points ({Invalid} invalid, {Errors} errors), {Rate:F1} points/min, ETA {Eta}",
                _done, _total, _invalid, _errors, perMinute, eta.ToString(@"hh\:mm\:ss"));
        }
    }
}

/// <summary>A Spectre.Console progress bar with ETA, for an interactive terminal.</summary>
public static class TerminalProgress
{
    /// <summary>True when stderr/stdout is an interactive terminal that can redraw a progress bar.</summary>
    public static bool Available => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="run"/> while a bar tracks the progress events it receives.</summary>
    public static T Run<T>(string title, Func<ISweepProgress, T> run)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), autoStart: false);
                result = run(new BarProgress(task));
                task.StopTask();
            });
        return result;
    }

    private sealed class BarProgress(ProgressTask task) : ISweepProgress
    {
        public void Started(int pointsInShard, int alreadyDone)
        {
            task.MaxValue = Math.Max(1, pointsInShard);
            task.Value = alreadyDone;
            task.StartTask();
        }

        public void PointFinished(SweepPoint point, PointStatus status) => task.Increment(1);
    }
}
