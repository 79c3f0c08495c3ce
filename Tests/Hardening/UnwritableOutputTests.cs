using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Tests.Hardening;

/// <summary>Issue 14, defect 2: an unwritable output crashed simulate, sweep, infer and noise-profile with a stack trace.</summary>
[NonParallelizable]
public class UnwritableOutputTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string AFile()
    {
        var f = Path.Combine(_dir, "a-file");
        File.WriteAllText(f, "x");
        return f;
    }

    [Test]
    public void Simulate_OutIsAnExistingFile_Exit2NamingThePathBeforeSimulating()
    {
        var f = AFile();
        var (code, _, err) = InProcessCli.Run("simulate", "--hw", InProcessCli.HwConfig(), "--model", "qwen2.5-0.5b", "--prompt", "8", "--generate", "2", "--out", f);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(err, Does.Contain(f).And.Contain("exists as a file"));
            Assert.That(err, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(File.ReadAllText(f), Is.EqualTo("x"), "the file is untouched");
        });
    }

    [Test]
    public void Sweep_OutBelowAFile_Exit2NamingThePath()
    {
        var f = AFile();
        var grid = Path.Combine(_dir, "grid.yaml");
        File.WriteAllText(grid, "rram.adc.bits: [6]\n");
        var (code, _, err) = InProcessCli.Run("sweep", "--hw", InProcessCli.HwConfig(), "--grid", grid, "--out", Path.Combine(f, "sub"), "--model", "qwen2.5-0.5b", "--prompt", "8", "--generate", "2");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain(f).And.Contain("is a file"));
    }

    [Test]
    public void NoiseProfile_OutIsADirectory_Exit2NamingThePath()
    {
        var (code, _, err) = InProcessCli.Run("noise-profile", "--hw", InProcessCli.HwConfig(), "--model", "qwen2.5-0.5b", "--max-layers", "1", "--out", _dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("is a directory"));
    }

    [Test]
    public void AtomicFileWrite_TargetBelowAFile_UserInputExceptionAndNoTemporaryLeft()
    {
        var f = AFile();
        var ex = Assert.Throws<UserInputException>(() => AtomicFile.WriteAllText(Path.Combine(f, "report.json"), "{}"));
        Assert.That(ex!.Message, Does.Contain("report.json").And.Contain("cannot write"));
        Assert.That(Directory.GetFiles(_dir), Is.EquivalentTo(new[] { f }));
    }

    [Test]
    public void CheckDirectory_ReadOnlyDirectoryAsNonRoot_RefusedBeforeWork()
    {
        Assume.That(!OperatingSystem.IsWindows() && Environment.UserName != "root", "root writes into read-only directories (the probe cannot fail); Windows has no Unix modes");
        if (OperatingSystem.IsWindows()) return;
        var ro = Path.Combine(_dir, "ro");
        Directory.CreateDirectory(ro);
        File.SetUnixFileMode(ro, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var ex = Assert.Throws<UserInputException>(() => OutputLocation.CheckDirectory(Path.Combine(ro, "out"), "--out"));
            Assert.That(ex!.Message, Does.Contain("cannot write"));
        }
        finally
        {
            File.SetUnixFileMode(ro, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Test]
    public void CheckDirectory_NewPathUnderWritableFolder_AcceptedAndNothingCreated()
    {
        OutputLocation.CheckDirectory(Path.Combine(_dir, "a", "b"), "--out");
        Assert.That(Directory.GetFileSystemEntries(_dir), Is.Empty);
    }
}
