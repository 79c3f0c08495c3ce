using CimSim.Workloads.Weights;

namespace CimSim.Simulator.Functional;

/// <summary>
/// A model's token embeddings, [vocab, hidden]: held as a float32 array (a random-weight model, a float32 tensor read
/// before), or left in the memory-mapped checkpoint in its stored precision and widened a row at a time when a token
/// is looked up (exact: F16 and BF16 are subsets of float32, so the rows are those of the float32 read), by positional
/// reads of the file that leave the resident set as it was (<see cref="SafetensorsFile.ReadFloat32Range"/>). A mapped table
/// holds no weights: a 1B model's embedding is 1.05 GB as float32, an 8B model's 2.1 GB (docs/accuracy.md, "Memory").
/// Every row is checked finite when the table is made, as the float32 reader checks a whole tensor. Valid while the
/// file is open.
/// </summary>
public sealed class EmbeddingTable
{
    private readonly float[]? _held;
    private readonly SafetensorsFile? _file;
    private readonly string _name;

    private EmbeddingTable(float[]? held, SafetensorsFile? file, string name, int rows, int width)
    {
        (_held, _file, _name, Rows, Width) = (held, file, name, rows, width);
    }

    /// <summary>Rows (the vocabulary).</summary>
    public int Rows { get; }

    /// <summary>Values per row (the hidden size).</summary>
    public int Width { get; }

    /// <summary>True when the rows stay in the mapped file (nothing held).</summary>
    public bool IsMapped => _file is not null;

    /// <summary>A table over a float32 array of <paramref name="rows"/> x <paramref name="width"/> values (kept, not copied).</summary>
    public static EmbeddingTable Held(float[] values, int rows, int width)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.LongLength != (long)rows * width)
            throw new ArgumentException($"embedding holds {values.LongLength} floats, expected {rows} x {width}", nameof(values));
        return new(values, null, "", rows, width);
    }

    /// <summary>
    /// A table over tensor <paramref name="name"/> of <paramref name="file"/> (its shape checked by the caller): every
    /// row is widened once now, in blocks, to refuse non-finite values.
    /// </summary>
    public static EmbeddingTable Mapped(SafetensorsFile file, string name, int rows, int width)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Info(name).ElementCount != (long)rows * width)
            throw new ArgumentException($"tensor '{name}' holds {file.Info(name).ElementCount} elements, expected {rows} x {width}", nameof(name));
        var scratch = new float[Math.Min((long)rows * width, CheckBlockRows * (long)width)];
        for (long r = 0; r < rows; r += CheckBlockRows)
        {
            int n = (int)Math.Min(CheckBlockRows, rows - r);
            file.ReadFloat32Range(name, r * width, scratch.AsSpan(0, n * width));
        }
        return new(null, file, name, rows, width);
    }

    private const int CheckBlockRows = 2048;

    /// <summary>Row <paramref name="token"/> into <paramref name="destination"/> (Width values).</summary>
    public void CopyRow(int token, Span<float> destination) => ReadRows(token, destination[..Width]);

    /// <summary>
    /// Rows <paramref name="first"/>.. into <paramref name="destination"/> (whole rows): a held table copies them, a mapped
    /// one widens them from the file (a tied lm_head programmed block by block reads it so).
    /// </summary>
    public void ReadRows(int first, Span<float> destination)
    {
        if (destination.Length % Width != 0 || first < 0 || (long)first + destination.Length / Width > Rows)
            throw new ArgumentOutOfRangeException(nameof(first), $"{destination.Length} values from row {first} of a {Rows} x {Width} table");
        if (_held is not null) _held.AsSpan((int)((long)first * Width), destination.Length).CopyTo(destination);
        else _file!.ReadFloat32Range(_name, (long)first * Width, destination);
    }

    /// <summary>
    /// The whole table as a float32 array: the held array itself (not a copy), or a new one widened from the file (a
    /// tied lm_head's weights for programming: transient, 1.05 GB on a 1B model).
    /// </summary>
    public float[] Values() => _held ?? _file!.ReadFloat32(_name);

    /// <summary>The tensor this table maps, when mapped: a tied lm_head that computes in place reads it.</summary>
    internal (SafetensorsFile File, string Name)? Source => _file is null ? null : (_file, _name);
}
