namespace CimSim.Tests;

/// <summary>Paths of the reference fixtures (Tests/Fixtures, copied beside the test assembly) and scratch folders.</summary>
internal static class FixturePaths
{
    public static string Root => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures");

    public static string Of(string relative) => Path.Combine(Root, relative);

    /// <summary>A fresh empty directory under the system temp folder (deleted by the caller's TearDown, if it likes).</summary>
    public static string NewScratch()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cimsim-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
