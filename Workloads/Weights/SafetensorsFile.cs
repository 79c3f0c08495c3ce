using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Workloads.Weights;

/// <summary>
/// A memory-mapped safetensors file (https://github.com/huggingface/safetensors: an 8-byte little-endian
/// header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, then the data section). The whole
/// header is validated at open (dtypes, shapes against byte ranges, ranges inside the file, no overlaps),
/// every problem reported at once naming the file and tensor; tensors are then read on demand and widened
/// from F16/BF16 to float32.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>Headers larger than this are rejected as corrupt (safetensors itself caps at 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly Dictionary<string, int> OtherDTypeSizes = new()
    {
        ["F64"] = 8,
        ["I64"] = 8,
        ["U64"] = 8,
        ["I32"] = 4,
        ["U32"] = 4,
        ["I16"] = 2,
        ["U16"] = 2,
        ["I8"] = 1,
        ["U8"] = 1,
        ["BOOL"] = 1,
        ["F8_E4M3"] = 1,
        ["F8_E5M2"] = 1,
    };

    private readonly Dictionary<string, TensorInfo> _tensors;
    private readonly Dictionary<string, string> _unsupported;
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private bool _disposed;

    public string Path { get; }

    /// <summary>The `__metadata__` entries (string to string), empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Readable tensors (F32/F16/BF16) by name.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Tensors => _tensors;

    /// <summary>Every tensor name in the header, including those of dtypes CimSim does not read.</summary>
    public IEnumerable<string> Names => _tensors.Keys.Concat(_unsupported.Keys).OrderBy(n => n, StringComparer.Ordinal);

    private SafetensorsFile(string path, Dictionary<string, TensorInfo> tensors, Dictionary<string, string> unsupported,
        Dictionary<string, string> metadata, long dataStart)
    {
        Path = path;
        _tensors = tensors;
        _unsupported = unsupported;
        Metadata = metadata;
        _dataStart = dataStart;
        var length = new FileInfo(path).Length;
        if (length > dataStart)
        {
            _map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + _view.PointerOffset;
        }
    }

    /// <summary>Opens and validates a safetensors file; a UserInputException lists every problem found.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: safetensors file not found");
        InputFile.RequireRegular(path, "a safetensors file");
        long fileLength = new FileInfo(path).Length;
        if (fileLength < 8)
            throw new UserInputException($"{path}: truncated safetensors file: {fileLength} bytes, expected at least the 8-byte header length");
        byte[] headerBytes;
        using (var fs = InputFile.OpenRead(path, "a safetensors file"))
        {
            Span<byte> lenBytes = stackalloc byte[8];
            fs.ReadExactly(lenBytes);
            var n = BitConverter.ToUInt64(lenBytes);
            if (n > MaxHeaderBytes)
                throw new UserInputException($"{path}: not a safetensors file: header length field reads {n} bytes (limit {MaxHeaderBytes})");
            if ((long)n > fileLength - 8)
                throw new UserInputException($"{path}: truncated safetensors file: the header claims {n} bytes but only {fileLength - 8} follow the length field");
            headerBytes = new byte[n];
            fs.ReadExactly(headerBytes);
        }
        long dataStart = 8 + headerBytes.Length;
        long dataLength = fileLength - dataStart;
        JsonDocument doc;
        try
        {
            // JsonDocument checks UTF-8 only when a string is read (GetString threw InvalidOperationException on
            // invalid bytes; found by fuzz/run.sh safetensors): check the whole header first.
            _ = StrictUtf8.GetCharCount(headerBytes);
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw new UserInputException($"{path}: safetensors header is not valid UTF-8 ({ex.Message})");
        }
        try
        {
            doc = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{path}: safetensors header is not valid JSON: {ex.Message}");
        }
        var problems = new List<string>();
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        var unsupported = new Dictionary<string, string>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var ranges = new List<(long Begin, long End, string Name)>();
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new UserInputException($"{path}: safetensors header is a JSON {doc.RootElement.ValueKind}, expected an object");
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind == JsonValueKind.Object)
                        foreach (var m in prop.Value.EnumerateObject())
                            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                var t = ParseEntry(path, prop, dataLength, problems, out var dtypeName);
                if (t is null) continue;
                ranges.Add((t.Begin, t.End, t.Name));
                if (TensorDTypes.TryParse(dtypeName, out _)) tensors[t.Name] = t;
                else unsupported[t.Name] = dtypeName;
            }
        }
        ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < ranges.Count; i++)
            if (ranges[i].Begin < ranges[i - 1].End)
                problems.Add($"tensor '{ranges[i].Name}' bytes [{ranges[i].Begin}, {ranges[i].End}) overlap tensor '{ranges[i - 1].Name}' bytes [{ranges[i - 1].Begin}, {ranges[i - 1].End})");
        if (problems.Count > 0)
            throw new UserInputException($"{path}: invalid safetensors file ({problems.Count} problem(s))", problems);
        return new SafetensorsFile(path, tensors, unsupported, metadata, dataStart);
    }

    private static TensorInfo? ParseEntry(string path, JsonProperty prop, long dataLength, List<string> problems, out string dtypeName)
    {
        dtypeName = "";
        var name = prop.Name;
        var e = prop.Value;
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
        {
            problems.Add($"tensor '{name}': header entry {Truncate(e.GetRawText())} lacks dtype (string), shape (array) or data_offsets ([begin, end])");
            return null;
        }
        dtypeName = dt.GetString()!;
        int size;
        if (TensorDTypes.TryParse(dtypeName, out var known)) size = known.Size();
        else if (!OtherDTypeSizes.TryGetValue(dtypeName, out size))
        {
            problems.Add($"tensor '{name}': unknown dtype '{dtypeName}'");
            return null;
        }
        var shape = new List<long>();
        long count = 1;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var v) || v < 0)
            {
                problems.Add($"tensor '{name}': shape {sh.GetRawText()} holds {d.GetRawText()}, expected non-negative integers");
                return null;
            }
            shape.Add(v);
            count *= v;
        }
        if (!off[0].TryGetInt64(out var begin) || !off[1].TryGetInt64(out var end) || begin < 0 || end < begin)
        {
            problems.Add($"tensor '{name}': data_offsets {off.GetRawText()} are not [begin, end] with 0 <= begin <= end");
            return null;
        }
        if (end - begin != count * size)
        {
            problems.Add($"tensor '{name}': shape {TensorInfo.FormatShape(shape)} of {dtypeName} needs {count * size} bytes but data_offsets [{begin}, {end}) span {end - begin}");
            return null;
        }
        if (end > dataLength)
        {
            problems.Add($"tensor '{name}': truncated file: needs bytes [{begin}, {end}) of the data section but only {dataLength} bytes follow the header");
            return null;
        }
        return new TensorInfo(name, TensorDTypes.TryParse(dtypeName, out var t) ? t : TensorDType.F32, shape, begin, end);
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..77] + "...";

    public bool Contains(string name) => _tensors.ContainsKey(name) || _unsupported.ContainsKey(name);

    /// <summary>The header entry of a tensor; a UserInputException names the tensor and this file when absent.</summary>
    public TensorInfo Info(string name)
    {
        if (_tensors.TryGetValue(name, out var t)) return t;
        if (_unsupported.TryGetValue(name, out var dt))
            throw new UserInputException($"{Path}: tensor '{name}' has dtype {dt}; CimSim reads F32, F16 and BF16");
        throw new UserInputException($"{Path}: tensor '{name}' not found{Suggest(name, Names)}");
    }

    internal static string Suggest(string name, IEnumerable<string> names)
    {
        var all = names.ToList();
        if (all.Count == 0) return " (the file holds no tensors)";
        var lastDot = name.LastIndexOf('.');
        var tail = lastDot >= 0 ? name[(lastDot + 1)..] : name;
        var near = all.Where(n => n.EndsWith(name, StringComparison.Ordinal) || name.EndsWith(n, StringComparison.Ordinal)).Take(3).ToList();
        if (near.Count == 0) near = all.Where(n => n.EndsWith("." + tail, StringComparison.Ordinal)).Take(3).ToList();
        return near.Count > 0
            ? $" ({all.Count} tensors; similar: {string.Join(", ", near)})"
            : $" ({all.Count} tensors, e.g. {string.Join(", ", all.Take(3))})";
    }

    /// <summary>Raw little-endian bytes of a tensor, straight from the mapping (valid until Dispose).</summary>
    public ReadOnlySpan<byte> RawBytes(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var t = Info(name);
        if (t.ByteLength == 0) return [];
        return new ReadOnlySpan<byte>(_base + _dataStart + t.Begin, checked((int)t.ByteLength));
    }

    /// <summary>
    /// Drops the pages of tensor <paramref name="name"/> from this process's resident set (madvise MADV_DONTNEED on
    /// the read-only mapping; Linux only, elsewhere nothing): mapped pages that were read count in RSS until then.
    /// A later read faults them in again from the page cache with the same contents.
    /// </summary>
    public void ReleasePages(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var t = Info(name);
        if (t.ByteLength == 0) return;
        Release((nint)(_base + _dataStart + t.Begin), t.ByteLength);
    }

    private const int MadvDontNeed = 4;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);

    /// <summary>A tensor widened to float32, as a new array.</summary>
    public float[] ReadFloat32(string name)
    {
        var t = Info(name);
        var result = new float[t.ElementCount];
        ReadFloat32(name, result);
        return result;
    }

    /// <summary>
    /// A tensor widened to float32, after checking its shape. A mismatch names the tensor, the file, the
    /// shape found and the shape expected (e.g. from config.json).
    /// </summary>
    public float[] ReadFloat32(string name, IReadOnlyList<long> expectedShape, string? expectedFrom = null)
    {
        var t = Info(name);
        if (!t.Shape.SequenceEqual(expectedShape))
            throw new UserInputException($"{Path}: tensor '{name}' has shape {t.ShapeText} but {expectedFrom ?? "the model"} expects {TensorInfo.FormatShape(expectedShape)}");
        return ReadFloat32(name);
    }

    /// <summary>Widens a tensor into <paramref name="destination"/> (exactly its element count).</summary>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var t = Info(name);
        if (destination.Length != t.ElementCount)
            throw new ArgumentException($"tensor '{name}' holds {t.ElementCount} elements, destination {destination.Length}", nameof(destination));
        DecodeReleasing(name, t, destination);
        // NaN/Inf weights gave finite-looking device logits and bare NaN in JSON (issue 14, defect 1): refuse them at the reader.
        var bad = NonFiniteResultException.IndexOfNonFinite(destination);
        if (bad >= 0)
            throw new UserInputException($"{Path}: tensor '{name}' holds {destination[bad]} at element {bad}; expected finite weights");
    }

    /// <summary>
    /// Widens elements [<paramref name="first"/>, first + destination.Length) of a tensor (rows of a matrix read where
    /// they are stored: exact, the same values as those elements of <see cref="ReadFloat32(string, Span{float})"/>);
    /// a non-finite value is refused as the whole-tensor read refuses it, naming its element. Read with positional
    /// reads of the file, not through the mapping: the resident set does not grow. (A fault on the mapping maps the
    /// pages around it too, a whole large folio of the page cache on recent kernels: 1024 scattered 8 KB embedding rows
    /// of an 8B model added 0.93 GB to the resident set, measured.)
    /// </summary>
    public void ReadFloat32Range(string name, long first, Span<float> destination)
    {
        var t = Info(name);
        if (first < 0 || first + destination.Length > t.ElementCount)
            throw new ArgumentOutOfRangeException(nameof(first), $"elements [{first}, {first + destination.Length}) of tensor '{name}' ({t.ElementCount} elements)");
        if (destination.IsEmpty) return;
        ObjectDisposedException.ThrowIf(_disposed, this);
        int bytesPerElement = (int)(t.ByteLength / t.ElementCount);
        var handle = Handle();
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(ReadChunkBytes);
        try
        {
            int perChunk = ReadChunkBytes / bytesPerElement;
            for (int done = 0; done < destination.Length;)
            {
                int n = Math.Min(perChunk, destination.Length - done);
                var raw = bytes.AsSpan(0, n * bytesPerElement);
                long offset = _dataStart + t.Begin + (first + done) * bytesPerElement;
                for (int got = 0; got < raw.Length;)
                {
                    int r = RandomAccess.Read(handle, raw[got..], offset + got);
                    if (r <= 0) throw new UserInputException($"{Path}: tensor '{name}': the file ended while reading element {first + done} (was it truncated after opening?)");
                    got += r;
                }
                Decode(raw, t.DType, destination.Slice(done, n));
                done += n;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
        var bad = NonFiniteResultException.IndexOfNonFinite(destination);
        if (bad >= 0)
            throw new UserInputException($"{Path}: tensor '{name}' holds {destination[bad]} at element {first + bad}; expected finite weights");
    }

    private const int ReadChunkBytes = 1 << 18;

    private Microsoft.Win32.SafeHandles.SafeFileHandle? _handle;

    /// <summary>The file opened for positional reads, once (reads from several threads share it: pread keeps no position).</summary>
    private Microsoft.Win32.SafeHandles.SafeFileHandle Handle()
    {
        if (_handle is { } h) return h;
        var opened = File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (Interlocked.CompareExchange(ref _handle, opened, null) is { } other)
        {
            opened.Dispose();
            return other;
        }
        return opened;
    }

    /// <summary>
    /// Decodes the tensor in blocks of <see cref="DecodeBlockElements"/> elements on all cores, dropping each block's
    /// mapped pages once it is decoded, so a large tensor (an 8B model's lm_head: 1 GB of BF16) does not sit in the
    /// resident set whole beside its float32 copy. Same values as one <see cref="Decode"/> of the whole tensor.
    /// </summary>
    private void DecodeReleasing(string name, TensorInfo t, Span<float> destination)
    {
        var raw = RawBytes(name);
        long n = t.ElementCount;
        if (n <= DecodeBlockElements)
        {
            Decode(raw, t.DType, destination);
            return;
        }
        int bytesPerElement = (int)(t.ByteLength / n);
        long blocks = (n + DecodeBlockElements - 1) / DecodeBlockElements;
        fixed (byte* src = raw)
        fixed (float* dst = destination)
        {
            nint s = (nint)src, d = (nint)dst;
            Parallel.For(0L, blocks, b =>
            {
                long e0 = b * DecodeBlockElements;
                int count = (int)Math.Min(DecodeBlockElements, n - e0);
                Decode(new ReadOnlySpan<byte>((byte*)s + e0 * bytesPerElement, count * bytesPerElement), t.DType, new Span<float>((float*)d + e0, count));
                // Pages shared with a neighbouring block may be dropped while it is read: they fault in again from the file, same bytes.
                Release(s + (nint)(e0 * bytesPerElement), (long)count * bytesPerElement);
            });
        }
    }

    private const long DecodeBlockElements = 1L << 22;

    private static void Release(nint start, long length)
    {
        if (!OperatingSystem.IsLinux() || length == 0) return;
        long page = Environment.SystemPageSize;
        long alignedStart = start / page * page, alignedEnd = (start + length + page - 1) / page * page;
        _ = Madvise((nint)alignedStart, (nuint)(alignedEnd - alignedStart), MadvDontNeed);
    }

    /// <summary>Widens little-endian F32/F16/BF16 bytes to float32.</summary>
    public static void Decode(ReadOnlySpan<byte> raw, TensorDType dtype, Span<float> destination)
    {
        switch (dtype)
        {
            case TensorDType.F32:
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(destination);
                break;
            case TensorDType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(raw), destination);
                break;
            case TensorDType.BF16:
                WidenBFloat16(MemoryMarshal.Cast<byte, ushort>(raw), MemoryMarshal.Cast<float, uint>(destination));
                break;
        }
    }

    /// <summary>BF16 to float32: the 16 bits become the float's high half (exact). Vectorised: 16 values per step.</summary>
    private static void WidenBFloat16(ReadOnlySpan<ushort> src, Span<uint> dst)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= src.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create(src.Slice(i, Vector256<ushort>.Count)));
                (lo << 16).CopyTo(dst.Slice(i));
                (hi << 16).CopyTo(dst.Slice(i + Vector256<uint>.Count));
            }
        for (; i < src.Length; i++) dst[i] = (uint)src[i] << 16;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _handle?.Dispose();
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }
}
