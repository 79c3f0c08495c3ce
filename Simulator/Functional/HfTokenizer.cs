using CimSim.Workloads.Tokenizers;

namespace CimSim.Simulator.Functional;

/// <summary>
/// A model's Hugging Face tokenizer.json (byte-level BPE, read by <see cref="TokenizerJson"/>); encodes as
/// transformers does, with the BOS token its post-processor prepends.
/// </summary>
public sealed class HfTokenizer : ITextTokenizer
{
    private readonly TokenizerJson _json;

    private HfTokenizer(TokenizerJson json) => _json = json;

    public string Describe => _json.Describe;

    public int[] Encode(string text)
    {
        var ids = _json.Tokenizer.EncodeToIds(text);
        return _json.PostProcessorBosId is { } b ? [b, .. ids] : [.. ids];
    }

    public static HfTokenizer Load(string path) => new(TokenizerJson.Load(path));
}
