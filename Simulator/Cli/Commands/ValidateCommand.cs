using System.CommandLine;
using CimSim.Devices.Config;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>
/// `cimsim validate --hw FILE [-p key=value ...]`: loads and checks a hardware config, prints "ok" and a one-screen
/// summary, or every problem (file:line:column, YAML path, found, expected) with exit code 2.
/// </summary>
public sealed class ValidateCommand : ICliCommand
{
    public int Order => 10;

    public Command Build()
    {
        var hw = new Option<string>("--hw")
        {
            Description = "Hardware config YAML file.",
            DefaultValueFactory = _ => "hw-configs/default.yaml",
        };
        var param = new Option<string[]>("--param", "-p")
        {
            Description = "Override one config key, e.g. -p rram.adc.bits=6 (repeatable; applied after the file, same checks).",
            DefaultValueFactory = _ => [],
            AllowMultipleArgumentsPerToken = false,
        };
        var dump = new Option<string?>("--dump")
        {
            Description = "Also print the effective config with every key: yaml or json.",
        };
        dump.AcceptOnlyFromAmong("yaml", "json");
        var keys = new Option<bool>("--keys")
        {
            Description = "List every config key with its type, unit, range and built-in default, then exit.",
        };
        var presets = new Option<bool>("--presets")
        {
            Description = "List the built-in presets usable with `preset: NAME`, then exit.",
        };
        var calibration = new Option<bool>("--calibration")
        {
            Description = "Print the calibration table of docs/validation.md (device models and chip against published silicon and the paper), then exit.",
        };
        var cmd = new Command("validate",
            "Check a hardware config: prints \"ok\" and a summary, or every problem with its file, line and YAML path (exit code 2).\n" +
            "Example: cimsim validate --hw hw-configs/neurosim-like.yaml -p rram.adc.bits=6 -p rram.noise.weight_noise.sigma=0.02")
        {
            hw, param, dump, keys, presets, calibration,
        };
        cmd.SetAction(pr =>
        {
            var output = Console.Out;
            if (pr.GetValue(keys))
            {
                foreach (var k in ConfigSchema.AllKeys.Where(k => !k.IsSection))
                    output.WriteLine($"{k.Path,-48} {k.TypeName}{(k.Key.Unit.Length > 0 ? " [" + k.Key.Unit + "]" : "")}{(k.Constraint.Length > 0 ? " (" + k.Constraint + ")" : "")} = {Show(k.DefaultValue)}");
                return 0;
            }
            if (pr.GetValue(calibration))
            {
                output.Write(Calibration.CalibrationTable.Markdown(Calibration.CalibrationTable.Rows()));
                return 0;
            }
            if (pr.GetValue(presets))
            {
                foreach (var name in HardwareConfigLoader.PresetNames)
                {
                    var first = (HardwareConfigLoader.PresetText(name) ?? "").Split('\n').FirstOrDefault(l => l.StartsWith('#')) ?? "";
                    output.WriteLine($"{name,-16} {first.TrimStart('#', ' ')}");
                }
                return 0;
            }
            var spec = HardwareConfigLoader.Load(pr.GetValue(hw)!, pr.GetValue(param));
            if (pr.GetValue(dump) == "json")
            {
                // JSON only on stdout, so that `cimsim validate --dump json | jq` works; warnings go to stderr.
                foreach (var warning in HardwareSpecValidator.Warnings(spec)) Console.Error.WriteLine("warning: " + warning);
                output.Write(HardwareSpecWriter.ToJson(spec));
                return 0;
            }
            output.WriteLine("ok");
            foreach (var line in HardwareSpecSummary.Lines(spec)) output.WriteLine(line);
            foreach (var warning in HardwareSpecValidator.Warnings(spec)) output.WriteLine("warning: " + warning);
            switch (pr.GetValue(dump))
            {
                case "yaml":
                    output.WriteLine();
                    output.Write(HardwareSpecWriter.ToYaml(spec));
                    break;
            }
            return 0;
        });
        return cmd;
    }

    private static string Show(object? v) => v switch
    {
        null => "",
        string s => "\"" + s + "\"",
        System.Collections.IEnumerable e and not string => "[" + string.Join(", ", e.Cast<object>().Select(HardwareSpecWriterFormat)) + "]",
        _ => HardwareSpecWriterFormat(v),
    };

    private static string HardwareSpecWriterFormat(object v) => v switch
    {
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        Enum e => ConfigSchema.EnumToYaml(e),
        bool b => b ? "true" : "false",
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
