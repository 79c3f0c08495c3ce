using CimSim.Common.Errors;
using CimSim.Workloads.Models;
using CimSim.Workloads.Tokenizers;

namespace CimSim.Simulator.Functional;

/// <summary>Turns evaluation text into token ids for a model.</summary>
public interface ITextTokenizer
{
    string Describe { get; }

    int[] Encode(string text);
}

/// <summary>UTF-8 bytes as token ids 0..255: for small test models whose vocabulary is (at least) the 256 bytes.</summary>
public sealed class ByteTokenizer : ITextTokenizer
{
    public string Describe => "byte-level (UTF-8 bytes as ids 0..255)";

    public int[] Encode(string text) => ByteTokens.Encode(text);
}

public static class TextTokenizers
{
    /// <summary>
    /// The model directory's Hugging Face tokenizer.json when present (byte-level BPE, as Llama 3 and Qwen2 use),
    /// otherwise the byte tokenizer when the vocabulary holds 256 ids.
    /// </summary>
    public static ITextTokenizer ForModel(string? modelDirectory, ModelSpec spec)
    {
        var tj = modelDirectory is null ? null : Path.Combine(modelDirectory, "tokenizer.json");
        if (tj is not null && File.Exists(tj)) return HfTokenizer.Load(tj);
        if (spec.VocabSize >= 256) return new ByteTokenizer();
        throw new UserInputException($"model {spec.Name}: no tokenizer.json in {modelDirectory ?? "(preset)"} and the vocabulary ({spec.VocabSize}) is too small for byte-level tokens");
    }
}
