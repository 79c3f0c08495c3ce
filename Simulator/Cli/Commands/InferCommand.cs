using System.CommandLine;
using System.Globalization;
using System.Text;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Devices.Config;
using CimSim.Simulator.Functional;
using Serilog;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim infer`: logits of a token sequence on one chip instance (or ideal devices).</summary>
public sealed class InferCommand : ICliCommand
{
    public int Order => 50;

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model directory (config.json + safetensors).", Required = true };
        var adapter = new Option<string?>("--adapter") { Description = "PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors); default: none." };
        var hw = new Option<string?>("--hw") { Description = "Hardware config YAML; W0 runs on its RRAM device model. Give this or --ideal." };
        var ideal = new Option<bool>("--ideal") { Description = "Ideal devices (exact float32 products); default: false.", DefaultValueFactory = _ => false };
        var seed = new Option<ulong>("--seed") { Description = "Chip instance: seed of every device draw.", DefaultValueFactory = _ => 0UL };
        var path = new Option<string>("--path") { Description = "RRAM device model: statistical or bit-accurate.", DefaultValueFactory = _ => "statistical" };
        var sigma = new Option<double?>("--sigma") { Description = "Override rram.noise.weight_noise.sigma (the paper's abstract noise relative to max|W| per tile); default: the config's value." };
        var tokens = new Option<string>("--tokens") { Description = "Comma-separated token ids, e.g. 1,17,42.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "JSON file to write: {\"logits\": [[...], ...]} (one row per input position).", Required = true };
        var cmd = new Command("infer", """
            Run a model's forward pass with every W0 projection on the RRAM device model of one chip instance
            (or on ideal devices) and write the logits of every input position.

            Example:
              cimsim infer --model models/llama --adapter adapters/halora --hw hw-configs/default.yaml --seed 3 --tokens 1,17,42 --out logits.json
            """)
        {
            model, adapter, hw, ideal, seed, path, sigma, tokens, output,
        };
        cmd.SetAction(pr =>
        {
            var hwPath = pr.GetValue(hw);
            OutputLocation.CheckFile(pr.GetValue(output)!, "--out");
            if (hwPath is null == !pr.GetValue(ideal))
                throw new UserInputException("give exactly one of --hw FILE (RRAM device model) or --ideal (exact products)");
            HardwareSpec? spec = hwPath is null ? null : HardwareConfigLoader.Load(hwPath);
            if (spec is not null && pr.GetValue(sigma) is { } s) spec = FunctionalHardware.WithWeightNoiseSigma(spec, s);
            var ids = TokenList.Parse(pr.GetValue(tokens)!);
            var placer = FunctionalHardware.Placer(spec, pr.GetValue(seed), FunctionalHardware.ParsePath(pr.GetValue(path)!));
            var m = FunctionalModel.Load(pr.GetValue(model)!, placer, pr.GetValue(adapter));
            Log.Information("{Model}: {Layers} layers, W0 on {Placement}", m.Spec.Name, m.Spec.NumLayers, m.Placement);
            var logits = new InferenceSession(m, ids.Length).Forward(ids);
            AtomicFile.WriteAllText(pr.GetValue(output)!, LogitsJson(logits, ids.Length, m.Spec.VocabSize));
            Log.Information("wrote {Rows} x {Vocab} logits to {Out}", ids.Length, m.Spec.VocabSize, pr.GetValue(output));
            return 0;
        });
        return cmd;
    }

    /// <summary>{"logits": [[...], ...]} with round-trip float formatting.</summary>
    public static string LogitsJson(float[] logits, int rows, int vocab)
    {
        NonFiniteResultException.RequireAll(logits, "logits");
        var sb = new StringBuilder(logits.Length * 12);
        sb.Append("{\"logits\": [");
        for (int t = 0; t < rows; t++)
        {
            sb.Append(t == 0 ? "[" : ", [");
            for (int j = 0; j < vocab; j++)
            {
                if (j > 0) sb.Append(", ");
                sb.Append(logits[t * vocab + j].ToString("R", CultureInfo.InvariantCulture));
            }
            sb.Append(']');
        }
        sb.Append("]}\n");
        return sb.ToString();
    }
}
