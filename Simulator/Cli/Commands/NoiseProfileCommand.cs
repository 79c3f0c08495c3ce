using System.CommandLine;
using CimSim.Common.IO;
using CimSim.Devices.Config;
using CimSim.Simulator.Functional;
using CimSim.Workloads.NoiseProfiles;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim noise-profile`: the noise a trainer should make a LoRA robust to, measured from the device model.</summary>
public sealed class NoiseProfileCommand : ICliCommand
{
    public int Order => 52;

    public Command Build()
    {
        var f = new FunctionalOptions();
        var model = new Option<string>("--model") { Description = "Model directory (config.json + safetensors) or preset name (seeded random weights of the right shapes).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Noise-profile JSON to write (docs/noise-profile.schema.json).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Chip instance (same seed = same chip as `cimsim accuracy`).", DefaultValueFactory = _ => 0UL };
        var sigma = new Option<double?>("--sigma") { Description = "Override rram.noise.weight_noise.sigma; default: the config's value." };
        var probe = new Option<int>("--probe-tokens") { Description = "Random probe tokens for the ADC output error (0 = skip).", DefaultValueFactory = _ => 16 };
        var maxLayers = new Option<int?>("--max-layers") { Description = "Profile only the first N decoder layers; default: all." };
        var perTile = new Option<bool>("--per-tile") { Description = "Also write every tile's error std (large files for big models).", DefaultValueFactory = _ => false };
        var cmd = new Command("noise-profile", """
            Measure, for every RRAM-mapped module (by Hugging Face name), the effective weight error of the device
            model (std relative to max|W| per tile and per layer, mean, quantiles, stuck-at fractions), the output
            error of ADC quantisation, and the Gaussian a trainer should inject. Plain versioned JSON.

            Example:
              cimsim noise-profile --hw hw-configs/default.yaml --model llama-3.2-1b --max-layers 2 --out profile.json
            """)
        {
            model, output, seed, sigma, probe, maxLayers, perTile, f.Hardware, f.Overrides,
        };
        cmd.SetAction(pr =>
        {
            OutputLocation.CheckFile(pr.GetValue(output)!, "--out");
            var spec = f.LoadHardware(pr);
            if (pr.GetValue(sigma) is { } s) spec = FunctionalHardware.WithWeightNoiseSigma(spec, s);
            var profile = NoiseProfileBuilder.Build(new NoiseProfileOptions
            {
                Hardware = spec,
                HardwareName = f.HardwareName(pr),
                Model = pr.GetValue(model)!,
                Seed = pr.GetValue(seed),
                ProbeTokens = pr.GetValue(probe),
                MaxLayers = pr.GetValue(maxLayers),
                PerTileValues = pr.GetValue(perTile),
                Generator = "cimsim " + (typeof(NoiseProfileCommand).Assembly.GetName().Version?.ToString(3) ?? "?"),
            });
            NoiseProfileJson.Write(pr.GetValue(output)!, profile);
            Log.Information("{Modules} modules; recommended: gaussian sigma {Sigma:G4} x {Scale} (+ output {Out:G3} x rms(y)); wrote {Path}",
                profile.Modules.Count, profile.Recommended.Sigma, profile.Recommended.Scale, profile.Recommended.OutputSigmaRel, pr.GetValue(output));
            return 0;
        });
        return cmd;
    }
}
