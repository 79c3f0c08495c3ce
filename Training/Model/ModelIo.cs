using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;
using static TorchSharp.torch;

namespace CimSim.Training.Model;

/// <summary>
/// Loads a Hugging Face model directory (config.json + safetensors, read by the simulator's own
/// <see cref="SafetensorsCheckpoint"/>) into a <see cref="CausalLm"/>, and writes one back in the same layout.
/// Every missing or mis-shaped tensor is reported at once.
/// </summary>
public static class ModelIo
{
    public static ModelSpec ReadSpec(string modelDir)
    {
        var cfg = Path.Combine(modelDir, "config.json");
        if (!File.Exists(cfg)) throw new UserInputException($"--model: '{modelDir}' has no config.json (expected a Hugging Face model directory)");
        var spec = ModelConfigParser.ParseFile(cfg);
        // The trainer's TorchSharp model is the Llama/Qwen2 layout; the simulator alone models the other families.
        if (spec.ModelType is not ("llama" or "qwen2"))
            throw new UserInputException($"{cfg}: model_type '{spec.ModelType}' is simulated by cimsim but not trained by cimsim-train, which supports llama and qwen2");
        return spec;
    }

    /// <summary>Builds the model of <paramref name="modelDir"/> and loads its weights.</summary>
    public static CausalLm Load(string modelDir, ScalarType dtype = ScalarType.Float32)
    {
        var spec = ReadSpec(modelDir);
        var model = new CausalLm(spec, dtype);
        try
        {
            LoadWeights(model, modelDir);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    public static void LoadWeights(CausalLm model, string modelDir)
    {
        using var ck = SafetensorsCheckpoint.Open(modelDir);
        var names = new HashSet<string>(ck.Names, StringComparer.Ordinal);
        var problems = new List<string>();
        var loads = new List<(Parameter P, float[] Data)>();
        foreach (var (name, p) in model.HfParameters())
        {
            if (!names.Contains(name))
            {
                problems.Add($"{modelDir}: tensor '{name}' is missing (config.json implies shape [{string.Join(", ", p.shape)}])");
                continue;
            }
            try
            {
                loads.Add((p, ck.ReadFloat32(name, p.shape, "config.json")));
            }
            catch (UserInputException ex)
            {
                problems.Add(ex.Message);
            }
        }
        if (problems.Count > 0) throw new UserInputException($"{modelDir}: the weights do not match config.json", problems);
        using var _ = no_grad();
        foreach (var (p, data) in loads)
        {
            using var t = tensor(data, p.shape).to_type(p.dtype);
            p.copy_(t);
        }
    }

    /// <summary>Writes config.json (copied from <paramref name="configSource"/>) and model.safetensors (float32) into <paramref name="outDir"/>.</summary>
    public static void Save(CausalLm model, string configSource, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var w = new SafetensorsWriter();
        foreach (var (name, p) in model.HfParameters()) w.Add(name, ToFloatArray(p), p.shape);
        w.Save(Path.Combine(outDir, "model.safetensors"));
        AtomicFile.WriteAllText(Path.Combine(outDir, "config.json"), File.ReadAllText(configSource));
    }

    public static float[] ToFloatArray(Tensor t)
    {
        using var c = t.detach().to_type(ScalarType.Float32).contiguous();
        return c.data<float>().ToArray();
    }
}
