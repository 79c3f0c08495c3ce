using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using CimSim.Simulator.Benchmarks;
using CimSim.Tests.Hardening;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Cli;

/// <summary>
/// The cimsim package leaves out libHarfBuzzSharp.so and Google.Protobuf.dll (Simulator.csproj says why). Each is safe
/// only while no code of the tool reaches it: these tests read the tool's assemblies' metadata for the one call or type
/// that would load it, so the omission cannot break an installed tool silently.
/// </summary>
[NonParallelizable]
public class ToolPackageTests
{
    private static readonly string[] ToolAssemblies =
        [typeof(IBenchmark).Assembly.Location, typeof(ModelSpec).Assembly.Location, typeof(CimSim.Devices.Config.HardwareConfigLoader).Assembly.Location,
         typeof(CimSim.Mapping.Mapper).Assembly.Location, typeof(CimSim.Common.Errors.UserInputException).Assembly.Location];

    /// <summary>Every member and type referenced from another assembly, as "Namespace.Type::member" / "Namespace.Type".</summary>
    private static List<string> ExternalReferences(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var md = pe.GetMetadataReader();
        string TypeName(TypeReferenceHandle h) { var t = md.GetTypeReference(h); return $"{md.GetString(t.Namespace)}.{md.GetString(t.Name)}"; }
        var names = md.TypeReferences.Select(TypeName).ToList();
        foreach (var h in md.MemberReferences)
        {
            var m = md.GetMemberReference(h);
            if (m.Parent.Kind == HandleKind.TypeReference) names.Add($"{TypeName((TypeReferenceHandle)m.Parent)}::{md.GetString(m.Name)}");
        }
        return names;
    }

    [Test]
    public void ToolAssemblies_NeverEnableScottPlotRtlShaping_SoHarfBuzzNativeIsNotNeeded()
    {
        // ScottPlot 5 calls HarfBuzz (SKShaper) only from LabelStyle.DrawText when the static LabelStyle.RTLSupport is set.
        var refs = ToolAssemblies.SelectMany(ExternalReferences).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(refs, Has.Some.StartsWith("ScottPlot.Plot::"), "the scan sees the plotting calls the tool makes");
            Assert.That(refs.Where(n => n.EndsWith("::set_RTLSupport", StringComparison.Ordinal) || n.Contains("SkiaSharp.HarfBuzz", StringComparison.Ordinal)), Is.Empty);
        });
    }

    [Test]
    public void ToolAssemblies_UseNoSentencePieceTokenizer_SoProtobufIsNotNeeded()
    {
        // Microsoft.ML.Tokenizers loads Google.Protobuf only to read SentencePiece (and Llama's SentencePiece) models.
        var refs = ToolAssemblies.SelectMany(ExternalReferences).Where(n => n.StartsWith("Microsoft.ML.Tokenizers.", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(refs, Has.Some.StartsWith("Microsoft.ML.Tokenizers.BpeTokenizer"), "the scan sees the tokenizer types the tool uses");
            Assert.That(refs.Where(n => n.Contains("SentencePiece", StringComparison.Ordinal) || n.Contains("LlamaTokenizer", StringComparison.Ordinal)), Is.Empty);
            Assert.That(ToolAssemblies.SelectMany(ExternalReferences).Where(n => n.StartsWith("Google.Protobuf", StringComparison.Ordinal)), Is.Empty);
        });
    }

    [Test]
    public void Presets_Command_ListsEveryShippedConfigGpuAndModelByName()
    {
        // The reference is the files of hw-configs/ on disk: a config left out of the embedded set would be missing here.
        string[] Names(string dir) => Directory.GetFiles(Path.Combine(FixturePaths.RepoRoot, "hw-configs", dir), "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)!).ToArray();
        var expected = Names(".").Concat(Names("presets")).Concat(Names("gpus")).Concat(ModelCatalog.PresetNames).ToList();
        var (code, output, _) = InProcessCli.Run("presets");
        var listed = output.Split('\n').Where(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')[0]).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.Zero);
            Assert.That(listed, Is.EquivalentTo(expected));
        });
    }
}
