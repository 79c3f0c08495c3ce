using System.Text.Json;
using CimSim.Simulator.Functional;

namespace CimSim.Tests.Functional;

public class HfTokenizerTests
{
    /// <summary>GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 upwards.</summary>
    private static Dictionary<int, char> BytesToUnicode()
    {
        var keep = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range(0xA1, 0xAC - 0xA1 + 1)).Concat(Enumerable.Range(0xAE, 0xFF - 0xAE + 1)).ToHashSet();
        var map = new Dictionary<int, char>();
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = keep.Contains(b) ? (char)b : (char)(256 + n++);
        return map;
    }

    [Test]
    public void Encode_ByteLevelBpeTokenizerJson_AppliesMergesAndBos()
    {
        var dir = FixturePaths.NewScratch();
        try
        {
            var map = BytesToUnicode();
            var vocab = Enumerable.Range(0, 256).ToDictionary(b => map[b].ToString(), b => b);
            vocab["ab"] = 256;
            var json = new
            {
                added_tokens = new[] { new { id = 257, content = "<|begin_of_text|>", special = true } },
                pre_tokenizer = new { type = "ByteLevel", add_prefix_space = false, use_regex = true },
                post_processor = new { type = "TemplateProcessing", single = new object[] { new { SpecialToken = new { id = "<|begin_of_text|>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } } },
                model = new { type = "BPE", vocab, merges = new[] { "a b" } },
            };
            var path = Path.Combine(dir, "tokenizer.json");
            File.WriteAllText(path, JsonSerializer.Serialize(json));
            var tok = HfTokenizer.Load(path);
            var ids = tok.Encode("ab ab");
            Assert.That(ids, Is.EqualTo(new[] { 257, 256, map[' '] == 'Ġ' ? vocab["Ġ"] : -1, 256 }));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
