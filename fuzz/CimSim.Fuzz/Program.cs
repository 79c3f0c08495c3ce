using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Workloads.NoiseProfiles;
using CimSim.Workloads.Weights;
using SharpFuzz;

namespace CimSim.Fuzz;

/// <summary>
/// One afl++ target per input reader (issue 14). An input may end in success or a <see cref="UserInputException"/>;
/// any other exception escapes and afl++ records the input as a crash, a hang as a timeout.
/// Usage: CimSim.Fuzz TARGET, TARGET one of yaml, safetensors, peft-config, noise-profile (input on stdin via afl++),
/// or CimSim.Fuzz TARGET FILE... to replay inputs without afl++.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Targets.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine($"usage: CimSim.Fuzz {{{string.Join("|", Targets.Keys)}}} [FILE...]");
            return 2;
        }
        var scratch = Path.Combine(Path.GetTempPath(), $"cimsim-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(scratch);
        if (args.Length > 1)
        {
            foreach (var file in args.Skip(1)) Guarded(target, File.ReadAllBytes(file), scratch);
            return 0;
        }
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            Guarded(target, ms.ToArray(), scratch);
        });
        return 0;
    }

    private static void Guarded(Action<byte[], string> target, byte[] input, string scratch)
    {
        try
        {
            target(input, scratch);
        }
        catch (UserInputException)
        {
            // a clear user error is a correct outcome
        }
    }

    private static readonly Dictionary<string, Action<byte[], string>> Targets = new(StringComparer.Ordinal)
    {
        ["yaml"] = (input, scratch) =>
            HardwareConfigLoader.LoadText(System.Text.Encoding.UTF8.GetString(input), "fuzz.yaml", baseDirectory: scratch),
        ["safetensors"] = (input, scratch) =>
        {
            var path = Path.Combine(scratch, "m.safetensors");
            File.WriteAllBytes(path, input);
            using var f = SafetensorsFile.Open(path);
            foreach (var name in f.Tensors.Keys) f.ReadFloat32(name);
        },
        ["peft-config"] = (input, scratch) =>
        {
            // The corpus holds adapter_config.json variants; the weights are the fixture adapter's, copied once beside it.
            File.WriteAllBytes(Path.Combine(scratch, PeftAdapter.ConfigFileName), input);
            var weights = Path.Combine(scratch, PeftAdapter.WeightsFileName);
            if (!File.Exists(weights))
                File.Copy(Path.Combine(AppContext.BaseDirectory, "adapter_model.safetensors"), weights);
            PeftAdapter.Load(scratch);
        },
        ["noise-profile"] = (input, _) => NoiseProfileJson.Parse(System.Text.Encoding.UTF8.GetString(input), "fuzz.json"),
    };
}
