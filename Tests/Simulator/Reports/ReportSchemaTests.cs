using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimSim.Devices.Config;
using CimSim.Simulator.Reports;
using CimSim.Workloads.Models;
using Json.Schema;

namespace CimSim.Tests.Simulator.Reports;

/// <summary>report.json against docs/report.schema.json (exported from the report records), and the per-layer / per-operator CSVs.</summary>
public class ReportSchemaTests
{
    private static readonly Lazy<SimulationReport> SmallReport = new(() => SimulationRunner.Run(new SimulationRequest
    {
        Hardware = new HardwareSpec(),
        ModelSpec = ModelCatalog.Preset("qwen2.5-0.5b"),
        Model = "qwen2.5-0.5b",
        PromptTokens = 8,
        GeneratedTokens = 3,
    }));

    private static string SchemaPath => Path.Combine(FixturePaths.RepoRoot, "docs", "report.schema.json");

    private static JsonSchema PublishedSchema() => JsonSchema.FromText(File.ReadAllText(SchemaPath));

    [Test]
    public void Schema_PublishedFile_EqualsExportFromRecords()
    {
        var exported = ReportJson.Schema();
        // Regenerate after changing the records: CIMSIM_UPDATE_SCHEMA=1 dotnet test --filter ReportSchemaTests
        if (Environment.GetEnvironmentVariable("CIMSIM_UPDATE_SCHEMA") == "1") File.WriteAllText(SchemaPath, exported);
        Assert.That(File.ReadAllText(SchemaPath), Is.EqualTo(exported),
            "docs/report.schema.json is stale: regenerate with CIMSIM_UPDATE_SCHEMA=1 dotnet test --filter ReportSchemaTests");
    }

    [Test]
    public void ToJson_SmallRun_ValidatesAgainstPublishedSchema()
    {
        using var doc = JsonDocument.Parse(ReportWriter.ToJson(SmallReport.Value));
        var result = PublishedSchema().Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.That(result.IsValid, Is.True, string.Join("; ", result.Details?.Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? []));
    }

    [TestCase("cim", "energy_j", "\"12 J\"")]
    [TestCase("inputs", "batch", "1.5")]
    [TestCase("ratios", "energy_vs_gpu", "{}")]
    public void Schema_ReportWithWrongType_Rejected(string section, string key, string badJson)
    {
        var node = JsonNode.Parse(ReportWriter.ToJson(SmallReport.Value))!;
        node[section]![key] = JsonNode.Parse(badJson);
        using var doc = JsonDocument.Parse(node.ToJsonString());
        Assert.That(PublishedSchema().Evaluate(doc.RootElement).IsValid, Is.False);
    }

    [Test]
    public void Schema_ReportMissingRequiredKey_Rejected()
    {
        var node = JsonNode.Parse(ReportWriter.ToJson(SmallReport.Value))!;
        node["cim"]!.AsObject().Remove("latency_s");
        using var doc = JsonDocument.Parse(node.ToJsonString());
        Assert.That(PublishedSchema().Evaluate(doc.RootElement).IsValid, Is.False);
    }

    private static (string[] Header, List<(string Key, double[] Values)> Rows) ParseCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(','))
            .Select(c => (c[0], c.Skip(1).Select(v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray())).ToList();
        return (header, rows);
    }

    [Test]
    public void WriteAll_LayerAndOperatorCsv_LoadWithPythonsCsvModuleIntoNumbers()
    {
        // Issue 13: "the CSVs load with Python's csv module into numbers" (python3 is a test prerequisite like Chromium).
        var dir = FixturePaths.NewScratch();
        try
        {
            ReportWriter.WriteAll(SmallReport.Value, dir);
            const string script = "import csv,sys\nn=0\nfor f in sys.argv[1:]:\n    rows=list(csv.reader(open(f,newline='')))\n    assert len(rows)>1, f\n"
                + "    for r in rows[1:]:\n        assert len(r)==len(rows[0]), (f, r)\n        [float(x) for x in r[1:]]\n        n+=1\nprint(n)\n";
            var psi = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-c", script, Path.Combine(dir, "layers.csv"), Path.Combine(dir, "operators.csv") }) psi.ArgumentList.Add(a);
            System.Diagnostics.Process? p;
            try
            {
                p = System.Diagnostics.Process.Start(psi);
            }
            catch (System.ComponentModel.Win32Exception)
            {
                Assert.Ignore("python3 not installed");
                return;
            }
            var stdout = p!.StandardOutput.ReadToEnd();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.That(p.ExitCode, Is.EqualTo(0), stderr);
            Assert.That(int.Parse(stdout.Trim(), CultureInfo.InvariantCulture), Is.GreaterThan(2), "rows parsed into floats");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void WriteAll_LayerAndOperatorCsv_ParseIntoNumbersThatSumToTotals()
    {
        var report = SmallReport.Value;
        var dir = FixturePaths.NewScratch();
        try
        {
            ReportWriter.WriteAll(report, dir);
            foreach (var (file, key) in new[] { ("layers.csv", "layer"), ("operators.csv", "operator") })
            {
                var (header, rows) = ParseCsv(Path.Combine(dir, file));
                Assert.That(header, Is.EqualTo(new[] { key, "energy_j", "busy_time_s", "area_mm2", "utilisation_fraction" }), file);
                Assert.That(rows.SelectMany(r => r.Values), Has.All.Matches<double>(v => double.IsFinite(v) && v >= 0), file);
                Assert.That(rows.Select(r => r.Values[3]), Has.All.LessThanOrEqualTo(1.0), file + " utilisation is a fraction");
                // Energy: the per-template pricing summed by row must equal the report's per-component total.
                Assert.That(rows.Sum(r => r.Values[0]), Is.EqualTo(report.Cim.EnergyJ).Within(1e-9).Percent, file);
                Assert.That(rows.Sum(r => r.Values[2]), Is.EqualTo(report.Cim.AreaMm2).Within(1e-9).Percent, file);
                Assert.That(rows.Select(r => r.Key), Is.Unique, file);
            }
            var layers = ParseCsv(Path.Combine(dir, "layers.csv")).Rows;
            var model = ModelCatalog.Preset("qwen2.5-0.5b");
            Assert.That(layers.Count, Is.EqualTo(model.NumLayers + 2), "decoder layers + embedding/lm_head + unattributed");
            // Every decoder layer has the same shapes, so the same weight area and, on an idle pipeline, positive busy time.
            var decoder = layers.Where(r => r.Key.StartsWith("layer_", StringComparison.Ordinal)).ToList();
            Assert.That(decoder.Select(r => r.Values[2]).Distinct().Count(), Is.EqualTo(1));
            Assert.That(decoder.Select(r => r.Values[1]), Has.All.GreaterThan(0));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
