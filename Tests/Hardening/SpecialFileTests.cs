using System.Diagnostics;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Devices.Config;
using CimSim.Simulator.Sweeps;
using CimSim.Workloads.Datasets;
using CimSim.Workloads.Models;
using CimSim.Workloads.NoiseProfiles;
using CimSim.Workloads.Weights;

namespace CimSim.Tests.Hardening;

/// <summary>
/// Issue 14: a FIFO named as an input blocked in open() until a writer appeared (a hang); a character device never
/// ended. Every reader goes through <see cref="InputFile"/>, which refuses non-regular files before opening them.
/// </summary>
[NonParallelizable]
public class SpecialFileTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static readonly (string Name, Action<string> Read, string Expected)[] Readers =
    [
        ("hardware config", p => HardwareConfigLoader.Load(p), "expected a YAML file"),
        ("include", p => HardwareConfigLoader.LoadText($"include: {Path.GetFileName(p)}\n", "i.yaml", baseDirectory: Path.GetDirectoryName(p)), "expected a YAML file"),
        ("safetensors", p => SafetensorsFile.Open(p).Dispose(), "expected a safetensors file"),
        ("dataset", p => DatasetReader.Load(p), "expected a JSON list or JSONL data file"),
        ("noise profile", p => NoiseProfileJson.Read(p), "expected a noise profile JSON file"),
        ("model config", p => ModelConfigParser.ParseFile(p), "expected a Hugging Face config.json"),
        ("peft config", p => LoraSpec.FromPeftConfig(p), "expected a PEFT adapter_config.json"),
        ("sweep jsonl", p => InputFile.ReadLines(p, "a sweep results.jsonl").ToList(), "expected a sweep results.jsonl"),
    ];

    private static IEnumerable<TestCaseData> ReaderCases() => Readers.Select(r => new TestCaseData(r.Name).SetName($"Read_Fifo_{r.Name.Replace(' ', '_')}_UserErrorWithoutBlocking"));

    [TestCaseSource(nameof(ReaderCases))]
    public void Read_Fifo_UserErrorWithoutBlocking(string reader)
    {
        var (_, read, expected) = Readers.Single(r => r.Name == reader);
        var fifo = MakeFifo(Path.Combine(_dir, "input"));
        var message = RunBounded(() => read(fifo), fifo);
        Assert.That(message, Does.Contain("input: is a FIFO (named pipe), not a regular file; " + expected));
    }

    [Test]
    public void Simulate_FifoAsHardwareConfig_Exit2NamingTheFile()
    {
        var fifo = MakeFifo(Path.Combine(_dir, "hw.yaml"));
        var (code, _, err) = RunBounded(() => InProcessCli.Run("simulate", "--hw", fifo, "--out", Path.Combine(_dir, "out")), fifo);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(2));
            Assert.That(err, Does.Contain("hw.yaml: is a FIFO (named pipe), not a regular file; expected a YAML file"));
        });
    }

    [Test]
    public void Load_CharacterDeviceAsDataset_UserErrorNamingTheKind()
    {
        Assume.That(File.Exists("/dev/zero") && !OperatingSystem.IsWindows(), "needs /dev/zero");
        var ex = Assert.Throws<UserInputException>(() => DatasetReader.Load("/dev/zero"));
        Assert.That(ex!.Message, Is.EqualTo("/dev/zero: is a character device, not a regular file; expected a JSON list or JSONL data file"));
    }

    [Test]
    public void SpecialKind_RegularFileAndSymlinkToIt_NotSpecial()
    {
        var file = Path.Combine(_dir, "a.yaml");
        File.WriteAllText(file, "x: 1\n");
        var link = Path.Combine(_dir, "link.yaml");
        File.CreateSymbolicLink(link, file);
        Assert.Multiple(() =>
        {
            Assert.That(InputFile.SpecialKind(file), Is.Null);
            Assert.That(InputFile.SpecialKind(link), Is.Null);
            Assert.That(InputFile.ReadAllText(link, "a YAML file"), Is.EqualTo("x: 1\n"));
        });
    }

    [Test]
    public void Load_JsonlLineOverTheBound_UserErrorNamingFileAndLine()
    {
        var path = Path.Combine(_dir, "long.jsonl");
        using (var w = new StreamWriter(path))
        {
            w.WriteLine("{\"text\": \"short\"}");
            w.Write("{\"text\": \"");
            w.Write(new string('a', InputFile.MaxJsonlLineChars));
            w.WriteLine("\"}");
        }
        var ex = Assert.Throws<UserInputException>(() => DatasetReader.Load(path));
        Assert.That(ex!.Message, Does.StartWith($"{path}:2: line longer than {InputFile.MaxJsonlLineChars:N0} characters"));
    }

    [Test]
    public void Load_JsonlLineAtTheBound_Accepted()
    {
        var path = Path.Combine(_dir, "edge.jsonl");
        var body = new string('a', InputFile.MaxJsonlLineChars - "{\"text\": \"\"}".Length);
        File.WriteAllText(path, "{\"text\": \"" + body + "\"}\r\n");
        var data = DatasetReader.Load(path);
        Assert.That(((TextItem)data.Items.Single()).Text, Has.Length.EqualTo(body.Length));
    }

    [TestCase("a\nbb\r\nccc", 3, new[] { "a", "bb", "ccc" })]
    [TestCase("a\n\nbb\n", 2, new[] { "a", "", "bb" })]
    [TestCase("abc\r\nde", 3, new[] { "abc", "de" })]
    public void ReadLines_LinesWithinTheBound_SplitAsFileReadLines(string text, int max, string[] expected) =>
        Assert.That(InputFile.ReadLines(new StringReader(text), "t", max).ToArray(), Is.EqualTo(expected));

    [Test]
    public void ReadLines_ThirdLineOverTheBound_ErrorNamesLineThree()
    {
        var ex = Assert.Throws<UserInputException>(() => InputFile.ReadLines(new StringReader("a\nbb\ncccc\n"), "t.jsonl", 3).ToList());
        Assert.That(ex!.Message, Does.StartWith("t.jsonl:3: line longer than 3 characters"));
    }

    [Test]
    public void Read_SweepResultsLineOverTheBound_UserError()
    {
        var path = Path.Combine(_dir, SweepOutput.JsonlFile);
        File.WriteAllText(path, new string(' ', InputFile.MaxJsonlLineChars + 1));
        var ex = Assert.Throws<UserInputException>(() => InputFile.ReadLines(path, "a sweep results.jsonl").ToList());
        Assert.That(ex!.Message, Does.StartWith($"{path}:1: line longer than"));
    }

    private static string MakeFifo(string path)
    {
        Assume.That(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "FIFOs by path exist on Unix only");
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true })!;
        p.WaitForExit();
        Assume.That(p.ExitCode, Is.EqualTo(0), "mkfifo failed: " + p.StandardError.ReadToEnd());
        return path;
    }

    /// <summary>
    /// Runs a read that must not block; if it is still blocked after a generous bound (a hang, not a speed goal), a writer
    /// is opened on the FIFO to release the blocked thread and the test fails.
    /// </summary>
    private static string RunBounded(Action read, string fifo) =>
        RunBounded(() =>
        {
            try
            {
                read();
                return "no error";
            }
            catch (UserInputException ex)
            {
                return ex.Message;
            }
        }, fifo);

    private static T RunBounded<T>(Func<T> read, string fifo)
    {
        var task = Task.Run(read);
        if (task.Wait(TimeSpan.FromSeconds(30))) return task.Result;
        using (new FileStream(fifo, FileMode.Open, FileAccess.Write)) { }
        task.Wait(TimeSpan.FromSeconds(5));
        Assert.Fail($"reading {fifo} blocked in open() for 30 s");
        return default!;
    }
}
