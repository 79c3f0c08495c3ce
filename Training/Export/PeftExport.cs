using CimSim.Training.Model;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;

namespace CimSim.Training.Export;

/// <summary>
/// The model's LoRA branches as a PEFT adapter (adapter_config.json + adapter_model.safetensors with PEFT's tensor
/// names), written with the simulator's own <see cref="PeftAdapter"/> so that `cimsim accuracy --adapter` and
/// Hugging Face PEFT read the same files.
/// </summary>
public static class PeftExport
{
    public static PeftAdapter ToAdapter(CausalLm model, string? baseModel)
    {
        var lora = model.Lora ?? throw new InvalidOperationException("the model carries no LoRA adapter");
        var modules = model.LoraModules().Select(m => new LoraModuleWeights(
            m.Path, lora.Rank, (int)m.Linear.InFeatures, (int)m.Linear.OutFeatures,
            ModelIo.ToFloatArray(m.Linear.LoraA!), ModelIo.ToFloatArray(m.Linear.LoraB!), lora.Scaling));
        var config = new LoraAdapterConfig
        {
            Rank = lora.Rank,
            Alpha = lora.Alpha,
            Dropout = lora.Dropout,
            UseRslora = lora.UseRsLora,
            TargetModules = lora.Targets.Select(t => t.HfName()).ToList(),
            BaseModelNameOrPath = baseModel,
        };
        return new PeftAdapter(config, modules);
    }

    public static void Save(CausalLm model, string directory, string? baseModel)
    {
        Directory.CreateDirectory(directory);
        ToAdapter(model, baseModel).Save(directory);
    }

    /// <summary>Copies the A and B matrices of an adapter into the model's LoRA branches (same targets and rank).</summary>
    public static void LoadInto(CausalLm model, PeftAdapter adapter)
    {
        using var _ = TorchSharp.torch.no_grad();
        foreach (var (path, linear) in model.LoraModules())
        {
            if (!adapter.Modules.TryGetValue(path, out var w))
                throw new CimSim.Common.Errors.UserInputException($"{adapter.SourceDirectory}: no LoRA weights for module '{path}'");
            linear.LoraA!.copy_(TorchSharp.torch.tensor(w.A, linear.LoraA.shape));
            linear.LoraB!.copy_(TorchSharp.torch.tensor(w.B, linear.LoraB.shape));
        }
    }
}
