using System.Text.Json;
using CimSim.Common.Errors;

namespace CimSim.Workloads.Models;

/// <summary>
/// Reads a Hugging Face config.json (Llama and Qwen2 families) into a <see cref="ModelSpec"/>. Every problem
/// is collected and reported at once in a <see cref="UserInputException"/> that names the file and the key.
/// Both rope layouts are read: `rope_theta` + `rope_scaling` (transformers 4.x) and `rope_parameters`
/// (transformers 5), as is `torch_dtype` or its newer spelling `dtype`.
/// </summary>
public static class ModelConfigParser
{
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "qwen2"];

    /// <summary>Parses a config.json file; the model name defaults to its directory's name.</summary>
    public static ModelSpec ParseFile(string path, string? name = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
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
        if (modelType.Length > 0 && !SupportedModelTypes.Contains(modelType))
            r.Problem("model_type", $"'{modelType}'", "one of " + string.Join(", ", SupportedModelTypes.Select(s => "'" + s + "'")));
        var isQwen2 = modelType == "qwen2";

        var hidden = r.PositiveInt("hidden_size", required: true);
        var layers = r.PositiveInt("num_hidden_layers", required: true);
        var heads = r.PositiveInt("num_attention_heads", required: true);
        var kvHeads = r.PositiveInt("num_key_value_heads", required: false) ?? heads;
        var ffn = r.PositiveInt("intermediate_size", required: true);
        var vocab = r.PositiveInt("vocab_size", required: true);
        var maxPos = r.PositiveInt("max_position_embeddings", required: false) ?? (isQwen2 ? 32768 : 2048);
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
        var tie = r.Bool("tie_word_embeddings") ?? false;
        var act = r.String("hidden_act", required: false, fallback: "silu");
        if (act != "silu") r.Problem("hidden_act", $"'{act}'", "'silu' (the SwiGLU MLP of Llama and Qwen2)");
        var dtype = r.Has("torch_dtype") ? r.String("torch_dtype", false, "float32") : r.String("dtype", false, "float32");
        var attentionBias = r.Bool("attention_bias") ?? false;
        var mlpBias = r.Bool("mlp_bias") ?? false;
        var rope = ReadRope(r);
        int? bos = r.Has("bos_token_id") && r.Root.GetProperty("bos_token_id").ValueKind == JsonValueKind.Number
            ? r.PositiveOrZeroInt("bos_token_id") : null;
        var eos = ReadEos(r);

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
            // Qwen2 always has q/k/v biases and no o_proj bias (modeling_qwen2.py); Llama's attention_bias covers all four.
            QkvBias = isQwen2 || attentionBias,
            OutputBias = !isQwen2 && attentionBias,
            MlpBias = mlpBias,
            TorchDtype = dtype,
            HiddenAct = act,
            BosTokenId = bos,
            EosTokenIds = eos,
        };
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
        theta ??= 10000.0;
        if (!(theta > 0)) r.Problem("rope_theta", theta.Value.ToString("R"), "a positive number");
        var rope = new RopeSpec { Theta = theta.Value };
        if (scaling is not JsonElement sc) return rope;

        var sr = r.Sub(sc, scalingKey);
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
