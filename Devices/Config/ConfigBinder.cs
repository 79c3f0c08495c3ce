using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using CimSim.Common.Text;
using YamlDotNet.RepresentationModel;

namespace CimSim.Devices.Config;

/// <summary>
/// Binds a composed YAML tree onto the spec records, starting from each record's built-in defaults. Collects every
/// problem (unknown key with the nearest valid key, wrong type, out of range) instead of stopping at the first.
/// </summary>
internal sealed partial class ConfigBinder(ConfigComposer composer)
{
    private const string CloneMethodName = "<Clone>$";

    /// <summary>Where each bound value path was written (for cross-field problems).</summary>
    public Dictionary<string, ConfigLocation> ValueLocations { get; } = new(StringComparer.Ordinal);

    private List<ConfigProblem> Problems => composer.Problems;

    public HardwareSpec Bind(YamlMappingNode root) => (HardwareSpec)BindSection(typeof(HardwareSpec), new HardwareSpec(), root, "");

    private object BindSection(Type type, object defaults, YamlMappingNode node, string path)
    {
        var clone = type.GetMethod(CloneMethodName)!.Invoke(defaults, null)!;
        var keys = ConfigSchema.KeysOf(type);
        foreach (var pair in node.Children)
        {
            var name = ConfigComposer.KeyText(pair.Key);
            var match = keys.FirstOrDefault(k => k.Key.Name == name);
            if (match.Property is null)
            {
                Problems.Add(new ConfigProblem(composer.LocationOf(pair.Key), Join(path, name), UnknownKeyMessage(name, keys.Select(k => k.Key.Name).ToList(), path)));
                continue;
            }
            var childPath = Join(path, name);
            ValueLocations[childPath] = composer.LocationOf(pair.Value);
            var prop = match.Property;
            if (ConfigSchema.IsSection(prop.PropertyType))
            {
                if (pair.Value is YamlMappingNode m)
                    prop.SetValue(clone, BindSection(prop.PropertyType, prop.GetValue(clone)!, m, childPath));
                else if (pair.Value is not YamlScalarNode { Value: null or "" or "~" or "null" })
                    Problems.Add(new ConfigProblem(composer.LocationOf(pair.Value), childPath, $"found {ConfigComposer.Describe(pair.Value)}; expected a section of keys ({string.Join(", ", ConfigSchema.KeysOf(prop.PropertyType).Select(k => k.Key.Name))})"));
                continue;
            }
            if (TryConvert(prop.PropertyType, match.Key, pair.Value, childPath, out var value)) prop.SetValue(clone, value);
        }
        return clone;
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static string UnknownKeyMessage(string name, IReadOnlyList<string> valid, string path)
    {
        var near = ConfigSchema.Nearest(name, valid);
        var where = path.Length == 0 ? "at the top level" : "in " + path;
        var msg = $"found unknown key {NameSuggestion.Excerpt(name)} {where}; ";
        if (near is not null) return msg + $"did you mean '{near}'?";
        var elsewhere = ConfigSchema.AllKeys.Where(k => k.Path.EndsWith("." + name, StringComparison.Ordinal) || k.Path == name).Select(k => k.Path).Take(3).ToList();
        return msg + $"expected one of: {string.Join(", ", valid)}" + (elsewhere.Count > 0 ? $" ('{name}' exists as {string.Join(", ", elsewhere)})" : "");
    }

