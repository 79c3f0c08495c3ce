using System.Text.Json;
using System.Text.RegularExpressions;
using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Workloads.Models;

/// <summary>
/// A LoRA adapter's shape (Hu et al. 2021): for each targeted projection W0 [Out x In], a down-projection
/// A [Rank x In] and an up-projection B [Out x Rank]; y = x W0^T + Scaling * (x A^T) B^T. Built from CLI flags
/// or from a PEFT adapter_config.json.
/// </summary>
public sealed record LoraSpec
{
    public required int Rank { get; init; }

    /// <summary>`lora_alpha`.</summary>
    public required double Alpha { get; init; }

    public double Dropout { get; init; }

    /// <summary>Targeted projections, sorted in layer order, no duplicates.</summary>
    public required EquatableList<LinearModule> Targets { get; init; }

    /// <summary>rsLoRA scaling alpha / sqrt(r) instead of alpha / r (PEFT `use_rslora`).</summary>
    public bool UseRsLora { get; init; }

    /// <summary>Layers that carry the adapter (PEFT `layers_to_transform`); null means every layer.</summary>
    public EquatableList<int>? Layers { get; init; }

    /// <summary>The paper's LoRA (HaLoRA, REFERENCES.md section 1): r = 4 on q, k, v, up, down; alpha = 2r = 8 (not stated in the paper; the usual choice).</summary>
    public static LoraSpec Paper { get; } = FromFlags(4, "q,k,v,up,down");

    /// <summary>Multiplier of the LoRA branch: alpha / r (alpha / sqrt(r) with rsLoRA).</summary>
    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>
    /// True when <paramref name="m"/> carries a LoRA branch. Fused matrices resolve both ways: Phi-3's `qkv_proj` is
    /// targeted when it or any of q, k, v is named (so the paper's q,k,v,up,down adapts qkv_proj, gate_up_proj and
    /// down_proj there), and a separate q_proj is targeted when `qkv_proj` is named. The branch then spans the whole
    /// module the model has: A [r x In], B [Out x r] of the fused matrix, as PEFT builds it.
    /// </summary>
    public bool IsTarget(LinearModule m)
    {
        foreach (var t in Targets)
        {
            if (t == m || t.FusedParent() == m || m.FusedParent() == t) return true;
        }
        return false;
    }

    /// <summary>The projections of <paramref name="model"/> that carry a branch, in layer order.</summary>
    public IReadOnlyList<LinearModule> ResolvedTargets(ModelSpec model) => model.Projections.Where(IsTarget).ToList();

    public bool AppliesToLayer(int layer) => Layers is null || Layers.Contains(layer);

    public bool AppliesTo(int layer, LinearModule m) => IsTarget(m) && AppliesToLayer(layer);

    /// <summary>Layers of <paramref name="model"/> carrying the adapter.</summary>
    public int LayerCount(ModelSpec model) => Layers is null ? model.NumLayers : Layers.Count(l => l < model.NumLayers);

    /// <summary>A and B elements of one adapted projection: r x (In + Out).</summary>
    public long ParameterCount(ModelSpec model, LinearModule m)
    {
        var (i, o) = model.Shape(m);
        return (long)Rank * (i + o);
    }

    /// <summary>All LoRA parameters on <paramref name="model"/>: layers x sum over its targeted projections of r (In + Out).</summary>
    public long ParameterCount(ModelSpec model)
    {
        long perLayer = 0;
        foreach (var m in model.Projections)
            if (IsTarget(m)) perLayer += ParameterCount(model, m);
        return perLayer * LayerCount(model);
    }

    /// <summary>
    /// From flags: `--lora-rank`, `--lora-targets` (comma-separated, "q,k,v,up,down" or "q_proj,..."; "all" for
    /// the seven, which resolve to the fused matrices on Phi-3; "qkv" and "gate_up" name those directly), `--lora-alpha` (default 2r), `--lora-dropout`.
    /// </summary>
    public static LoraSpec FromFlags(int rank, string targets, double? alpha = null, double dropout = 0.0)
    {
        var problems = new List<string>();
        if (rank < 1) problems.Add($"--lora-rank: found {rank}, expected a positive integer");
        if (alpha is double a && !(a > 0 && double.IsFinite(a))) problems.Add($"--lora-alpha: found {a}, expected a positive number");
        if (!(dropout >= 0 && dropout < 1)) problems.Add($"--lora-dropout: found {dropout}, expected a number in [0, 1)");
        var list = new List<LinearModule>();
        var names = (targets ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 1 && names[0] is "all" or "all-linear") list.AddRange(LinearModules.All);
        else
        {
            foreach (var n in names)
            {
                if (LinearModules.TryParse(n, out var m)) list.Add(m);
                else problems.Add($"--lora-targets: found '{n}', expected q, k, v, o, gate, up, down, qkv, gate_up (or q_proj ... gate_up_proj, or all)");
            }
        }
        if (names.Length == 0) problems.Add("--lora-targets: empty; expected a comma-separated list such as q,k,v,up,down");
        if (problems.Count > 0) throw new UserInputException("invalid LoRA flags", problems);
        return new LoraSpec
        {
            Rank = rank,
            Alpha = alpha ?? 2.0 * rank,
            Dropout = dropout,
            Targets = Normalize(list),
        };
    }

