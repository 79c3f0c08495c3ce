using System.Diagnostics;

namespace CimSim.Tests.Simulator.Sweeps;

/// <summary>Runs child processes (the cimsim CLI, scripts, Slurm clients) for the sweep integration tests.</summary>
internal static class ProcessHelpers
{
    public static string RepoRoot() => FixturePaths.RepoRoot;

    /// <summary>
    /// The cimsim.dll of the same build, for child processes: the Simulator project's own output
    /// (Simulator/bin/CONFIG/TFM) when it exists, else the copy beside the tests. The copy beside the tests is the one
    /// coverlet instruments in place during `scripts/test`; child processes running it all write their hits to one
    /// tracker file at exit and collide (IOException in a Slurm array job), so they run the uninstrumented original.
    /// </summary>
    public static string CimsimDll
    {
        get
        {
            var testDir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            string tfm = testDir.Name, config = testDir.Parent!.Name;
            var own = Path.Combine(FixturePaths.RepoRoot, "Simulator", "bin", config, tfm, "cimsim.dll");
            return File.Exists(own) ? own : Path.Combine(testDir.FullName, "cimsim.dll");
        }
    }

    public static ProcessStartInfo Info(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoRoot(),
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Runs to completion (or kills it after the timeout); returns the exit code and the combined output.</summary>
    public static (int ExitCode, string Output) Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, int timeoutSeconds = 120, string? workingDirectory = null)
    {
        using var p = Process.Start(Info(file, args, env, workingDirectory))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, $"timed out after {timeoutSeconds} s\n{stdout.Result}\n{stderr.Result}");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>An executable on PATH (or in /usr/sbin, where Debian puts the Slurm and munge daemons), or null.</summary>
    public static string? Which(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin");
        return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }
}