    private bool TryConvert(Type t, ConfigKeyAttribute key, YamlNode node, string path, out object? value)
    {
        value = null;
        var loc = composer.LocationOf(node);
        if (t == typeof(PlacementRules)) return TryBindPlacement(node, path, out value);
        if (t == typeof(AdcBitsRules)) return TryBindAdcBits(node, path, out value);
        if (ConfigSchema.IsList(t, out var element))
        {
            if (node is not YamlSequenceNode seq)
            {
                Problems.Add(new ConfigProblem(loc, path, $"found {ConfigComposer.Describe(node)}; expected a list of {ConfigSchema.DescribeType(element)}s, e.g. [1, 2, 3]"));
                return false;
            }
            var ok = true;
            var items = new List<object>();
            for (var i = 0; i < seq.Children.Count; i++)
            {
                if (TryConvert(element, key, seq.Children[i], $"{path}[{i}]", out var item)) items.Add(item!);
                else ok = false;
            }
            if (!ok) return false;
            value = element == typeof(int)
                ? new EquatableArray<int>(items.Cast<int>())
                : new EquatableArray<double>(items.Cast<double>());
            return true;
        }
        if (node is not YamlScalarNode scalar)
        {
            Problems.Add(new ConfigProblem(loc, path, $"found {ConfigComposer.Describe(node)}; expected {Expected(t, key)}"));
            return false;
        }
        var text = scalar.Value?.Trim() ?? "";
        var quoted = scalar.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted;
        if (t == typeof(string))
        {
            value = scalar.Value ?? "";
            return true;
        }
        if (text.Length == 0 || (!quoted && text is "~" or "null"))
        {
            Problems.Add(new ConfigProblem(loc, path, $"found nothing; expected {Expected(t, key)}"));
            return false;
        }
        if (t == typeof(bool))
        {
            if (text.Equals("true", StringComparison.OrdinalIgnoreCase)) value = true;
            else if (text.Equals("false", StringComparison.OrdinalIgnoreCase)) value = false;
            else
            {
                Problems.Add(new ConfigProblem(loc, path, $"found {NameSuggestion.Excerpt(text)}; expected true or false"));
                return false;
            }
            return true;
        }
        if (t.IsEnum)
        {
            var names = ConfigSchema.EnumValues(t);
            var i = names.ToList().FindIndex(n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (i < 0)
            {
                var near = ConfigSchema.Nearest(text, names);
                Problems.Add(new ConfigProblem(loc, path, $"found {NameSuggestion.Excerpt(text)}; expected one of {string.Join(", ", names)}" + (near is not null ? $" (did you mean '{near}'?)" : "")));
                return false;
            }
            value = Enum.GetValues(t).GetValue(i);
            return true;
        }
        double number;
        if (t == typeof(int) || t == typeof(long))
        {
            if (!TryParseInteger(text, t == typeof(long), out var l) || (t == typeof(int) && (l < int.MinValue || l > int.MaxValue)))
            {
                Problems.Add(new ConfigProblem(loc, path, $"found {NameSuggestion.Excerpt(text)}; expected {Expected(t, key)}"));
                return false;
            }
            number = l;
            value = t == typeof(int) ? (object)(int)l : l;
        }
        else if (t == typeof(double))
        {
            if (!double.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out number) || !double.IsFinite(number))
            {
                Problems.Add(new ConfigProblem(loc, path, $"found {NameSuggestion.Excerpt(text)}; expected {Expected(t, key)}"));
                return false;
            }
            value = number;
        }
        else
        {
            throw new InvalidOperationException($"config key {path}: unsupported property type {t}");
        }
        var (min, max) = (ConfigRanges.LowerBound(key), ConfigRanges.UpperBound(key));
        var below = key.MinExclusive ? number <= min : number < min;
        var above = number > max;
        if (below || above)
        {
            Problems.Add(new ConfigProblem(loc, path, $"found {text}{UnitSuffix(key)}; expected {Expected(t, key)}"));
            return false;
        }
        if (key.PowerOfTwo && (number < 1 || !long.IsPow2((long)number)))
        {
            Problems.Add(new ConfigProblem(loc, path, $"found {text}; expected a power of two (1, 2, 4, 8, ...)"));
            return false;
        }
        return true;
    }

    /// <summary>
    /// `mapping.placement`: an ordered map `glob: target` (or a list of one-entry maps). Nested maps are flattened with
    /// dots, so `-p mapping.placement.model.layers.0.*=sram` (split at dots by the override parser) binds as the
    /// pattern "model.layers.0.*".
    /// </summary>
    private bool TryBindPlacement(YamlNode node, string path, out object? value)
    {
        value = null;
        var rules = new List<PlacementRule>();
        var ok = TryBindGlobMap(node, path, "rram | sram | digital', e.g. {model.layers.0.*: sram, lm_head: sram}", (pattern, at, target) =>
        {
            if (!TryConvert(typeof(ComputeTarget), new ConfigKeyAttribute("placement"), target, at, out var t)) return false;
            var existing = rules.FindIndex(r => r.Pattern == pattern);
            if (existing >= 0) rules[existing] = new PlacementRule(pattern, (ComputeTarget)t!);
            else rules.Add(new PlacementRule(pattern, (ComputeTarget)t!));
            return true;
        });
        if (!ok) return false;
        value = new PlacementRules(new EquatableArray<PlacementRule>(rules));
        return true;
    }

    /// <summary>`mapping.adc_bits`: an ordered map `glob: bits`, bound like `mapping.placement`; bits within rram.adc.bits' range.</summary>
    private bool TryBindAdcBits(YamlNode node, string path, out object? value)
    {
        value = null;
        var rules = new List<AdcBitsRule>();
        var bitsKey = ConfigSchema.AllKeys.Single(k => k.Path == "rram.adc.bits").Key;
        var ok = TryBindGlobMap(node, path, "ADC bits', e.g. {model.layers.*.mlp.down_proj: 6, lm_head: 10}", (pattern, at, target) =>
        {
            if (!TryConvert(typeof(int), bitsKey, target, at, out var b)) return false;
            var existing = rules.FindIndex(r => r.Pattern == pattern);
            if (existing >= 0) rules[existing] = new AdcBitsRule(pattern, (int)b!);
            else rules.Add(new AdcBitsRule(pattern, (int)b!));
            return true;
        });
        if (!ok) return false;
        value = new AdcBitsRules(new EquatableArray<AdcBitsRule>(rules));
        return true;
    }

