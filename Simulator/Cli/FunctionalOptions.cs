using System.CommandLine;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Reports;
using Serilog;

namespace CimSim.Simulator.Cli;

/// <summary>
/// The flags every command that reads a hardware config for the functional model shares with `simulate`, `map`
/// and `sweep` (docs/guide.md, "Command-line conventions"): `--hw` defaulted to hw-configs/default.yaml,
/// `-p/--param key=value` overrides, `--device-path` (alias `--path`), `--sigma`.
/// </summary>
public sealed class FunctionalOptions
{
    public Option<string> Hardware { get; } = new("--hw")
    {
        Description = "Hardware config YAML (its RRAM device model and mapping).",
        DefaultValueFactory = _ => new SimulationRequest().HardwarePath,
    };

    public Option<string[]> Overrides { get; } = new("--param", "-p")
    {
        Description = "Override a hardware config key, e.g. -p rram.adc.ideal=false (repeatable; applied after the file, same checks).",
        DefaultValueFactory = _ => [],
    };

    public Option<string> DevicePath { get; } = new("--device-path", "--path")
    {
        Description = "RRAM device model: statistical or bit-accurate (--path is an alias).",
        DefaultValueFactory = _ => "statistical",
    };

    public IEnumerable<Option> All => [Hardware, Overrides, DevicePath];

    public void AddTo(Command command)
    {
        foreach (var o in All) command.Options.Add(o);
    }

    /// <summary>The config with the overrides; warns (one line per key) about overrides that cannot change accuracy.</summary>
    public HardwareSpec LoadHardware(ParseResult pr)
    {
        var overrides = pr.GetValue(Overrides) ?? [];
        var spec = HardwareConfigLoader.Load(pr.GetValue(Hardware)!, overrides);
        WarnUnseenKeys(spec, overrides.Select(o => o.Split('=', 2)[0].Trim()).ToList());
        return spec;
    }

    public string HardwareName(ParseResult pr)
    {
        var overrides = pr.GetValue(Overrides) ?? [];
        return pr.GetValue(Hardware)! + (overrides.Length > 0 ? " with " + string.Join(", ", overrides) : "");
    }

    public RramPath Path(ParseResult pr) => FunctionalHardware.ParsePath(pr.GetValue(DevicePath)!);

    /// <summary>Logs one warning line per key that cannot change the accuracy measured on <paramref name="spec"/>.</summary>
    public static void WarnUnseenKeys(HardwareSpec spec, IReadOnlyCollection<string> keys)
    {
        foreach (var line in AccuracyKeyWarnings.For(spec, keys)) Log.Warning("{Warning}", line);
    }
}
