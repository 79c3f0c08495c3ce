using CimSim.Common.Errors;
using CimSim.Workloads.Models;

namespace CimSim.Training.Data;

/// <summary>Picks the tokenizer: the byte-level one, or the model's tokenizer.json (see <see cref="HfTokenizer"/>).</summary>
public static class TokenizerFactory
{
    public static ITokenizer Create(string name, string modelDir, ModelSpec spec)
    {
        ITokenizer tok = name.Trim().ToLowerInvariant() switch
        {
            "byte" => new ByteTokenizer(spec.VocabSize),
            "auto" => HfTokenizer.TryLoad(modelDir) ?? (ITokenizer)new ByteTokenizer(spec.VocabSize),
            _ => throw new UserInputException($"--tokenizer: found '{name}', expected byte or auto"),
        };
        if (tok.VocabSize > spec.VocabSize)
            throw new UserInputException($"{modelDir}/config.json: vocab_size {spec.VocabSize} is smaller than the {tok.Name} tokenizer's {tok.VocabSize} tokens");
        return tok;
    }
}
