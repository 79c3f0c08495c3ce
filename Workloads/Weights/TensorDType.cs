namespace CimSim.Workloads.Weights;

/// <summary>Element types of a safetensors tensor that CimSim reads (all widen to float32 on load).</summary>
public enum TensorDType
{
    F32,
    F16,
    BF16,
}

public static class TensorDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this TensorDType t) => t == TensorDType.F32 ? 4 : 2;

    /// <summary>The safetensors header spelling ("F32", "F16", "BF16").</summary>
    public static string HeaderName(this TensorDType t) => t.ToString();

    /// <summary>Parses a header dtype; false for the ones CimSim does not read (I64, F64, U8, ...).</summary>
    public static bool TryParse(string name, out TensorDType type)
    {
        switch (name)
        {
            case "F32": type = TensorDType.F32; return true;
            case "F16": type = TensorDType.F16; return true;
            case "BF16": type = TensorDType.BF16; return true;
            default: type = default; return false;
        }
    }

    /// <summary>Parses a torch dtype name from config.json ("float32", "bfloat16", "float16").</summary>
    public static TensorDType FromTorchName(string name) => name switch
    {
        "float16" or "half" => TensorDType.F16,
        "bfloat16" => TensorDType.BF16,
        _ => TensorDType.F32,
    };
}
