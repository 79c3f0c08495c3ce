using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text;
using CimSim.Common.Text;

namespace CimSim.Devices.Config;

/// <summary>One declared config key: its dotted path, C# property, attribute and built-in default.</summary>
public sealed record ConfigKeyInfo(string Path, PropertyInfo Property, ConfigKeyAttribute Key, object? DefaultValue)
{
    /// <summary>YAML-facing type name: integer, number, boolean, string, one of (...), list of ..., section.</summary>
    public string TypeName => ConfigSchema.DescribeType(Property.PropertyType);

    /// <summary>The range/shape constraint in words ("" when none).</summary>
    public string Constraint => ConfigSchema.DescribeConstraint(Key, Property.PropertyType);

    /// <summary>True for a nested section rather than a value.</summary>
    public bool IsSection => ConfigSchema.IsSection(Property.PropertyType);
}

/// <summary>
/// Reflection over the spec records' <see cref="ConfigKeyAttribute"/>s: the single declaration of every key, used by
/// the binder, the validator, the dumper and the documentation test.
/// </summary>
public static class ConfigSchema
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<(PropertyInfo Property, ConfigKeyAttribute Key)>> Cache = new();

    /// <summary>The declared keys of a spec record type, in declaration order.</summary>
    public static IReadOnlyList<(PropertyInfo Property, ConfigKeyAttribute Key)> KeysOf(Type recordType) =>
        Cache.GetOrAdd(recordType, t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, p.GetCustomAttribute<ConfigKeyAttribute>()))
            .Where(x => x.Item2 is not null)
            .OrderBy(x => x.p.MetadataToken)
            .Select(x => (x.p, x.Item2!))
            .ToList());

    /// <summary>Every key of <see cref="HardwareSpec"/>, sections and values, depth first, with built-in defaults.</summary>
    public static IReadOnlyList<ConfigKeyInfo> AllKeys { get; } = Enumerate(typeof(HardwareSpec), new HardwareSpec(), "").ToList();

    private static IEnumerable<ConfigKeyInfo> Enumerate(Type t, object instance, string prefix)
    {
        foreach (var (p, k) in KeysOf(t))
        {
            var path = prefix.Length == 0 ? k.Name : prefix + "." + k.Name;
            var value = p.GetValue(instance);
            yield return new ConfigKeyInfo(path, p, k, value);
            if (IsSection(p.PropertyType))
                foreach (var child in Enumerate(p.PropertyType, value!, path)) yield return child;
        }
    }

    internal static bool IsSection(Type t) => t.IsClass && t != typeof(string) && KeysOf(t).Count > 0;

    internal static bool IsList(Type t, out Type element)
    {
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(EquatableArray<>))
        {
            element = t.GetGenericArguments()[0];
            return true;
        }
        element = typeof(void);
        return false;
    }

    /// <summary>YAML spelling of an enum member: PascalCase to kebab-case (SarNeurosim -> sar-neurosim).</summary>
    public static string EnumToYaml(Enum value) => ToKebab(value.ToString());

    internal static string ToKebab(string pascal)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The YAML values of an enum type, in declaration order.</summary>
    public static IReadOnlyList<string> EnumValues(Type enumType) => Enum.GetNames(enumType).Select(ToKebab).ToList();

    internal static string DescribeType(Type t)
    {
        if (t == typeof(int) || t == typeof(long)) return "integer";
        if (t == typeof(double)) return "number";
        if (t == typeof(bool)) return "boolean";
        if (t == typeof(string)) return "string";
        if (t.IsEnum) return "one of " + string.Join(" | ", EnumValues(t));
        if (t == typeof(PlacementRules)) return "ordered map of module-name glob: " + string.Join(" | ", EnumValues(typeof(ComputeTarget)));
        if (t == typeof(AdcBitsRules)) return "ordered map of module-name glob: ADC bits (1..16)";
        if (IsList(t, out var e)) return "list of " + DescribeType(e);
        return "section";
    }

    internal static string DescribeConstraint(ConfigKeyAttribute k, Type t)
    {
        var parts = new List<string>();
        var numeric = t == typeof(int) || t == typeof(long) || t == typeof(double) || (IsList(t, out var e) && e != typeof(string));
        if (numeric)
        {
            // Every number has both bounds (ConfigRanges): the declared ones, else its unit's ceiling.
            var (min, max) = (ConfigRanges.LowerBound(k), ConfigRanges.UpperBound(k));
            parts.Add(k.MinExclusive ? "> " + Num(min) + " and <= " + Num(max) : Num(min) + " .. " + Num(max));
        }
        if (k.PowerOfTwo) parts.Add("power of two");
        return string.Join(", ", parts);
    }

    internal static string Num(double x) => x.ToString(Math.Abs(x) >= 1e6 ? "0.###E+0" : "R", CultureInfo.InvariantCulture);

    /// <summary>The candidate nearest to <paramref name="found"/> by edit distance, or null when none is plausibly meant.</summary>
    public static string? Nearest(string found, IEnumerable<string> candidates) => NameSuggestion.Nearest(found, candidates, allowContains: false);
}
