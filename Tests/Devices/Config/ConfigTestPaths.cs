namespace CimSim.Tests.Devices.Config;

/// <summary>Locates the repository's hw-configs/ and docs/ from the test output directory, and makes scratch dirs.</summary>
internal static class ConfigTestPaths
{
    public static string RepoRoot => FixturePaths.RepoRoot;

    public static string HwConfigs => Path.Combine(RepoRoot, "hw-configs");

    /// <summary>The shipped top-level hardware configs (hw-configs/*.yaml; presets and GPU specs live in subfolders).</summary>
    public static IEnumerable<string> ShippedConfigs() =>
        Directory.GetFiles(HwConfigs, "*.yaml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    /// <summary>A fresh empty directory for one test's files.</summary>
    public static string ScratchDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "cimsim-config-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
