using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Workloads.Models;

/// <summary>
/// Reads a Hugging Face config.json (Llama and Qwen2 families) into a <see cref="ModelSpec"/>. Every problem
/// is collected and reported at once in a <see cref="UserInputException"/> that names the file and the key.
/// Both rope layouts are read: `rope_theta` + `rope_scaling` (transformers 4.x) and `rope_parameters`
/// (transformers 5), as is `torch_dtype` or its newer spelling `dtype`.
/// </summary>
public static class ModelConfigParser
{
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "qwen2", "qwen3", "mistral", "phi3", "gemma2", "gemma3_text"];

    /// <summary>Published model types that are deliberately not modelled, with what they need that is missing.</summary>
    private static readonly IReadOnlyDictionary<string, string> UnsupportedModelTypes = new Dictionary<string, string>
    {
        ["mixtral"] = "a mixture-of-experts MLP (num_local_experts), which is not modelled",
        ["qwen2_moe"] = "a mixture-of-experts MLP (num_experts), which is not modelled",
        ["qwen3_moe"] = "a mixture-of-experts MLP (num_experts), which is not modelled",
        ["phimoe"] = "a mixture-of-experts MLP (num_local_experts), which is not modelled",
        ["deepseek_v2"] = "multi-head latent attention and a mixture-of-experts MLP, which are not modelled",
        ["deepseek_v3"] = "multi-head latent attention and a mixture-of-experts MLP, which are not modelled",
        ["gemma"] = "Gemma 1 (GeGLU without Gemma 2's sandwich norms), which is not modelled; Gemma 2 and 3 are",
        ["gemma3"] = "the multimodal Gemma 3 wrapper (text_config + vision_config); give the text model's config (model_type gemma3_text, e.g. google/gemma-3-1b-pt)",
        ["phi"] = "Phi-1/2 (LayerNorm, parallel attention and MLP), which is not modelled; Phi-3 is",
    };

    /// <summary>Keys whose positive value means a mixture-of-experts MLP, which no supported family has.</summary>
    private static readonly string[] ExpertKeys = ["num_local_experts", "num_experts", "n_routed_experts"];

    /// <summary>Parses a config.json file; the model name defaults to its directory's name.</summary>
    public static ModelSpec ParseFile(string path, string? name = null)
    {
        string text;
        try
        {
            text = InputFile.ReadAllText(path, "a Hugging Face config.json");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot read the model config ({ex.Message})", ex);
        }
        name ??= Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? "model";
        return Parse(text, name, path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names the file in error messages.</summary>
    public static ModelSpec Parse(string json, string name, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{source}: not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}): {ex.Message}", ex);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new UserInputException($"{source}: expected a JSON object at the top level, found {doc.RootElement.ValueKind}");
            var r = new Reader(doc.RootElement, source);
            var spec = Build(r, name);
            if (r.Problems.Count > 0)
                throw new UserInputException($"{source}: {r.Problems.Count} problem(s) in the model config", r.Problems);
            return spec!;
        }
    }

    private static ModelSpec? Build(Reader r, string name)
    {
        var modelType = r.String("model_type", required: true, fallback: "");
        if (UnsupportedModelTypes.TryGetValue(modelType, out var missing))
            r.Problem("model_type", $"'{modelType}'", $"a supported family; '{modelType}' needs {missing}");
        else if (modelType.Length > 0 && !SupportedModelTypes.Contains(modelType))
            r.Problem("model_type", $"'{modelType}' (not modelled)", "one of " + string.Join(", ", SupportedModelTypes.Select(s => "'" + s + "'")));
        foreach (var key in ExpertKeys)
        {
            if (r.Has(key) && r.Root.GetProperty(key) is { ValueKind: JsonValueKind.Number } e && e.TryGetInt32(out var n) && n > 0)
                r.Problem(key, n.ToString(), "absent or 0: a mixture-of-experts MLP is not modelled");
        }
        var isQwen = modelType is "qwen2" or "qwen3";
        var isGemma = modelType is "gemma2" or "gemma3_text";

        var hidden = r.PositiveInt("hidden_size", required: true);
        var layers = r.PositiveInt("num_hidden_layers", required: true);
        var heads = r.PositiveInt("num_attention_heads", required: true);
        var kvHeads = r.PositiveInt("num_key_value_heads", required: false) ?? heads;
        var ffn = r.PositiveInt("intermediate_size", required: true);
        var vocab = r.PositiveInt("vocab_size", required: true);
        var maxPos = r.PositiveInt("max_position_embeddings", required: false) ?? (isQwen ? 32768 : 2048);
        int? headDim = r.PositiveInt("head_dim", required: false);
        if (headDim is null && hidden is int h && heads is int nh)
        {
            if (h % nh != 0) r.Problem("hidden_size", $"{h} (not divisible by num_attention_heads {nh}) and no head_dim", "head_dim, or hidden_size a multiple of num_attention_heads");
            else headDim = h / nh;
        }
        if (heads is int a && kvHeads is int b && a % b != 0)
            r.Problem("num_key_value_heads", b.ToString(), $"a divisor of num_attention_heads ({a})");

        var eps = r.Double("rms_norm_eps", required: false) ?? 1e-6;
        if (!(eps > 0)) r.Problem("rms_norm_eps", eps.ToString("R"), "a positive number");
        // Gemma ties lm_head to the embedding unless told otherwise (Gemma2Config / Gemma3TextConfig defaults).
        var tie = r.Bool("tie_word_embeddings") ?? isGemma;
        var actKey = isGemma && r.Has("hidden_activation") ? "hidden_activation" : "hidden_act";
        var act = r.String(actKey, required: false, fallback: isGemma ? "gelu_pytorch_tanh" : "silu");
        var expectedAct = isGemma ? "gelu_pytorch_tanh" : "silu";
        if (act != expectedAct)
            r.Problem(actKey, $"'{act}'", isGemma ? "'gelu_pytorch_tanh' (Gemma's GeGLU MLP)" : "'silu' (the SwiGLU MLP of this family)");
        var dtype = r.Has("torch_dtype") ? r.String("torch_dtype", false, "float32") : r.String("dtype", false, "float32");
        var attentionBias = r.Bool("attention_bias") ?? false;
        var mlpBias = r.Bool("mlp_bias") ?? false;
        var (rope, localRope) = ReadRopes(r, modelType);
        int? bos = r.Has("bos_token_id") && r.Root.GetProperty("bos_token_id").ValueKind == JsonValueKind.Number
            ? r.PositiveOrZeroInt("bos_token_id") : null;
        var eos = ReadEos(r);
        var (window, sliding) = layers is int nl ? ReadSlidingWindow(r, modelType, nl) : (null, EquatableList<bool>.Empty);
        var family = ReadFamilyFeatures(r, modelType);

        if (hidden is null || layers is null || heads is null || ffn is null || vocab is null || headDim is null || rope is null)
            return null;
        return new ModelSpec
        {
            Name = name,
            ModelType = modelType,
            HiddenSize = hidden.Value,
            NumLayers = layers.Value,
            NumAttentionHeads = heads.Value,
            NumKeyValueHeads = kvHeads ?? heads.Value,
            HeadDim = headDim.Value,
            IntermediateSize = ffn.Value,
            VocabSize = vocab.Value,
            MaxPositionEmbeddings = maxPos,
            TieWordEmbeddings = tie,
            RmsNormEps = eps,
            Rope = rope,
            LocalRope = localRope,
            // Qwen2 always has q/k/v biases and no o_proj bias (modeling_qwen2.py); attention_bias covers all four
            // elsewhere (Llama, Qwen3, Gemma); Mistral and Phi-3 have none (modeling_mistral.py, modeling_phi3.py).
            QkvBias = modelType == "qwen2" || (attentionBias && modelType is not ("mistral" or "phi3")),
            OutputBias = attentionBias && modelType is not ("qwen2" or "mistral" or "phi3"),
            MlpBias = mlpBias && modelType == "llama",
            TorchDtype = dtype,
            HiddenAct = act,
            BosTokenId = bos,
            EosTokenIds = eos,
            SlidingWindow = window,
            SlidingLayers = sliding,
            QkNorm = modelType is "qwen3" or "gemma3_text",
            NormUnitOffset = isGemma,
            SandwichNorms = isGemma,
            ScaleEmbeddings = isGemma,
            AttentionSoftcap = family.AttentionSoftcap,
            FinalLogitSoftcap = family.FinalLogitSoftcap,
            QueryPreAttnScalar = family.QueryPreAttnScalar,
            FusedProjections = modelType == "phi3",
        };
    }

    private readonly record struct FamilyFeatures(double? AttentionSoftcap, double? FinalLogitSoftcap, double? QueryPreAttnScalar);

    /// <summary>Gemma's soft-capping and query scale; Phi-3's partial rotary factor (only 1 is modelled).</summary>
    private static FamilyFeatures ReadFamilyFeatures(Reader r, string modelType)
    {
        double? Positive(string key)
        {
            var v = r.Double(key, required: false);
            if (v is double d && !(d > 0)) r.Problem(key, d.ToString("R"), "a positive number or null");
            return v is > 0 ? v : null;
        }
        if (modelType is "phi3" && r.Double("partial_rotary_factor", required: false) is double prf && prf != 1.0)
            r.Problem("partial_rotary_factor", prf.ToString("R"), "1.0 (partial rotary embeddings are not modelled)");
        if (modelType is not ("gemma2" or "gemma3_text")) return default;
        return new FamilyFeatures(Positive("attn_logit_softcapping"), Positive("final_logit_softcapping"), Positive("query_pre_attn_scalar"));
    }

    /// <summary>
    /// The sliding window and which layers use it. `layer_types` (transformers 5) decides when present; otherwise the
    /// family's rule: Mistral and Phi-3 slide on every layer when `sliding_window` is set; Qwen2/3 on layers from
    /// `max_window_layers` on when `use_sliding_window`; Gemma 2 on even layers; Gemma 3 on all but every
    /// `sliding_window_pattern`-th (6). Llama has none.
    /// </summary>
    private static (int? Window, EquatableList<bool> Layers) ReadSlidingWindow(Reader r, string modelType, int layers)
    {
        if (modelType == "llama") return (null, EquatableList<bool>.Empty);
        var window = r.PositiveInt("sliding_window", required: false);
        if (modelType is "qwen2" or "qwen3" && r.Bool("use_sliding_window") != true) window = null;
        if (window is null) return (null, EquatableList<bool>.Empty);
        if (r.Has("layer_types") && r.Root.GetProperty("layer_types").ValueKind != JsonValueKind.Null)
        {
            var lt = r.Root.GetProperty("layer_types");
            if (lt.ValueKind != JsonValueKind.Array || lt.GetArrayLength() != layers
                || lt.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String || e.GetString() is not ("sliding_attention" or "full_attention")))
            {
                r.Problem("layer_types", lt.GetRawText().Length > 60 ? lt.GetRawText()[..60] + "..." : lt.GetRawText(),
                    $"a list of {layers} entries, each \"sliding_attention\" or \"full_attention\"");
                return (null, EquatableList<bool>.Empty);
            }
            return (window, new EquatableList<bool>(lt.EnumerateArray().Select(e => e.GetString() == "sliding_attention")));
        }
        var pattern = modelType switch
        {
            "gemma3_text" => r.PositiveInt("sliding_window_pattern", required: false) ?? r.PositiveInt("_sliding_window_pattern", required: false) ?? 6,
            "gemma2" => 2,
            _ => 0,
        };
        var maxWindowLayers = modelType is "qwen2" or "qwen3" ? r.PositiveOrZeroInt("max_window_layers") ?? layers : 0;
        return (window, new EquatableList<bool>(Enumerable.Range(0, layers).Select(i => pattern > 0 ? (i + 1) % pattern != 0 : i >= maxWindowLayers)));
    }

    /// <summary>The global RoPE and, for Gemma 3, the local layers' RoPE (`rope_parameters.sliding_attention` or `rope_local_base_freq`).</summary>
    private static (RopeSpec? Global, RopeSpec? Local) ReadRopes(Reader r, string modelType)
    {
        if (r.Has("rope_parameters") && r.Root.GetProperty("rope_parameters") is { ValueKind: JsonValueKind.Object } rp
            && rp.TryGetProperty("full_attention", out var full))
        {
            // transformers 5 per-layer-type layout (Gemma 3): {"full_attention": {...}, "sliding_attention": {...}}.
            var global = ReadRopeObject(r, full, "rope_parameters.full_attention", null);
            var local = rp.TryGetProperty("sliding_attention", out var sl) ? ReadRopeObject(r, sl, "rope_parameters.sliding_attention", null) : global;
            return (global, local);
        }
        var rope = ReadRope(r);
        if (modelType != "gemma3_text") return (rope, null);
        var localTheta = r.Double("rope_local_base_freq", required: false) ?? 10000.0;
        if (!(localTheta > 0)) r.Problem("rope_local_base_freq", localTheta.ToString("R"), "a positive number");
        return (rope, new RopeSpec { Theta = localTheta });
    }

    private static RopeSpec? ReadRope(Reader r)
    {
        // Newer layout: everything under rope_parameters (theta included). Older: rope_theta + rope_scaling.
        JsonElement? scaling = null;
        string scalingKey;
        double? theta;
        if (r.Has("rope_parameters") && r.Root.GetProperty("rope_parameters").ValueKind != JsonValueKind.Null)
        {
            scalingKey = "rope_parameters";
            var p = r.Root.GetProperty("rope_parameters");
            if (p.ValueKind != JsonValueKind.Object)
            {
                r.Problem(scalingKey, p.ValueKind.ToString(), "an object");
                return null;
            }
            scaling = p;
            theta = r.Sub(p, scalingKey).Double("rope_theta", required: false) ?? r.Double("rope_theta", required: false);
        }
        else
        {
            scalingKey = "rope_scaling";
            theta = r.Double("rope_theta", required: false);
            if (r.Has("rope_scaling"))
            {
                var s = r.Root.GetProperty("rope_scaling");
                if (s.ValueKind == JsonValueKind.Object) scaling = s;
                else if (s.ValueKind != JsonValueKind.Null) r.Problem(scalingKey, s.ValueKind.ToString(), "an object or null");
            }
        }
        return ReadRopeObject(r, scaling, scalingKey, theta);
    }

    /// <summary>One RoPE description: theta (given, or the object's `rope_theta`) and the scaling type and its parameters.</summary>
    private static RopeSpec? ReadRopeObject(Reader r, JsonElement? scaling, string scalingKey, double? theta)
    {
        if (scaling is JsonElement obj && obj.ValueKind != JsonValueKind.Object)
        {
            r.Problem(scalingKey, obj.ValueKind.ToString(), "an object");
            return null;
        }
        if (theta is null && scaling is JsonElement withTheta) theta = r.Sub(withTheta, scalingKey).Double("rope_theta", required: false);
        theta ??= 10000.0;
        if (!(theta > 0)) r.Problem("rope_theta", theta.Value.ToString("R"), "a positive number");
        var rope = new RopeSpec { Theta = theta.Value };
        if (scaling is not JsonElement sc) return rope;

        var sr = r.Sub(sc, scalingKey);
        if (sr.Double("partial_rotary_factor", required: false) is double prf && prf != 1.0)
            sr.Problem("partial_rotary_factor", prf.ToString("R"), "1.0 (partial rotary embeddings are not modelled)");
        var type = sr.Has("rope_type") ? sr.String("rope_type", false, "default") : sr.String("type", false, "default");
        if (!RopeSpec.SupportedTypes.Contains(type))
        {
            r.Problem(scalingKey + ".rope_type", $"'{type}'", "one of " + string.Join(", ", RopeSpec.SupportedTypes.Select(s => "'" + s + "'")));
            return rope;
        }
        rope = rope with { Type = type };
        if (type == "default") return rope;
        var factor = sr.Double("factor", required: true) ?? 1.0;
        if (!(factor >= 1)) sr.Problem("factor", factor.ToString("R"), "a number >= 1");
        rope = rope with { Factor = factor };
        if (type == "llama3")
        {
            var low = sr.Double("low_freq_factor", required: true) ?? 1.0;
            var high = sr.Double("high_freq_factor", required: true) ?? 4.0;
            var orig = sr.PositiveInt("original_max_position_embeddings", required: true) ?? 8192;
            if (!(high > low)) sr.Problem("high_freq_factor", high.ToString("R"), $"a number above low_freq_factor ({low})");
            rope = rope with { LowFreqFactor = low, HighFreqFactor = high, OriginalMaxPositionEmbeddings = orig };
        }
        return rope;
    }

    private static EquatableList<int> ReadEos(Reader r)
    {
        if (!r.Has("eos_token_id")) return EquatableList<int>.Empty;
        var e = r.Root.GetProperty("eos_token_id");
        switch (e.ValueKind)
        {
            case JsonValueKind.Null:
                return EquatableList<int>.Empty;
            case JsonValueKind.Number when e.TryGetInt32(out var one):
                return new EquatableList<int>([one]);
            case JsonValueKind.Array when e.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out _)):
                return new EquatableList<int>(e.EnumerateArray().Select(x => x.GetInt32()));
            default:
                r.Problem("eos_token_id", e.GetRawText(), "an integer, a list of integers, or null");
                return EquatableList<int>.Empty;
        }
    }

    /// <summary>Typed access to one JSON object, collecting problems with the file and the key path.</summary>
    private sealed class Reader(JsonElement root, string source, string prefix = "", List<string>? problems = null)
    {
        public JsonElement Root { get; } = root;

        public List<string> Problems { get; } = problems ?? [];

        public Reader Sub(JsonElement obj, string key) => new(obj, source, prefix + key + ".", Problems);

        public bool Has(string key) => Root.TryGetProperty(key, out _);

        public void Problem(string key, string found, string expected)
            => Problems.Add($"{source}: key '{prefix}{key}': found {found}, expected {expected}");

        private bool TryGet(string key, bool required, out JsonElement value)
        {
            if (Root.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null) return true;
            if (required) Problems.Add($"{source}: key '{prefix}{key}' is missing");
            return false;
        }

        public int? PositiveInt(string key, bool required)
        {
            if (!TryGet(key, required, out var v)) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i > 0) return i;
            Problem(key, Show(v), "a positive integer");
            return null;
        }

        public int? PositiveOrZeroInt(string key)
        {
            if (!TryGet(key, false, out var v)) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= 0) return i;
            Problem(key, Show(v), "a non-negative integer");
            return null;
        }

        public double? Double(string key, bool required)
        {
            if (!TryGet(key, required, out var v)) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && double.IsFinite(d)) return d;
            Problem(key, Show(v), "a number");
            return null;
        }

        public bool? Bool(string key)
        {
            if (!TryGet(key, false, out var v)) return null;
            if (v.ValueKind is JsonValueKind.True or JsonValueKind.False) return v.GetBoolean();
            Problem(key, Show(v), "true or false");
            return null;
        }

        public string String(string key, bool required, string fallback)
        {
            if (!TryGet(key, required, out var v)) return fallback;
            if (v.ValueKind == JsonValueKind.String) return v.GetString()!;
            Problem(key, Show(v), "a string");
            return fallback;
        }

        private static string Show(JsonElement v)
        {
            var raw = v.GetRawText();
            return raw.Length > 40 ? raw[..40] + "..." : raw;
        }
    }
}
