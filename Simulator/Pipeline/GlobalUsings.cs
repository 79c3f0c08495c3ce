// The pipeline moved out of Reports (issue 17); callers across Simulator use it without a using line each.
global using CimSim.Simulator.Pipeline;
