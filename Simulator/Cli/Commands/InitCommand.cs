using System.CommandLine;
using System.Text.RegularExpressions;
using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Simulator.Gpu;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>
/// `cimsim init DIR`: writes editable copies of a built-in hardware config (with its comments, and the built-in
/// configs it includes) and optionally of a GPU preset, so that a user outside the source tree can start from them.
/// </summary>
public sealed partial class InitCommand : ICliCommand
{
    public int Order => 6;

    public Command Build()
    {
        var dir = new Argument<string>("DIR") { Description = "Directory to write the copies to (created when missing)." };
        var hw = new Option<string>("--hw") { Description = "Built-in hardware config to copy (`cimsim presets` lists them).", DefaultValueFactory = _ => "default" };
        var gpu = new Option<string?>("--gpu") { Description = "Also copy this built-in GPU preset (to DIR/gpus/NAME.yaml); default: none." };
        var force = new Option<bool>("--force") { Description = "Overwrite files that already exist (default: refuse)." };
        var cmd = new Command("init", """
            Write an editable copy of a built-in hardware config, with its comments and sources, to DIR/NAME.yaml (and the
            built-in configs it includes beside it); with --gpu, also DIR/gpus/NAME.yaml. Then edit and pass the path:
              cimsim init my-chip --hw default --gpu a100-80gb
              cimsim simulate --hw my-chip/default.yaml --gpu my-chip/gpus/a100-80gb.yaml
            """)
        {
            dir, hw, gpu, force,
        };
        cmd.SetAction(pr =>
        {
            var outDir = pr.GetValue(dir)!;
            var files = new List<(string Path, string Text)>();
            CollectMachine(pr.GetValue(hw)!, outDir, files);
            if (pr.GetValue(gpu) is { } g)
            {
                var text = GpuSpecLoader.PresetText(g)
                    ?? throw new UserInputException($"--gpu: '{g}' is not a built-in GPU preset; expected one of {string.Join(", ", GpuSpecLoader.PresetNames)}");
                files.Add((Path.Combine(outDir, "gpus", g + ".yaml"), text));
            }
            var existing = files.Where(f => File.Exists(f.Path)).Select(f => f.Path).ToList();
            if (existing.Count > 0 && !pr.GetValue(force))
                throw new UserInputException($"{string.Join(", ", existing)}: already exists; pass --force to overwrite");
            foreach (var (path, text) in files)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                File.WriteAllText(path, text);
                Log.Information("wrote {Path}", path);
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The config and, recursively, the built-in configs its `include:` lines name.</summary>
    private static void CollectMachine(string name, string outDir, List<(string Path, string Text)> files)
    {
        var text = HardwareConfigLoader.MachineText(name)
            ?? throw new UserInputException($"--hw: '{name}' is not a built-in hardware config; expected one of {string.Join(", ", HardwareConfigLoader.MachineNames)}");
        var path = Path.Combine(outDir, name + ".yaml");
        if (files.Any(f => f.Path == path)) return;
        files.Add((path, text));
        foreach (Match m in IncludeLine().Matches(text))
            CollectMachine(Path.GetFileNameWithoutExtension(m.Groups["file"].Value), outDir, files);
    }

    [GeneratedRegex(@"^include:\s*(?<file>[\w.-]+\.yaml)\s*$", RegexOptions.Multiline)]
    private static partial Regex IncludeLine();
}
