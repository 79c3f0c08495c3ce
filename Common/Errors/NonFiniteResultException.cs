using System.Numerics.Tensors;

namespace CimSim.Common.Errors;

/// <summary>
/// A number about to leave in a report (JSON, CSV, logits, a noise profile) is NaN or infinite. Valid inputs are finite
/// and inside the documented ranges, so this means an input at the edge of those ranges overflowed a model: the run
/// fails clearly (exit 2) instead of writing "Infinity", "NaN" (invalid JSON) or an empty cell.
/// </summary>
public sealed class NonFiniteResultException(string what, double value)
    : UserInputException($"the run produced {what} = {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}, not a finite number; " +
                         "an input (a config value near its range limit, or a weight) overflows the model; nothing was written")
{
    public string What { get; } = what;

    /// <summary>
    /// System.Text.Json refuses NaN and infinities with an ArgumentException (a crash, exit 134, in issue 14); this
    /// serialises <paramref name="value"/> or fails clearly naming <paramref name="what"/>.
    /// </summary>
    public static string Serialize<T>(T value, System.Text.Json.JsonSerializerOptions options, string what)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Serialize(value, options);
        }
        catch (ArgumentException ex) when (ex.Message.Contains("valid JSON", StringComparison.Ordinal))
        {
            throw new NonFiniteResultException("a number in " + what, double.NaN);
        }
    }

    /// <summary>Returns <paramref name="value"/> when finite, else throws naming <paramref name="what"/>.</summary>
    public static double Require(double value, string what) => double.IsFinite(value) ? value : throw new NonFiniteResultException(what, value);

    /// <summary>Throws naming the first non-finite element of <paramref name="values"/>, if any.</summary>
    public static void RequireAll(ReadOnlySpan<float> values, string what)
    {
        var i = IndexOfNonFinite(values);
        if (i >= 0) throw new NonFiniteResultException($"{what}[{i}]", values[i]);
    }

    /// <summary>Index of the first NaN or infinite element, or -1.</summary>
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        // One vectorised pass first: the sum of magnitudes is finite whenever every element is (unless the total passes 3e38).
        if (float.IsFinite(TensorPrimitives.SumOfMagnitudes(values))) return -1;
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }
}
