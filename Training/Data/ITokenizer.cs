namespace CimSim.Training.Data;

/// <summary>Text to token ids.</summary>
public interface ITokenizer
{
    string Name { get; }

    int VocabSize { get; }

    int? BosId { get; }

    int? EosId { get; }

    /// <summary>Id used to pad batches (never scored).</summary>
    int PadId { get; }

    /// <summary>Token ids of <paramref name="text"/>, without BOS/EOS.</summary>
    int[] Encode(string text);
}