    /// <summary>
    /// The entries of an ordered module-name glob map (a map, or a list of one-entry maps; nested maps flattened with
    /// dots), each pattern checked for form and for matching some Llama-family module, each value handed to
    /// <paramref name="add"/>; false after any problem (every problem is recorded).
    /// </summary>
    private bool TryBindGlobMap(YamlNode node, string path, string expectedValue, Func<string, string, YamlNode, bool> add)
    {
        var ok = true;
        void Add(string pattern, YamlNode key, YamlNode target)
        {
            var at = Join(path, pattern);
            if (target is YamlMappingNode nested)
            {
                foreach (var p in nested.Children) Add(pattern + "." + ConfigComposer.KeyText(p.Key), p.Key, p.Value);
                return;
            }
            if (!PlacementRules.IsWellFormed(pattern))
            {
                Problems.Add(new ConfigProblem(composer.LocationOf(key), at, $"found pattern '{pattern}'; expected a Hugging Face module name or glob of letters, digits, '_', '.', '*' and '?', e.g. model.layers.0.* or lm_head"));
                ok = false;
                return;
            }
            if (!PlacementRules.CanMatchAnyModule(pattern))
            {
                Problems.Add(new ConfigProblem(composer.LocationOf(key), at, $"found pattern '{pattern}', which matches no projection of any Llama-family model; expected names such as model.layers.N.self_attn.q_proj, model.layers.N.mlp.down_proj or lm_head"));
                ok = false;
                return;
            }
            if (!add(pattern, at, target)) ok = false;
        }
        switch (node)
        {
            case YamlMappingNode m:
                foreach (var p in m.Children) Add(ConfigComposer.KeyText(p.Key), p.Key, p.Value);
                break;
            case YamlSequenceNode seq:
                foreach (var item in seq.Children)
                {
                    if (item is YamlMappingNode { Children.Count: 1 } one) Add(ConfigComposer.KeyText(one.Children[0].Key), one.Children[0].Key, one.Children[0].Value);
                    else
                    {
                        Problems.Add(new ConfigProblem(composer.LocationOf(item), path, $"found {ConfigComposer.Describe(item)} in the list; expected one 'pattern: value' entry per item"));
                        ok = false;
                    }
                }
                break;
            case YamlScalarNode { Value: null or "" or "~" or "null" }:
                break;
            default:
                Problems.Add(new ConfigProblem(composer.LocationOf(node), path, $"found {ConfigComposer.Describe(node)}; expected an ordered map of 'module-name glob: {expectedValue}"));
                return false;
        }
        return ok;
    }

    private static string UnitSuffix(ConfigKeyAttribute key) => key.Unit.Length > 0 && key.Unit != "bit" ? " " + key.Unit : "";

    private static string Expected(Type t, ConfigKeyAttribute key)
    {
        var what = t == typeof(int) || t == typeof(long) ? "an integer" : t == typeof(double) ? "a number" : ConfigSchema.DescribeType(t);
        if (t == typeof(long) && key.Unit == "B") what += " (bytes; suffixes KiB, MiB, GiB, KB, MB, GB allowed)";
        var c = ConfigSchema.DescribeConstraint(key, t);
        return c.Length > 0 ? $"{what} {c}{UnitSuffix(key)}" : what;
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*(KiB|MiB|GiB|TiB|KB|MB|GB|TB|B)$")]
    private static partial Regex SizeRegex();

    private static bool TryParseInteger(string text, bool allowSize, out long value)
    {
        text = text.Replace("_", "", StringComparison.Ordinal);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return true;
        double d;
        if (allowSize && SizeRegex().Match(text) is { Success: true } m)
        {
            var mult = m.Groups[2].Value switch
            {
                "KiB" => 1024d,
                "MiB" => 1024d * 1024,
                "GiB" => 1024d * 1024 * 1024,
                "TiB" => 1024d * 1024 * 1024 * 1024,
                "KB" => 1e3,
                "MB" => 1e6,
                "GB" => 1e9,
                "TB" => 1e12,
                _ => 1d,
            };
            d = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * mult;
        }
        else if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
        {
            return false;
        }
        if (!double.IsFinite(d) || d != Math.Floor(d) || Math.Abs(d) > 9e18) return false;
        value = (long)d;
        return true;
    }
}
