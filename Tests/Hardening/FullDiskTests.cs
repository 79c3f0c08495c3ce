using System.Diagnostics;
using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Tests.Hardening;

/// <summary>
/// Outputs on a full disk (issue 14): a 2 MiB tmpfs is mounted, filled, and the output helpers must refuse before work
/// or fail naming the path, leaving no partial file. Skipped with the reason where mount is not permitted.
/// (Kill -9 and resume of sweeps: Tests/Simulator/Sweeps/SweepCliTests.)
/// </summary>
[NonParallelizable]
public class FullDiskTests
{
    private string _mount = "";

    [SetUp]
    public void SetUp()
    {
        Assume.That(OperatingSystem.IsLinux(), "tmpfs mounts need Linux");
        _mount = FixturePaths.NewScratch();
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", _mount);
        if (code != 0)
        {
            Directory.Delete(_mount);
            Assume.That(false, $"cannot mount a tmpfs here (mount exit {code}: {output.Trim()}); needs root or CAP_SYS_ADMIN");
        }
    }

    [TearDown]
    public void TearDown()
    {
        if (_mount.Length == 0 || !Directory.Exists(_mount)) return;
        Run("umount", _mount);
        Directory.Delete(_mount, recursive: true);
    }

    private static (int, string) Run(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, err);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }

    private void Fill()
    {
        using var fs = new FileStream(Path.Combine(_mount, "filler"), FileMode.Create);
        var block = new byte[64 * 1024];
        try
        {
            while (true) fs.Write(block);
        }
        catch (IOException)
        {
            // ENOSPC: the disk is full
        }
    }

    [Test]
    public void Simulate_OutOnAFullDisk_Exit2BeforeSimulating()
    {
        Fill();
        var (code, _, err) = InProcessCli.Run("simulate", "--hw", InProcessCli.HwConfig(), "--model", "qwen2.5-0.5b", "--prompt", "8", "--generate", "2", "--out", Path.Combine(_mount, "out"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("bytes free").Or.Contain("cannot write"));
        Assert.That(Directory.Exists(Path.Combine(_mount, "out")), Is.False);
    }

    [Test]
    public void AtomicFileWrite_DiskFillsDuringTheWrite_UserErrorAndNoPartialFile()
    {
        var target = Path.Combine(_mount, "report.json");
        var ex = Assert.Throws<UserInputException>(() => AtomicFile.WriteAllBytes(target, new byte[4 << 20]));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Message, Does.Contain(target));
            Assert.That(Directory.GetFiles(_mount), Is.Empty, "neither the target nor its temporary file remains");
        });
    }
}
