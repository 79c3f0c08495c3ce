namespace CimSim.Workloads.Models;

/// <summary>
/// The linear projections of a decoder layer, by their Hugging Face module names: the seven separate ones of
/// Llama, Qwen, Mistral and Gemma, and the two fused matrices of Phi-3 (`qkv_proj` = [q; k; v] stacked on the
/// output axis, `gate_up_proj` = [gate; up]). The numeric values index per-layer tables (see <see cref="LinearModules.Count"/>).
/// </summary>
public enum LinearModule
{
    QProj,
    KProj,
    VProj,
    OProj,
    GateProj,
    UpProj,
    DownProj,
    QkvProj,
    GateUpProj,
}

public static class LinearModules
{
    /// <summary>The seven separate projections, in the order a decoder layer runs them (q, k, v, o, gate, up, down).</summary>
    public static readonly IReadOnlyList<LinearModule> All =
        [LinearModule.QProj, LinearModule.KProj, LinearModule.VProj, LinearModule.OProj, LinearModule.GateProj, LinearModule.UpProj, LinearModule.DownProj];

    /// <summary>Phi-3's four projections: qkv (fused), o, gate_up (fused), down (transformers `modeling_phi3.py`).</summary>
    public static readonly IReadOnlyList<LinearModule> Fused =
        [LinearModule.QkvProj, LinearModule.OProj, LinearModule.GateUpProj, LinearModule.DownProj];

    /// <summary>Every module name this simulator knows, separate and fused.</summary>
    public static readonly IReadOnlyList<LinearModule> Every = [.. All, LinearModule.QkvProj, LinearModule.GateUpProj];

    /// <summary>Size of a per-layer table indexed by <c>(int)module</c>.</summary>
    public const int Count = 9;

    /// <summary>Hugging Face attribute name: "q_proj" ... "down_proj", "qkv_proj", "gate_up_proj".</summary>
    public static string HfName(this LinearModule m) => m switch
    {
        LinearModule.QProj => "q_proj",
        LinearModule.KProj => "k_proj",
        LinearModule.VProj => "v_proj",
        LinearModule.OProj => "o_proj",
        LinearModule.GateProj => "gate_proj",
        LinearModule.UpProj => "up_proj",
        LinearModule.DownProj => "down_proj",
        LinearModule.QkvProj => "qkv_proj",
        LinearModule.GateUpProj => "gate_up_proj",
        _ => throw new ArgumentOutOfRangeException(nameof(m), m, null),
    };

    /// <summary>Short flag form: "q", "k", "v", "o", "gate", "up", "down", "qkv", "gate_up".</summary>
    public static string ShortName(this LinearModule m) => m.HfName()[..^5];

    /// <summary>True for the modules under `self_attn` (q, k, v, o, qkv), false for those under `mlp`.</summary>
    public static bool IsAttention(this LinearModule m) => m is <= LinearModule.OProj or LinearModule.QkvProj;

    /// <summary>True for Phi-3's fused matrices.</summary>
    public static bool IsFused(this LinearModule m) => m is LinearModule.QkvProj or LinearModule.GateUpProj;

    /// <summary>The separate projections a fused matrix stacks (in its output order); a separate module is its own part.</summary>
    public static IReadOnlyList<LinearModule> Parts(this LinearModule m) => m switch
    {
        LinearModule.QkvProj => [LinearModule.QProj, LinearModule.KProj, LinearModule.VProj],
        LinearModule.GateUpProj => [LinearModule.GateProj, LinearModule.UpProj],
        _ => [m],
    };

    /// <summary>The fused matrix that holds a separate projection in Phi-3 (q, k, v -> qkv; gate, up -> gate_up), else null.</summary>
    public static LinearModule? FusedParent(this LinearModule m) => m switch
    {
        LinearModule.QProj or LinearModule.KProj or LinearModule.VProj => LinearModule.QkvProj,
        LinearModule.GateProj or LinearModule.UpProj => LinearModule.GateUpProj,
        _ => null,
    };

    /// <summary>Full Hugging Face module path, e.g. "model.layers.3.self_attn.q_proj" (the safetensors prefix of its weight).</summary>
    public static string HfPath(this LinearModule m, int layer)
        => $"model.layers.{layer}.{(m.IsAttention() ? "self_attn" : "mlp")}.{m.HfName()}";

    /// <summary>Parses "q_proj" or its short form "q" (case-insensitive); also the fused "qkv_proj" and "gate_up_proj".</summary>
    public static bool TryParse(string name, out LinearModule module)
    {
        var n = name.Trim().ToLowerInvariant();
        if (!n.EndsWith("_proj", StringComparison.Ordinal)) n += "_proj";
        foreach (var m in Every)
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
