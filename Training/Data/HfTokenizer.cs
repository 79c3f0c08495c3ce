using System.Text.Json;
using System.Text.RegularExpressions;
using CimSim.Common.Errors;
using Microsoft.ML.Tokenizers;

namespace CimSim.Training.Data;

/// <summary>
/// A Hugging Face tokenizer.json of the byte-level BPE kind (GPT-2, Qwen2, Llama 3: model.type "BPE" with a
/// ByteLevel pre-tokenizer or decoder), run by Microsoft.ML.Tokenizers' BpeTokenizer with the vocabulary and
/// merges read from the file and the Qwen2/Llama 3 split pattern. Other kinds (SentencePiece Unigram, WordPiece)
/// are not supported: <see cref="TryLoad"/> returns null and the trainer falls back to bytes.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    /// <summary>The pre-tokenisation regex of Qwen2 and Llama 3 (tokenizer.json "Split" pattern).</summary>
    public const string SplitPattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer bpe;

    private HfTokenizer(BpeTokenizer bpe, int vocabSize, int? bos, int? eos, int pad)
    {
        this.bpe = bpe;
        VocabSize = vocabSize;
        BosId = bos;
        EosId = eos;
        PadId = pad;
    }

    public string Name => "tokenizer.json (byte-level BPE)";

    public int VocabSize { get; }

    public int? BosId { get; }

    public int? EosId { get; }

    public int PadId { get; }

    public int[] Encode(string text) => bpe.EncodeToIds(text).ToArray();

    /// <summary>The tokenizer of <paramref name="modelDir"/>, or null when it has none or one of an unsupported kind.</summary>
    public static HfTokenizer? TryLoad(string modelDir)
    {
        var path = Path.Combine(modelDir, "tokenizer.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("model", out var model) || model.GetProperty("type").GetString() != "BPE") return null;
            var vocab = model.GetProperty("vocab").EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetInt32())).ToList();
            var merges = model.GetProperty("merges").EnumerateArray()
                .Select(m => m.ValueKind == JsonValueKind.Array ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!).ToList();
            var special = new Dictionary<string, int>(StringComparer.Ordinal);
            if (root.TryGetProperty("added_tokens", out var added))
            {
                foreach (var t in added.EnumerateArray()) special[t.GetProperty("content").GetString()!] = t.GetProperty("id").GetInt32();
            }
            var options = new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(new Regex(SplitPattern, RegexOptions.Compiled), special),
                SpecialTokens = special,
            };
            var bpe = BpeTokenizer.Create(options);
            int? Find(params string[] names)
            {
                foreach (var n in names)
                {
                    if (special.TryGetValue(n, out var id)) return id;
                }
                return null;
            }
            var bos = Find("<|begin_of_text|>", "<s>");
            var eos = Find("<|end_of_text|>", "<|endoftext|>", "</s>");
            var size = Math.Max(vocab.Count == 0 ? 0 : vocab.Max(v => v.Value) + 1, special.Count == 0 ? 0 : special.Values.Max() + 1);
            return new HfTokenizer(bpe, size, bos, eos, eos ?? 0);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new UserInputException($"{path}: cannot read it as a byte-level BPE tokenizer ({ex.Message}); pass --tokenizer byte to ignore it");
        }
    }
}
