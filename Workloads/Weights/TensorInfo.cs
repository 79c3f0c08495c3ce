namespace CimSim.Workloads.Weights;

/// <summary>One tensor entry of a safetensors header: dtype, shape and its byte range in the data section.</summary>
public sealed record TensorInfo(string Name, TensorDType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    public long ByteLength => End - Begin;

    /// <summary>"[64, 128]".</summary>
    public string ShapeText => FormatShape(Shape);

    public static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";
}
