global using NUnit.Framework;
global using CimSim.Simulator.Pipeline;
