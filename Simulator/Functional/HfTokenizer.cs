using System.Text.Json;
using System.Text.RegularExpressions;
using CimSim.Common.Errors;
using Microsoft.ML.Tokenizers;

namespace CimSim.Simulator.Functional;

/// <summary>
/// A Hugging Face tokenizer.json of the byte-level BPE kind (GPT-2, Llama 3, Qwen2) run through
/// Microsoft.ML.Tokenizers: model.vocab and model.merges, the Split regex of the pre-tokenizer, and the
/// added (special) tokens. Other tokenizer kinds are refused with a clear message.
/// </summary>
public sealed class HfTokenizer : ITextTokenizer
{
    private readonly Tokenizer _tokenizer;
    private readonly int? _bos;

    public string Describe { get; }

    private HfTokenizer(Tokenizer tokenizer, int? bos, string describe)
    {
        _tokenizer = tokenizer;
        _bos = bos;
        Describe = describe;
    }

    public int[] Encode(string text)
    {
        var ids = _tokenizer.EncodeToIds(text);
        return _bos is { } b ? [b, .. ids] : [.. ids];
    }

    public static HfTokenizer Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        if (!root.TryGetProperty("model", out var model) || !model.TryGetProperty("type", out var type) || type.GetString() != "BPE")
            throw new UserInputException($"{path}: only byte-level BPE tokenizer.json files are read (model.type \"BPE\"); found {(root.TryGetProperty("model", out var m2) && m2.TryGetProperty("type", out var t2) ? t2.GetRawText() : "none")}");
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
        if (!byteLevel) throw new UserInputException($"{path}: the pre-tokenizer is not byte-level; only byte-level BPE tokenizers are read");
        // GPT-2's pattern, used by ByteLevel(use_regex=true) when no Split regex is given.
        pattern ??= @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), special.Count > 0 ? special : null),
            SpecialTokens = special.Count > 0 ? special : null,
        };
        int? bos = null;
        // Llama 3 style post-processors prepend <|begin_of_text|>; honour a TemplateProcessing with a leading special token.
        if (root.TryGetProperty("post_processor", out var post) && post.ValueKind == JsonValueKind.Object)
            bos = LeadingSpecial(post, special);
        return new HfTokenizer(BpeTokenizer.Create(options), bos, $"Hugging Face tokenizer.json (byte-level BPE, {vocab.Count} ids{(bos is null ? "" : $", BOS {bos}")})");
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
