using CimSim.Common.Errors;
using CimSim.Common.Random;
using CimSim.Workloads.Weights;

namespace CimSim.Simulator.Functional;

/// <summary>Where a model's tensors come from: a checkpoint, or seeded random numbers of the right shapes.</summary>
public interface IWeightSource
{
    /// <summary>"checkpoint" or "random".</summary>
    string Kind { get; }

    string Describe { get; }

    /// <summary>Null when the tensor exists with this shape, otherwise the problem (naming tensor and both shapes).</summary>
    string? Check(string name, long[] expectedShape);

    bool Has(string name);

    /// <summary>The tensor as float32, after its shape was checked.</summary>
    float[] Read(string name, long[] expectedShape);

    /// <summary>As <see cref="Read"/>, into <paramref name="destination"/> (exactly the tensor's element count).</summary>
    void ReadInto(string name, long[] expectedShape, Span<float> destination) => Read(name, expectedShape).CopyTo(destination);

    /// <summary>An exact executor computing with the matrix where it is stored (a memory-mapped file), or null when the source has none.</summary>
    ILinearExecutor? Mapped(string name, int outFeatures, int inFeatures) => null;

    /// <summary>The token embeddings [rows, width] left where they are stored (valid while the source is open), or null when the source has no such storage.</summary>
    EmbeddingTable? MappedEmbedding(string name, int rows, int width) => null;

    /// <summary>
    /// A reader of whole rows of matrix <paramref name="name"/> ([rows, width]): (first row, destination) widens the rows
    /// where they are stored; null when the source cannot read part of a tensor cheaply.
    /// </summary>
    Action<int, Span<float>>? RowReader(string name, int rows, int width) => null;
}

/// <summary>Tensors of a safetensors checkpoint; shapes are compared with what config.json implies.</summary>
public sealed class CheckpointWeightSource(SafetensorsCheckpoint checkpoint, string configPath) : IWeightSource
{
    public string Kind => "checkpoint";

    public string Describe => checkpoint.Directory;

    public bool Has(string name) => checkpoint.Contains(name);

    public string? Check(string name, long[] expectedShape)
    {
        if (!checkpoint.Contains(name)) return $"tensor '{name}' is missing from {checkpoint.Directory} (config {configPath} implies shape {TensorInfo.FormatShape(expectedShape)})";
        var info = checkpoint.Info(name);
        return info.Shape.SequenceEqual(expectedShape) ? null
            : $"tensor '{name}' in {checkpoint.FileOf(name).Path} has shape {info.ShapeText} but {configPath} implies {TensorInfo.FormatShape(expectedShape)}";
    }

    public float[] Read(string name, long[] expectedShape)
    {
        var problem = Check(name, expectedShape);
        if (problem is not null) throw new UserInputException(problem);
        var data = checkpoint.ReadFloat32(name);
        checkpoint.FileOf(name).ReleasePages(name); // the float32 copy is what is used; the mapped pages need not stay resident
        return data;
    }

    public void ReadInto(string name, long[] expectedShape, Span<float> destination)
    {
        var problem = Check(name, expectedShape);
        if (problem is not null) throw new UserInputException(problem);
        var file = checkpoint.FileOf(name);
        file.ReadFloat32(name, destination);
        file.ReleasePages(name);
    }

    public ILinearExecutor? Mapped(string name, int outFeatures, int inFeatures)
    {
        var problem = Check(name, [outFeatures, inFeatures]);
        if (problem is not null) throw new UserInputException(problem);
        return new MappedLinear(checkpoint.FileOf(name), name, outFeatures, inFeatures);
    }

    /// <summary>Left in the mapped file, widened a row at a time when looked up (<see cref="EmbeddingTable.Mapped"/>).</summary>
    public EmbeddingTable? MappedEmbedding(string name, int rows, int width)
    {
        var problem = Check(name, [rows, width]);
        if (problem is not null) throw new UserInputException(problem);
        return EmbeddingTable.Mapped(checkpoint.FileOf(name), name, rows, width);
    }

    public Action<int, Span<float>>? RowReader(string name, int rows, int width)
    {
        var problem = Check(name, [rows, width]);
        if (problem is not null) throw new UserInputException(problem);
        var file = checkpoint.FileOf(name);
        return (first, destination) =>
        {
            if (destination.Length % width != 0 || first < 0 || first + destination.Length / width > rows)
                throw new ArgumentOutOfRangeException(nameof(first), $"{destination.Length} values from row {first} of '{name}' ({rows} x {width})");
            file.ReadFloat32Range(name, (long)first * width, destination);
        };
    }
}

/// <summary>
/// Seeded random weights for presets without a checkpoint: linear and embedding weights uniform with std
/// <see cref="Std"/> (the Hugging Face initializer_range default 0.02), norm gains 1, biases 0. Each tensor has
/// its own stream (seed, "random-weights/" + name), so shapes, not load order, fix the values.
/// </summary>
public sealed class RandomWeightSource(ulong seed, double std = 0.02) : IWeightSource
{
    public double Std { get; } = std;

    public string Kind => "random";

    public string Describe => $"seeded random weights: uniform with std {Std} (seed {seed}), norm gains 1, biases 0";

    public bool Has(string name) => true;

    public string? Check(string name, long[] expectedShape) => null;

    public float[] Read(string name, long[] expectedShape)
    {
        long n = 1;
        foreach (var d in expectedShape) n *= d;
        var data = new float[n];
        if (name.EndsWith("norm.weight", StringComparison.Ordinal)) Array.Fill(data, 1f);
        else if (!name.EndsWith(".bias", StringComparison.Ordinal))
        {
            // Uniform(-a, a) has std a / sqrt(3); filled in 64K-element chunks from independent streams so large tensors fill in parallel.
            float a = (float)(Std * Math.Sqrt(3));
            const int chunk = 1 << 16;
            long chunks = (n + chunk - 1) / chunk;
            Parallel.For(0L, chunks, c =>
            {
                var rng = RandomStreams.Create(seed, $"random-weights/{name}/{c}");
                long end = Math.Min(n, (c + 1) * chunk);
                for (long i = c * chunk; i < end; i++) data[i] = (float)(rng.NextDouble() * 2 - 1) * a;
            });
        }
        return data;
    }
}
