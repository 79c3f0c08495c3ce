using System.Text;

namespace CimSim.Workloads.Tokenizers;

/// <summary>
/// Byte-level token ids for small models: each UTF-8 byte b is token b. The simulator's and the trainer's byte
/// tokenizers both encode through here, so an adapter trained on these ids is scored on the same ids.
/// </summary>
public static class ByteTokens
{
    public static int[] Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var ids = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) ids[i] = bytes[i];
        return ids;
    }
}
