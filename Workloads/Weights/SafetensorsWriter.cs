using System.Runtime.InteropServices;
using System.Text.Json;
using CimSim.Common.IO;

namespace CimSim.Workloads.Weights;

/// <summary>
/// Builds a safetensors file from float32 tensors, stored as F32, F16 or BF16 (round to nearest even), and
/// writes it atomically. Tensors are laid out in name order so that the same tensors give the same bytes.
/// Python's `safetensors.safe_open` and Hugging Face loaders read the result.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly SortedDictionary<string, (TensorDType DType, long[] Shape, byte[] Bytes)> _tensors = new(StringComparer.Ordinal);

    /// <summary>`__metadata__` entries, e.g. {"format": "pt"} (PEFT and transformers write that).</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal) { ["format"] = "pt" };

    public int Count => _tensors.Count;

    /// <summary>Adds a tensor; <paramref name="data"/> holds product(shape) floats in row-major order.</summary>
    public SafetensorsWriter Add(string name, ReadOnlySpan<float> data, IReadOnlyList<long> shape, TensorDType dtype = TensorDType.F32)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved", nameof(name));
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension in shape", nameof(shape));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"tensor '{name}': shape {TensorInfo.FormatShape(shape)} holds {count} elements, data {data.Length}", nameof(data));
        if (!_tensors.TryAdd(name, (dtype, shape.ToArray(), Encode(data, dtype))))
            throw new ArgumentException($"tensor '{name}' added twice", nameof(name));
        return this;
    }

    /// <summary>Narrows float32 to the little-endian bytes of <paramref name="dtype"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<float> data, TensorDType dtype)
    {
        var bytes = new byte[data.Length * dtype.Size()];
        switch (dtype)
        {
            case TensorDType.F32:
                MemoryMarshal.AsBytes(data).CopyTo(bytes);
                break;
            case TensorDType.F16:
                var h = MemoryMarshal.Cast<byte, Half>(bytes.AsSpan());
                for (int i = 0; i < data.Length; i++) h[i] = (Half)data[i];
                break;
            case TensorDType.BF16:
                var b = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
                for (int i = 0; i < data.Length; i++) b[i] = ToBFloat16(data[i]);
                break;
        }
        return bytes;
    }

    /// <summary>float32 to bfloat16 with round-to-nearest-even (NaN stays a quiet NaN), as torch does.</summary>
    public static ushort ToBFloat16(float x)
    {
        var bits = BitConverter.SingleToUInt32Bits(x);
        if (float.IsNaN(x)) return (ushort)((bits >> 16) | 0x0040);
        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>The complete file image: 8-byte header length, JSON header padded to 8 bytes with spaces, data.</summary>
    public byte[] ToBytes()
    {
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (Metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in _tensors)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", t.DType.HeaderName());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Bytes.Length;
            }
            w.WriteEndObject();
        }
        var headerLength = (int)((header.Length + 7) / 8 * 8);
        long total = 8 + headerLength + _tensors.Values.Sum(t => (long)t.Bytes.Length);
        var result = new byte[total];
        BitConverter.TryWriteBytes(result.AsSpan(0, 8), (ulong)headerLength);
        header.GetBuffer().AsSpan(0, (int)header.Length).CopyTo(result.AsSpan(8));
        result.AsSpan(8 + (int)header.Length, headerLength - (int)header.Length).Fill((byte)' ');
        long pos = 8 + headerLength;
        foreach (var t in _tensors.Values)
        {
            t.Bytes.CopyTo(result, pos);
            pos += t.Bytes.Length;
        }
        return result;
    }

    /// <summary>Writes the file atomically (temp file, then rename).</summary>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, ToBytes());
}
