using CimSim.Workloads.Tokenizers;

namespace CimSim.Training.Data;

/// <summary>
/// A model's Hugging Face tokenizer.json of the byte-level BPE kind (GPT-2, Qwen2, Llama 3), read by the shared
/// <see cref="TokenizerJson"/>. Other kinds (SentencePiece Unigram, WordPiece) are not supported:
/// <see cref="TryLoad"/> returns null and the trainer falls back to bytes.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    private readonly TokenizerJson _json;

    private HfTokenizer(TokenizerJson json, int? bos, int? eos)
    {
        _json = json;
        BosId = bos;
        EosId = eos;
        PadId = eos ?? 0;
    }

    public string Name => "tokenizer.json (byte-level BPE)";

    public int VocabSize => _json.VocabSize;

    public int? BosId { get; }

    public int? EosId { get; }

    public int PadId { get; }

    public int[] Encode(string text) => _json.Tokenizer.EncodeToIds(text).ToArray();

    /// <summary>The tokenizer of <paramref name="modelDir"/>, or null when it has none or one of an unsupported kind.</summary>
    public static HfTokenizer? TryLoad(string modelDir)
    {
        var path = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path) || TokenizerJson.TryLoad(path, out _) is not { } json) return null;
        int? Find(params string[] names)
        {
            foreach (var n in names)
                if (json.SpecialTokens.TryGetValue(n, out var id)) return id;
            return null;
        }
        return new HfTokenizer(json, Find("<|begin_of_text|>", "<s>"), Find("<|end_of_text|>", "<|endoftext|>", "</s>"));
    }
}
