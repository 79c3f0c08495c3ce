using CimSim.Devices.Config;
using CimSim.Devices.Energy;
using CimSim.Mapping;
using CimSim.Simulator.Scheduling;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Simulator.Scheduling;

/// <summary>Small models, and hardware built the production way (Mapper, device tables, builder) for fast scheduler tests.</summary>
internal static class SchedulingFixtures
{
    private const string TinyConfig = """
        {"model_type": "llama", "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
         "num_key_value_heads": 2, "intermediate_size": 256, "vocab_size": 512, "rope_theta": 10000.0,
         "rms_norm_eps": 1e-5, "max_position_embeddings": 4096, "tie_word_embeddings": true}
        """;

    // Llama-2-7B's Hugging Face config.json (the shape NeMo and ML.ENERGY measured).
    private const string Llama2_7BConfig = """
        {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
         "num_key_value_heads": 32, "intermediate_size": 11008, "vocab_size": 32000, "rope_theta": 10000.0,
         "rms_norm_eps": 1e-5, "max_position_embeddings": 4096, "tie_word_embeddings": false}
        """;

    public static ModelSpec TinyModel => ModelConfigParser.Parse(TinyConfig, "tiny", "tiny config.json");

    /// <summary>The tiny model cut to one decoder layer (closed forms per layer are then per model).</summary>
    public static ModelSpec OneLayerModel => ModelConfigParser.Parse(TinyConfig.Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"), "tiny-1l", "tiny-1l config.json");

    public static ModelSpec Llama2_7B => ModelConfigParser.Parse(Llama2_7BConfig, "llama-2-7b", "llama-2-7b config.json");

    public static OperatorGraph Tiny(int batch = 1, int prompt = 8, int generate = 4, int loraRank = 4) =>
        new(TinyModel, loraRank > 0 ? LoraSpec.FromFlags(loraRank, "q,k,v,up,down") : null, new WorkloadSpec(batch, prompt, generate));

    /// <summary>The scheduler's view of <paramref name="spec"/> (default: the shipped default) mapped as `simulate` maps it.</summary>
    public static CimHardwareModel DefaultHardware(OperatorGraph graph, HardwareSpec? spec = null)
    {
        spec ??= new HardwareSpec();
        var options = new MapperOptions();
        var mapping = Mapper.Map(spec, graph.Model, graph.Lora, graph.Workload, options);
        return HardwareModelBuilder.Build(spec, new DeviceTables(spec), mapping, options.AttentionLayersResident);
    }
}
