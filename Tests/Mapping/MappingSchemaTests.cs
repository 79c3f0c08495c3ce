using System.Text.Json;
using System.Text.Json.Nodes;
using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Workloads.Graph;
using CimSim.Workloads.Models;
using Json.Schema;

namespace CimSim.Tests.Mapping;

/// <summary>mapping.json against docs/mapping.schema.json, which is exported from the same records (issue 17).</summary>
public class MappingSchemaTests
{
    private static string SchemaPath => Path.Combine(FixturePaths.RepoRoot, "docs", "mapping.schema.json");

    private static string SmallMappingJson() => MappingJson.ToJson(Mapper.Map(new HardwareSpec(), ModelCatalog.Preset("qwen2.5-0.5b"),
        LoraSpec.FromFlags(4, "q,k,v,up,down"), new WorkloadSpec(1, 8, 3)));

    [Test]
    public void Schema_PublishedFile_EqualsExportFromRecords()
    {
        var exported = MappingJson.Schema();
        // Regenerate after changing the records: CIMSIM_UPDATE_SCHEMA=1 dotnet test --filter MappingSchemaTests
        if (Environment.GetEnvironmentVariable("CIMSIM_UPDATE_SCHEMA") == "1") File.WriteAllText(SchemaPath, exported);
        Assert.That(File.ReadAllText(SchemaPath), Is.EqualTo(exported),
            "docs/mapping.schema.json is stale: regenerate with CIMSIM_UPDATE_SCHEMA=1 dotnet test --filter MappingSchemaTests");
    }

    [Test]
    public void ToJson_SmallModel_ValidatesAgainstPublishedSchema()
    {
        using var doc = JsonDocument.Parse(SmallMappingJson());
        var result = JsonSchema.FromText(File.ReadAllText(SchemaPath)).Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.That(result.IsValid, Is.True, string.Join("; ", result.Details?.Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? []));
    }

    [Test]
    public void Schema_PlacementWithWrongType_Rejected()
    {
        var node = JsonNode.Parse(SmallMappingJson())!.AsObject();
        var key = node.First(kv => kv.Value is JsonArray { Count: > 0 } a && a[0] is JsonObject o && o.ContainsKey("units")).Key;
        node[key]![0]!["units"] = JsonNode.Parse("\"many\"");
        using var doc = JsonDocument.Parse(node.ToJsonString());
        Assert.That(JsonSchema.FromText(File.ReadAllText(SchemaPath)).Evaluate(doc.RootElement).IsValid, Is.False);
    }
}
