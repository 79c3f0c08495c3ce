using CimSim.Simulator.Cli;

namespace CimSim.Tests.Hardening;

/// <summary>Runs `cimsim` in this process with stdout and stderr captured (tests using it are NonParallelizable).</summary>
internal static class InProcessCli
{
    private static readonly object Gate = new();

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldErr) = (Console.Out, Console.Error);
            using var o = new StringWriter();
            using var e = new StringWriter();
            Console.SetOut(o);
            Console.SetError(e);
            try
            {
                var code = CliApp.Run(args);
                return (code, o.ToString(), e.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldErr);
            }
        }
    }

    public static string HwConfig(string name = "default.yaml") => Path.Combine(FixturePaths.RepoRoot, "hw-configs", name);
}
