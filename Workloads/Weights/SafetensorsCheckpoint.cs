using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Workloads.Weights;

/// <summary>
/// The weights of a Hugging Face model directory: one `model.safetensors`, or the shards listed by
/// `model.safetensors.index.json` (its `weight_map`). Tensors are found by name across shards; a missing
/// tensor is a UserInputException naming the tensor and the file(s) searched.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    private readonly List<SafetensorsFile> _files = [];
    private readonly Dictionary<string, SafetensorsFile> _byTensor = new(StringComparer.Ordinal);

    public string Directory { get; }

    public IReadOnlyList<SafetensorsFile> Files => _files;

    /// <summary>Every tensor name, sorted.</summary>
    public IEnumerable<string> Names => _byTensor.Keys.OrderBy(n => n, StringComparer.Ordinal);

    private SafetensorsCheckpoint(string directory) => Directory = directory;

    /// <summary>True when <paramref name="directory"/> holds safetensors weights.</summary>
    public static bool Exists(string directory)
        => File.Exists(System.IO.Path.Combine(directory, "model.safetensors"))
           || File.Exists(System.IO.Path.Combine(directory, "model.safetensors.index.json"));

    public static SafetensorsCheckpoint Open(string directory)
    {
        var single = System.IO.Path.Combine(directory, "model.safetensors");
        var index = System.IO.Path.Combine(directory, "model.safetensors.index.json");
        var ck = new SafetensorsCheckpoint(directory);
        try
        {
            if (File.Exists(single))
            {
                ck.Add(SafetensorsFile.Open(single));
            }
            else if (File.Exists(index))
            {
                var shards = ReadIndex(index);
                foreach (var shard in shards)
                    ck.Add(SafetensorsFile.Open(System.IO.Path.Combine(directory, shard)));
            }
            else
            {
                var any = System.IO.Directory.Exists(directory) ? System.IO.Directory.GetFiles(directory, "*.safetensors") : [];
                if (any.Length == 0)
                    throw new UserInputException($"{directory}: no model.safetensors or model.safetensors.index.json (only safetensors weights are read; convert .bin checkpoints with transformers' save_pretrained)");
                foreach (var f in any.OrderBy(f => f, StringComparer.Ordinal)) ck.Add(SafetensorsFile.Open(f));
            }
        }
        catch
        {
            ck.Dispose();
            throw;
        }
        return ck;
    }

    private static List<string> ReadIndex(string index)
    {
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllText(index, "a safetensors index JSON file"));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new UserInputException($"{index}: no \"weight_map\" object");
            return map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Distinct().OrderBy(s => s, StringComparer.Ordinal).ToList();
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{index}: not valid JSON: {ex.Message}");
        }
    }

    private void Add(SafetensorsFile f)
    {
        _files.Add(f);
        foreach (var n in f.Names) _byTensor.TryAdd(n, f);
    }

    public bool Contains(string name) => _byTensor.ContainsKey(name);

    private string Where => _files.Count == 1 ? _files[0].Path : $"{Directory} ({_files.Count} safetensors shards)";

    public SafetensorsFile FileOf(string name)
        => _byTensor.TryGetValue(name, out var f) ? f
            : throw new UserInputException($"{Where}: tensor '{name}' not found{SafetensorsFile.Suggest(name, Names)}");

    public TensorInfo Info(string name) => FileOf(name).Info(name);

    public float[] ReadFloat32(string name) => FileOf(name).ReadFloat32(name);

    public float[] ReadFloat32(string name, IReadOnlyList<long> expectedShape, string? expectedFrom = null)
        => FileOf(name).ReadFloat32(name, expectedShape, expectedFrom);

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
