return CimSim.Simulator.Cli.CliApp.Run(args);
