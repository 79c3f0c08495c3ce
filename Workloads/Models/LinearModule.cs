namespace CimSim.Workloads.Models;

/// <summary>The seven linear projections of a Llama/Qwen2 decoder layer, by their Hugging Face module names.</summary>
public enum LinearModule
{
    QProj,
    KProj,
    VProj,
    OProj,
    GateProj,
    UpProj,
    DownProj,
}

public static class LinearModules
{
    /// <summary>All seven, in the order a decoder layer runs them (q, k, v, o, gate, up, down).</summary>
    public static readonly IReadOnlyList<LinearModule> All =
        [LinearModule.QProj, LinearModule.KProj, LinearModule.VProj, LinearModule.OProj, LinearModule.GateProj, LinearModule.UpProj, LinearModule.DownProj];

    public const int Count = 7;

    /// <summary>Hugging Face attribute name: "q_proj" ... "down_proj".</summary>
    public static string HfName(this LinearModule m) => m switch
    {
        LinearModule.QProj => "q_proj",
        LinearModule.KProj => "k_proj",
        LinearModule.VProj => "v_proj",
        LinearModule.OProj => "o_proj",
        LinearModule.GateProj => "gate_proj",
        LinearModule.UpProj => "up_proj",
        LinearModule.DownProj => "down_proj",
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, null),
    };

    /// <summary>Short flag form: "q", "k", "v", "o", "gate", "up", "down".</summary>
    public static string ShortName(this LinearModule m) => m.HfName()[..^5];

    /// <summary>True for q/k/v/o (under `self_attn`), false for gate/up/down (under `mlp`).</summary>
    public static bool IsAttention(this LinearModule m) => m <= LinearModule.OProj;

    /// <summary>Full Hugging Face module path, e.g. "model.layers.3.self_attn.q_proj" (the safetensors prefix of its weight).</summary>
    public static string HfPath(this LinearModule m, int layer)
        => $"model.layers.{layer}.{(m.IsAttention() ? "self_attn" : "mlp")}.{m.HfName()}";

    /// <summary>Parses "q_proj" or its short form "q" (case-insensitive).</summary>
    public static bool TryParse(string name, out LinearModule module)
    {
        var n = name.Trim().ToLowerInvariant();
        if (!n.EndsWith("_proj", StringComparison.Ordinal)) n += "_proj";
        foreach (var m in All)
        {
            if (m.HfName() == n)
            {
                module = m;
                return true;
            }
        }
        module = default;
        return false;
    }
}
