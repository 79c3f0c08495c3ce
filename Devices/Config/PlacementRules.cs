using System.Text.RegularExpressions;

namespace CimSim.Devices.Config;

/// <summary>One `mapping.placement` entry: a glob over Hugging Face module names and the unit that runs the match.</summary>
public readonly record struct PlacementRule(string Pattern, ComputeTarget Target)
{
    /// <summary>
    /// True when the whole of <paramref name="moduleName"/> matches the glob: `*` matches any run of characters
    /// (dots included, so `model.layers.*.mlp.*` covers every MLP projection), `?` one character, anything else itself.
    /// </summary>
    public bool Matches(string moduleName) => PlacementRules.Glob(Pattern).IsMatch(moduleName);
}

/// <summary>
/// The ordered `mapping.placement` rules (docs/mapping.md): the first rule whose pattern matches a frozen matrix's
/// Hugging Face module name ("model.layers.3.self_attn.q_proj", "lm_head") decides its unit; matrices no rule matches
/// follow `mapping.w0` / `mapping.lm_head`. LoRA A/B follow `mapping.lora`.
/// </summary>
public sealed record PlacementRules(EquatableArray<PlacementRule> Rules)
{
    private static readonly Dictionary<string, Regex> Cache = new(StringComparer.Ordinal);

    public static PlacementRules None { get; } = new(EquatableArray<PlacementRule>.Empty);

    /// <summary>Characters a pattern may use: a Hugging Face module name's letters, digits, '_' and '.', plus the wildcards.</summary>
    public static bool IsWellFormed(string pattern) => pattern.Length > 0 && pattern.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '*' or '?');

    /// <summary>The target of the first rule matching <paramref name="moduleName"/>, or null (then the section default applies).</summary>
    public ComputeTarget? TargetOf(string moduleName)
    {
        foreach (var r in Rules)
            if (r.Matches(moduleName)) return r.Target;
        return null;
    }

    /// <summary>Anchored regex of a glob (cached: patterns are few and matched once per module).</summary>
    internal static Regex Glob(string pattern)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(pattern, out var re)) return re;
            var body = Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal);
            re = new Regex("^" + body + "$", RegexOptions.CultureInvariant);
            Cache[pattern] = re;
            return re;
        }
    }

    /// <summary>
    /// True when the pattern can match some module of a Llama-family model with up to 1,024 layers (catches typos
    /// such as "model.layer.0.*" at load time; whether it matches a module of the mapped model is checked by the mapper).
    /// </summary>
    public static bool CanMatchAnyModule(string pattern)
    {
        var re = Glob(pattern);
        if (re.IsMatch("lm_head")) return true;
        string[] names = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"];
        for (var l = 0; l < 1024; l++)
            foreach (var n in names)
                if (re.IsMatch($"model.layers.{l}.{n}")) return true;
        return false;
    }

    public override string ToString() => "{" + string.Join(", ", Rules.Select(r => $"{r.Pattern}: {ConfigSchema.EnumToYaml(r.Target)}")) + "}";
}

/// <summary>One `mapping.adc_bits` entry: a glob over Hugging Face module names and the ADC resolution of the arrays holding the match.</summary>
public readonly record struct AdcBitsRule(string Pattern, int Bits)
{
    public bool Matches(string moduleName) => PlacementRules.Glob(Pattern).IsMatch(moduleName);
}

/// <summary>
/// The ordered `mapping.adc_bits` rules (docs/configuration.md): the first rule whose pattern matches a frozen matrix's
/// Hugging Face module name gives the resolution of the column ADCs of the RRAM arrays holding it; matrices no rule
/// matches convert at `rram.adc.bits`. The cost side (energy, conversion time, area of the same ADC model at those
/// bits) and the functional side (quantisation at those bits) both read it through the MappingResult.
/// </summary>
public sealed record AdcBitsRules(EquatableArray<AdcBitsRule> Rules)
{
    public static AdcBitsRules None { get; } = new(EquatableArray<AdcBitsRule>.Empty);

    /// <summary>The bits of the first rule matching <paramref name="moduleName"/>, or null (then rram.adc.bits applies).</summary>
    public int? BitsOf(string moduleName)
    {
        foreach (var r in Rules)
            if (r.Matches(moduleName)) return r.Bits;
        return null;
    }

    public override string ToString() => "{" + string.Join(", ", Rules.Select(r => $"{r.Pattern}: {r.Bits}")) + "}";
}