    /// <summary>Reads a PEFT adapter_config.json (a file path, or a directory holding one).</summary>
    public static LoraSpec FromPeftConfig(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, "adapter_config.json");
        string text;
        try
        {
            text = InputFile.ReadAllText(path, "a PEFT adapter_config.json");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot read the PEFT adapter config ({ex.Message})", ex);
        }
        return ParsePeftConfig(text, path);
    }

    /// <summary>Parses adapter_config.json text; <paramref name="source"/> names the file in errors.</summary>
    public static LoraSpec ParsePeftConfig(string json, string source)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{source}: not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }
        var problems = new List<string>();
        void Bad(string key, JsonElement? v, string expected)
            => problems.Add(v is null ? $"{source}: key '{key}' is missing" : $"{source}: key '{key}': found {v.Value.GetRawText()}, expected {expected}");
        JsonElement? Get(string key) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        if (root.ValueKind != JsonValueKind.Object) throw new UserInputException($"{source}: expected a JSON object at the top level");
        if (Get("peft_type") is JsonElement pt && pt.ValueKind == JsonValueKind.String && pt.GetString() != "LORA")
            Bad("peft_type", pt, "\"LORA\"");
        if (Get("use_dora") is JsonElement dora && dora.ValueKind == JsonValueKind.True)
            Bad("use_dora", dora, "false (DoRA is not modelled)");
        foreach (var k in new[] { "rank_pattern", "alpha_pattern" })
        {
            if (Get(k) is JsonElement pat && pat.ValueKind == JsonValueKind.Object && pat.EnumerateObject().Any())
                Bad(k, pat, "{} (per-module ranks are not modelled)");
        }

        var rank = 0;
        if (Get("r") is JsonElement r && r.ValueKind == JsonValueKind.Number && r.TryGetInt32(out var ri) && ri > 0) rank = ri;
        else Bad("r", Get("r"), "a positive integer");
        double alpha = 0;
        if (Get("lora_alpha") is JsonElement a && a.ValueKind == JsonValueKind.Number && a.GetDouble() > 0) alpha = a.GetDouble();
        else Bad("lora_alpha", Get("lora_alpha"), "a positive number");
        double dropout = 0;
        if (Get("lora_dropout") is JsonElement d)
        {
            if (d.ValueKind == JsonValueKind.Number && d.GetDouble() >= 0 && d.GetDouble() < 1) dropout = d.GetDouble();
            else Bad("lora_dropout", d, "a number in [0, 1)");
        }
        var rs = Get("use_rslora") is JsonElement rsv && rsv.ValueKind == JsonValueKind.True;

        var targets = new List<LinearModule>();
        var tm = Get("target_modules");
        if (tm is JsonElement list && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in list.EnumerateArray())
            {
                // PEFT matches a list entry against the module name's last component(s); take the last one.
                var name = e.ValueKind == JsonValueKind.String ? e.GetString()!.Split('.')[^1] : "";
                if (LinearModules.TryParse(name, out var m) && name.EndsWith("_proj", StringComparison.Ordinal)) targets.Add(m);
                else Bad("target_modules", e, "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, qkv_proj or gate_up_proj");
            }
        }
        else if (tm is JsonElement s && s.ValueKind == JsonValueKind.String)
        {
            var pattern = s.GetString()!;
            if (pattern == "all-linear") targets.AddRange(LinearModules.All);
            else
            {
                // PEFT: a string is a regular expression full-matched against each module's full name.
                try
                {
                    var rx = new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                    targets.AddRange(LinearModules.Every.Where(m => rx.IsMatch(m.HfPath(0))));
                }
                catch (ArgumentException)
                {
                    Bad("target_modules", s, "a valid regular expression");
                }
                if (targets.Count == 0) Bad("target_modules", s, "a pattern matching at least one of q_proj ... down_proj, qkv_proj, gate_up_proj");
            }
        }
        else Bad("target_modules", tm, "a list of module names or a regular expression");

        EquatableList<int>? layers = null;
        if (Get("layers_to_transform") is JsonElement lt)
        {
            if (lt.ValueKind == JsonValueKind.Number && lt.TryGetInt32(out var one) && one >= 0) layers = new([one]);
            else if (lt.ValueKind == JsonValueKind.Array && lt.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out var y) && y >= 0))
                layers = new(lt.EnumerateArray().Select(x => x.GetInt32()).Distinct().Order());
            else Bad("layers_to_transform", lt, "a layer index, a list of layer indices, or null");
        }

        if (problems.Count > 0) throw new UserInputException($"{source}: {problems.Count} problem(s) in the PEFT adapter config", problems);
        return new LoraSpec { Rank = rank, Alpha = alpha, Dropout = dropout, Targets = Normalize(targets), UseRsLora = rs, Layers = layers };
    }

    private static EquatableList<LinearModule> Normalize(IEnumerable<LinearModule> targets) => new(targets.Distinct().Order());
}
