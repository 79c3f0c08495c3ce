namespace CimSim.Tests;

/// <summary>Paths of the reference fixtures (Tests/Fixtures, copied beside the test assembly) and scratch folders.</summary>
internal static class FixturePaths
{
    public static string Root => Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures");

    public static string Of(string relative) => Path.Combine(Root, relative);

    /// <summary>The repository root (the folder holding CimSim.sln), found upwards from the test directory.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "CimSim.sln"))) return d.FullName;
            throw new DirectoryNotFoundException("CimSim.sln not found above " + TestContext.CurrentContext.TestDirectory);
        }
    }

    /// <summary>A fresh empty directory under the system temp folder (deleted by the caller's TearDown, if it likes).</summary>
    public static string NewScratch()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cimsim-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
