using CimSim.Common.Cli;
using CimSim.Common.Errors;
using CimSim.Training.Cli;
using Serilog;

Log.Logger = new LoggerConfiguration().WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}", standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();
try
{
    if (args.Length == 2 && args[0] == "summarize-experiment") return ExperimentSummary.Run(args[1]);
    var command = TrainCommand.Build();
    CliRunner.AddNumericRules(command);
    // UserInputException.Message already lists every problem: printing Problems again doubled each line (issue 14, defect 9).
    return CliRunner.Invoke(command.Parse(args));
}
catch (Exception ex) when (ex is UserInputException uie)
{
    Console.Error.WriteLine("error: " + uie.Message);
    return UserInputException.ExitCode;
}
catch (Exception ex) when (TorchNativeLoad.IsLoadFailure(ex))
{
    Console.Error.WriteLine("error: " + TorchNativeLoad.Explain(ex));
    return UserInputException.ExitCode;
}
finally
{
    Log.CloseAndFlush();
}
