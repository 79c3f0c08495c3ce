using System.Globalization;
using System.Text;
using System.Text.Json;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CimSim.Devices.Config;

/// <summary>
/// Canonical dump of a <see cref="HardwareSpec"/>: every key, in declaration order, numbers in round-trip form, so
/// that a sweep can record the effective config and loading the dump gives an equal spec.
/// </summary>
public static class HardwareSpecWriter
{
    /// <summary>The spec as YAML text (every key written; loads back to an equal spec).</summary>
    public static string ToYaml(HardwareSpec spec)
    {
        var stream = new YamlStream(new YamlDocument(ToYamlNode(spec)));
        var sb = new StringBuilder();
        sb.Append("# Effective hardware config (canonical dump by CimSim; every key, built-in defaults included)\n");
        using (var w = new StringWriter(sb, CultureInfo.InvariantCulture)) stream.Save(w, assignAnchors: false);
        var text = sb.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.EndsWith("...\n", StringComparison.Ordinal)) text = text[..^4];
        return text;
    }

    /// <summary>The spec as indented JSON (same keys and values as <see cref="ToYaml"/>).</summary>
    public static string ToJson(HardwareSpec spec)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
            WriteJson(w, typeof(HardwareSpec), spec);
        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>The spec as a YAML node tree (what the loader merges overrides into).</summary>
    public static YamlMappingNode ToYamlNode(HardwareSpec spec) => Section(typeof(HardwareSpec), spec);

    private static YamlMappingNode Section(Type t, object value)
    {
        var m = new YamlMappingNode();
        foreach (var (p, k) in ConfigSchema.KeysOf(t))
        {
            var v = p.GetValue(value);
            m.Add(new YamlScalarNode(k.Name), ConfigSchema.IsSection(p.PropertyType) ? Section(p.PropertyType, v!) : Scalar(p.PropertyType, v));
        }
        return m;
    }

    private static YamlNode Scalar(Type t, object? v)
    {
        if (v is PlacementRules rules)
        {
            var map = new YamlMappingNode();
            foreach (var r in rules.Rules) map.Add(new YamlScalarNode(r.Pattern), new YamlScalarNode(Format(r.Target)));
            return map;
        }
        if (v is AdcBitsRules adcBits)
        {
            var map = new YamlMappingNode();
            foreach (var r in adcBits.Rules) map.Add(new YamlScalarNode(r.Pattern), new YamlScalarNode(Format(r.Bits)));
            return map;
        }
        if (ConfigSchema.IsList(t, out _))
        {
            var seq = new YamlSequenceNode { Style = YamlDotNet.Core.Events.SequenceStyle.Flow };
            foreach (var item in (System.Collections.IEnumerable)v!) seq.Add(new YamlScalarNode(Format(item)));
            return seq;
        }
        if (t == typeof(string)) return new YamlScalarNode((string?)v ?? "") { Style = ScalarStyle.DoubleQuoted };
        return new YamlScalarNode(Format(v!));
    }

    internal static string Format(object v) => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Enum e => ConfigSchema.EnumToYaml(e),
        _ => v.ToString() ?? "",
    };

    private static void WriteJson(Utf8JsonWriter w, Type t, object value)
    {
        w.WriteStartObject();
        foreach (var (p, k) in ConfigSchema.KeysOf(t))
        {
            var v = p.GetValue(value);
            w.WritePropertyName(k.Name);
            if (ConfigSchema.IsSection(p.PropertyType)) WriteJson(w, p.PropertyType, v!);
            else if (v is PlacementRules rules)
            {
                w.WriteStartObject();
                foreach (var r in rules.Rules) w.WriteString(r.Pattern, ConfigSchema.EnumToYaml(r.Target));
                w.WriteEndObject();
            }
            else if (v is AdcBitsRules adcBits)
            {
                w.WriteStartObject();
                foreach (var r in adcBits.Rules) w.WriteNumber(r.Pattern, r.Bits);
                w.WriteEndObject();
            }
            else if (ConfigSchema.IsList(p.PropertyType, out _))
            {
                w.WriteStartArray();
                foreach (var item in (System.Collections.IEnumerable)v!) WriteJsonValue(w, item);
                w.WriteEndArray();
            }
            else WriteJsonValue(w, v);
        }
        w.WriteEndObject();
    }

    private static void WriteJsonValue(Utf8JsonWriter w, object? v)
    {
        switch (v)
        {
            case double d: w.WriteNumberValue(d); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case bool b: w.WriteBooleanValue(b); break;
            case Enum e: w.WriteStringValue(ConfigSchema.EnumToYaml(e)); break;
            default: w.WriteStringValue(v?.ToString() ?? ""); break;
        }
    }
}
