using System.CommandLine;
using System.Reflection;
using CimSim.Common.Errors;
using CimSim.Training.Cli;
using Serilog;

Log.Logger = new LoggerConfiguration().WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}", standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();
try
{
    if (args.Length == 2 && args[0] == "summarize-experiment") return ExperimentSummary.Run(args[1]);
    return TrainCommand.Build().Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (Unwrap(ex) is UserInputException uie)
{
    Console.Error.WriteLine("error: " + uie.Message);
    foreach (var p in uie.Problems.Where(p => p != uie.Message)) Console.Error.WriteLine("  " + p);
    return UserInputException.ExitCode;
}
finally
{
    Log.CloseAndFlush();
}

static Exception Unwrap(Exception ex)
{
    while (ex is TargetInvocationException or AggregateException && ex.InnerException is not null) ex = ex.InnerException!;
    return ex;
}
