using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CimSim.Common.IO;

/// <summary>
/// The one way an output file's JSON Schema (draft 2020-12) is made: exported from the source-generated records that
/// write the file, so schema and writer cannot drift (docs/report.schema.json, docs/mapping.schema.json).
/// </summary>
public static class JsonSchemaExport
{
    public static string Export(JsonTypeInfo typeInfo, string title, string description)
    {
        var options = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (ctx, node) =>
            {
                // A property left out when null (e.g. lm_head's module) is optional, whatever the constructor says.
                if (ctx.PropertyInfo is null && node is JsonObject obj && obj["required"] is JsonArray required)
                    foreach (var prop in ctx.TypeInfo.Properties)
                        if (prop.AttributeProvider?.GetCustomAttributes(typeof(JsonIgnoreAttribute), false).OfType<JsonIgnoreAttribute>()
                                .Any(a => a.Condition == JsonIgnoreCondition.WhenWritingNull) == true)
                            foreach (var r in required.Where(r => r?.GetValue<string>() == prop.Name).ToList()) required.Remove(r);
                if (ctx.Path.IsEmpty && node is JsonObject root)
                {
                    root.Insert(0, "$schema", "https://json-schema.org/draft/2020-12/schema");
                    root.Insert(1, "title", title);
                    root.Insert(2, "description", description);
                }
                return node;
            },
        };
        return typeInfo.GetJsonSchemaAsNode(options).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
