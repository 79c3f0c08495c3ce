using System.Text;

namespace CimSim.Training.Data;

/// <summary>
/// Byte-level tokenizer for small models: each UTF-8 byte b is token <c>b + 3</c>; 0 is padding, 1 BOS, 2 EOS,
/// so the vocabulary is 259. It needs no vocabulary file, which is what a model pretrained from scratch here
/// wants.
/// </summary>
public sealed class ByteTokenizer : ITokenizer
{
    public const int Offset = 3;

    public const int Size = 256 + Offset;

    public string Name => "byte";

    public int VocabSize => Size;

    public int? BosId => 1;

    public int? EosId => 2;

    public int PadId => 0;

    public int[] Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) ids[i] = bytes[i] + Offset;
        return ids;
    }

    public static string Decode(IEnumerable<int> ids)
        => Encoding.UTF8.GetString(ids.Where(i => i >= Offset && i < Size).Select(i => (byte)(i - Offset)).ToArray());
}
