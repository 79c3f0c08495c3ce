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
        var f = new FunctionalOptions();
        var ideal = new Option<bool>("--ideal") { Description = "Ideal devices (exact float32 products) instead of --hw; default: false.", DefaultValueFactory = _ => false };
        var seed = new Option<ulong>("--seed") { Description = "Chip instance: seed of every device draw.", DefaultValueFactory = _ => 0UL };
        var sigma = new Option<double?>("--sigma") { Description = "Override rram.noise.weight_noise.sigma (the paper's abstract noise relative to max|W| per tile); default: the config's value." };
        var tokens = new Option<string>("--tokens") { Description = "Comma-separated token ids, e.g. 1,17,42.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "JSON file to write: {\"logits\": [[...], ...]} (one row per input position).", Required = true };
        var cmd = new Command("infer", """
            Run a model's forward pass with every W0 projection on the RRAM device model of one chip instance
            (or on ideal devices) and write the logits of every input position.

            Example:
              cimsim infer --model models/llama --adapter adapters/halora --hw hw-configs/default.yaml --seed 3 --tokens 1,17,42 --out logits.json
              cimsim infer --model models/llama --ideal --tokens 1,17,42 -o ideal.json
            """)
        {
            model, adapter, ideal, seed, sigma, tokens, output,
        };
        f.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            OutputLocation.CheckFile(pr.GetValue(output)!, "--out");
            if (pr.GetValue(ideal) && (pr.GetResult(f.Hardware) is { Implicit: false } || pr.GetValue(f.Overrides) is { Length: > 0 }))
                throw new UserInputException("--ideal computes exact products: give it without --hw and -p");
            HardwareSpec? spec = pr.GetValue(ideal) ? null : f.LoadHardware(pr);
            if (spec is not null && pr.GetValue(sigma) is { } s) spec = FunctionalHardware.WithWeightNoiseSigma(spec, s);
            var ids = TokenList.Parse(pr.GetValue(tokens)!);
            var placer = FunctionalHardware.Placer(spec, pr.GetValue(seed), f.Path(pr));
            var m = FunctionalModel.Load(pr.GetValue(model)!, placer, pr.GetValue(adapter));
            Log.Information("{Model}: {Layers} layers, {Placement}; {Plan}", m.Spec.Name, m.Spec.NumLayers, m.Placement, m.PlanDescription ?? "all exact");
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
