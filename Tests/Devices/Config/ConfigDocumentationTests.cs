using System.Text.RegularExpressions;
using CimSim.Devices.Config;

namespace CimSim.Tests.Devices.Config;

public partial class ConfigDocumentationTests
{
    [Test]
    public void ConfigurationDoc_ListsEveryKeyUnderItsSection()
    {
        var doc = File.ReadAllText(Path.Combine(ConfigTestPaths.RepoRoot, "docs", "configuration.md"));
        var missing = new List<string>();
        foreach (var k in ConfigSchema.AllKeys.Where(k => !k.IsSection))
        {
            var dot = k.Path.LastIndexOf('.');
            var section = dot < 0 ? "(top level)" : k.Path[..dot];
            var start = doc.IndexOf($"### `{section}`", StringComparison.Ordinal);
            var end = start < 0 ? -1 : doc.IndexOf("\n### ", start + 4, StringComparison.Ordinal);
            var body = start < 0 ? "" : end < 0 ? doc[start..] : doc[start..end];
            if (!body.Contains($"| `{k.Key.Name}` |", StringComparison.Ordinal)) missing.Add(k.Path);
        }
        Assert.That(missing, Is.Empty, "keys missing from docs/configuration.md");
    }

    [GeneratedRegex(@"^\s*(?:-\s+)?[a-z0-9_]+:\s*(\[[-0-9.eE+, ]*\]|[-+]?[0-9][0-9_.eE+-]*)\s*(#.*)?$")]
    private static partial Regex NumericLine();

    private static IEnumerable<string> ConfigFiles() =>
        ConfigTestPaths.ShippedConfigs().Concat(Directory.GetFiles(Path.Combine(ConfigTestPaths.HwConfigs, "presets"), "*.yaml")
            .Select(f => "presets/" + Path.GetFileName(f)).Order(StringComparer.Ordinal));

    [TestCaseSource(nameof(ConfigFiles))]
    public void ShippedConfig_EveryNumberCarriesASourceComment(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(ConfigTestPaths.HwConfigs, file));
        var bare = lines.Select((l, i) => (Line: l, No: i + 1))
            .Where(x => NumericLine().Match(x.Line) is { Success: true } m && !m.Groups[2].Success)
            .Select(x => $"{file}:{x.No}: {x.Line.Trim()}").ToList();
        Assert.That(bare, Is.Empty, "numbers without a source comment");
    }
}
