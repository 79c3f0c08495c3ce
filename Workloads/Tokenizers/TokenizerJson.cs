using System.Text.Json;
using System.Text.RegularExpressions;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using Microsoft.ML.Tokenizers;

namespace CimSim.Workloads.Tokenizers;

/// <summary>
/// A Hugging Face tokenizer.json of the byte-level BPE kind (GPT-2, Llama 3, Qwen2) read into
/// Microsoft.ML.Tokenizers: model.vocab and model.merges, the Split regex of the pre-tokenizer, the added
/// (special) tokens, and a BOS id when the post-processor prepends one. The one reader of that format: the
/// simulator's and the trainer's tokenizers wrap it.
/// </summary>
public sealed record TokenizerJson(
    BpeTokenizer Tokenizer,
    IReadOnlyDictionary<string, int> SpecialTokens,
    int? PostProcessorBosId,
    int VocabSize,
    string Describe)
{
    /// <summary>GPT-2's pattern, used by ByteLevel(use_regex=true) when the file gives no Split regex.</summary>
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Reads <paramref name="path"/>; a tokenizer of another kind is a user error naming what was found.</summary>
    public static TokenizerJson Load(string path) =>
        TryLoad(path, out var unsupported) ?? throw new UserInputException($"{path}: {unsupported}");

    /// <summary>
    /// Reads <paramref name="path"/>, or returns null with the reason when it is a tokenizer of another kind
    /// (SentencePiece Unigram, WordPiece, ...). A malformed file is a <see cref="UserInputException"/>.
    /// </summary>
    public static TokenizerJson? TryLoad(string path, out string? unsupportedReason)
    {
        unsupportedReason = null;
        try
        {
            using var doc = JsonDocument.Parse(InputFile.ReadAllText(path, "a Hugging Face tokenizer.json"));
            var root = doc.RootElement;
            if (!root.TryGetProperty("model", out var model) || !model.TryGetProperty("type", out var type) || type.GetString() != "BPE")
            {
                unsupportedReason = "only byte-level BPE tokenizer.json files are read (model.type \"BPE\"); found "
                    + (root.TryGetProperty("model", out var m2) && m2.TryGetProperty("type", out var t2) ? t2.GetRawText() : "none");
                return null;
            }
            var vocab = model.GetProperty("vocab").EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value.GetInt32())).ToList();
            var merges = model.GetProperty("merges").EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.Array ? string.Join(' ', e.EnumerateArray().Select(x => x.GetString())) : e.GetString()!).ToList();
            var special = new Dictionary<string, int>(StringComparer.Ordinal);
            if (root.TryGetProperty("added_tokens", out var added))
                foreach (var a in added.EnumerateArray())
                    special[a.GetProperty("content").GetString()!] = a.GetProperty("id").GetInt32();
            string? pattern = null;
            bool byteLevel = false;
            void Walk(JsonElement pt)
            {
                if (pt.ValueKind != JsonValueKind.Object) return;
                var kind = pt.TryGetProperty("type", out var k) ? k.GetString() : null;
                if (kind == "ByteLevel") byteLevel = true;
                if (kind == "Split" && pt.TryGetProperty("pattern", out var p) && p.TryGetProperty("Regex", out var rx)) pattern ??= rx.GetString();
                if (pt.TryGetProperty("pretokenizers", out var list))
                    foreach (var e in list.EnumerateArray()) Walk(e);
            }
            if (root.TryGetProperty("pre_tokenizer", out var pre)) Walk(pre);
            if (!byteLevel)
            {
                unsupportedReason = "the pre-tokenizer is not byte-level; only byte-level BPE tokenizers are read";
                return null;
            }
            var options = new BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                PreTokenizer = new RegexPreTokenizer(new Regex(pattern ?? Gpt2Pattern, RegexOptions.Compiled), special.Count > 0 ? special : null),
                SpecialTokens = special.Count > 0 ? special : null,
            };
            // Llama 3 style post-processors prepend <|begin_of_text|>: a TemplateProcessing with a leading special token.
            int? bos = root.TryGetProperty("post_processor", out var post) && post.ValueKind == JsonValueKind.Object ? LeadingSpecial(post, special) : null;
            int size = Math.Max(vocab.Count == 0 ? 0 : vocab.Max(v => v.Value) + 1, special.Count == 0 ? 0 : special.Values.Max() + 1);
            return new TokenizerJson(BpeTokenizer.Create(options), special, bos, size,
                $"Hugging Face tokenizer.json (byte-level BPE, {vocab.Count} ids{(bos is null ? "" : $", BOS {bos}")})");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new UserInputException($"{path}: cannot read it as a byte-level BPE tokenizer.json ({ex.Message})");
        }
    }

    private static int? LeadingSpecial(JsonElement post, Dictionary<string, int> special)
    {
        if (post.TryGetProperty("processors", out var list))
        {
            foreach (var p in list.EnumerateArray())
                if (LeadingSpecial(p, special) is { } found) return found;
            return null;
        }
        if (post.TryGetProperty("single", out var single) && single.ValueKind == JsonValueKind.Array && single.GetArrayLength() > 0
            && single[0].TryGetProperty("SpecialToken", out var st) && st.TryGetProperty("id", out var name)
            && special.TryGetValue(name.GetString()!, out var id))
            return id;
        return null;
    }
}
