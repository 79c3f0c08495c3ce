using System.CommandLine;
using CimSim.Common.Cli;
using Serilog;
using Serilog.Events;

namespace CimSim.Simulator.Cli;

/// <summary>Builds the root command, configures logging, and turns user mistakes into exit code 2 with a clear message.</summary>
public static class CliApp
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log debug detail.",
        Recursive = true,
    };

    public static readonly Option<string?> LogFile = new("--log-file")
    {
        Description = "Also write the log to this file.",
        Recursive = true,
    };

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("CimSim: cycle-level simulator of hybrid RRAM/SRAM compute-in-memory hardware for LoRA-finetuned LLMs.");
        root.Options.Add(Verbose);
        root.Options.Add(LogFile);
        var commands = typeof(CliApp).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Order).ThenBy(c => c.GetType().Name, StringComparer.Ordinal);
        foreach (var c in commands) root.Subcommands.Add(c.Build());
        CliRunner.AddNumericRules(root);
        return root;
    }

    public static int Run(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        ConfigureLogging(parse.GetValue(Verbose), parse.GetValue(LogFile));
        try
        {
            return CliRunner.Invoke(parse);
        }
        finally
        {
            Log.CloseAndFlush();
        }
    }

    private static void ConfigureLogging(bool verbose, string? logFile)
    {
        var cfg = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Information)
            .Enrich.FromLogContext()
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose,
                outputTemplate: "[{Level:u3}] {" + Sweeps.SweepRunner.PointTagProperty + ":l}{Message:lj}{NewLine}{Exception}");
        if (!string.IsNullOrEmpty(logFile)) cfg = cfg.WriteTo.File(logFile);
        Log.Logger = cfg.CreateLogger();
    }
}
