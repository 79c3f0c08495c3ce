using System.Text;
using CimSim.Workloads.Tokenizers;

namespace CimSim.Training.Data;

/// <summary>
/// Byte-level tokenizer for small models, the same ids as the simulator's (CimSim.Simulator.Functional.ByteTokenizer):
/// each UTF-8 byte b is token b, no BOS. When the vocabulary has room (more than 256 ids), id 256 is EOS, which
/// ends each pretraining document; padding reuses id 0 (padded positions come last and are never scored, and
/// attention is causal, so they cannot affect a scored position).
/// </summary>
public sealed class ByteTokenizer : ITokenizer
{
    public ByteTokenizer(int modelVocabSize = 257) => EosId = modelVocabSize > 256 ? 256 : null;

    public string Name => "byte";

    public int VocabSize => EosId is null ? 256 : 257;

    public int? BosId => null;

    public int? EosId { get; }

    public int PadId => 0;

    public int[] Encode(string text) => ByteTokens.Encode(text);

    public static string Decode(IEnumerable<int> ids)
        => Encoding.UTF8.GetString(ids.Where(i => i is >= 0 and < 256).Select(i => (byte)i).ToArray());
}
