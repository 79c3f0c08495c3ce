using System.CommandLine;
using CimSim.Devices.Config;
using CimSim.Simulator.Gpu;
using CimSim.Workloads.Models;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim presets`: every configuration built into the tool, by the name the options take.</summary>
public sealed class PresetsCommand : ICliCommand
{
    public int Order => 5;

    public Command Build()
    {
        var cmd = new Command("presets", """
            List the configurations built into the tool: hardware configs (--hw NAME), device presets (`preset:` in a
            config), GPU baselines (--gpu NAME) and models (--model NAME). Each still accepts a file path instead.
            `cimsim init DIR --hw NAME` writes an editable copy of a hardware config.
            """);
        cmd.SetAction(_ =>
        {
            var o = Console.Out;
            o.WriteLine("hardware configs (--hw NAME):");
            foreach (var n in HardwareConfigLoader.MachineNames) o.WriteLine($"  {n,-24} {FirstComment(HardwareConfigLoader.MachineText(n)!)}");
            o.WriteLine("device presets (preset: NAME inside a config):");
            foreach (var n in HardwareConfigLoader.PresetNames) o.WriteLine($"  {n,-24} {FirstComment(HardwareConfigLoader.PresetText(n)!)}");
            o.WriteLine("GPU baselines (--gpu NAME):");
            foreach (var n in GpuSpecLoader.PresetNames) o.WriteLine($"  {n,-24} {FirstComment(GpuSpecLoader.PresetText(n)!)}");
            o.WriteLine("models (--model NAME):");
            foreach (var n in ModelCatalog.PresetNames) o.WriteLine($"  {n,-24} {ModelCatalog.PresetRepositories[n]}");
            return 0;
        });
        return cmd;
    }

    /// <summary>The first comment line of a YAML file: what the preset is.</summary>
    private static string FirstComment(string yaml)
    {
        foreach (var line in yaml.Split('\n'))
        {
            var t = line.Trim();
            if (t.StartsWith('#')) return t.TrimStart('#').Trim();
        }
        return "";
    }
}
