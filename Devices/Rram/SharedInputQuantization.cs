using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CimSim.Devices.Config;

namespace CimSim.Devices.Rram;

/// <summary>
/// One input quantised once for the several RRAM layers that read it (a decoder layer's q, k and v projections read the
/// same normed rows, as do gate and up). Inside <see cref="Begin"/>'s scope, on the calling thread, a
/// <see cref="RramLinearLayer"/> forward call whose input is the scope's array, with the same segments, input width and
/// input quantiser (<see cref="RramFormat.InputQMax"/>, <see cref="RramFormat.InputQMin"/>, per token or per tensor) as
/// the previous such call, reuses that call's quantised rows and scales instead of quantising again: the same values,
/// since the quantiser is a function of exactly these. The caller promises that the array is not written while the
/// scope is open. Any other quantisation in the scope replaces the remembered one (the rows live in the layer's
/// per-thread buffer, which the next quantisation overwrites), so a mismatch costs a quantisation, never a wrong value.
/// </summary>
public static class SharedInputQuantization
{
    [ThreadStatic] private static Scope? _current;

    /// <summary>Opens a scope for <paramref name="input"/> on this thread (scopes do not nest: an inner one replaces the outer until disposed).</summary>
    public static IDisposable Begin(float[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var scope = new Scope(input, _current);
        _current = scope;
        return scope;
    }

    /// <summary>The rows and scales a call with these arguments may reuse, or null.</summary>
    internal static (float[] Xq, float[] Scales)? Find(ReadOnlySpan<float> x, ReadOnlySpan<int> segments, int inFeatures, RramFormat format) =>
        _current is { } s && s.Matches(x, segments, inFeatures, format) ? (s.Xq!, s.Scales!) : null;

    /// <summary>Records the quantisation a call just wrote into <paramref name="xq"/> (remembered only when its input is the scope's array).</summary>
    internal static void Remember(ReadOnlySpan<float> x, ReadOnlySpan<int> segments, int inFeatures, RramFormat format, float[] xq, float[] scales)
    {
        if (_current is not { } s) return;
        if (s.IsInput(x)) s.Set(x.Length, segments, inFeatures, format, xq, scales);
        else s.Forget();
    }

    private sealed class Scope(float[] input, Scope? outer) : IDisposable
    {
        private int _length = -1, _inFeatures, _qMax, _qMin;
        private bool _perTensor;
        private int[] _segments = [];
        public float[]? Xq { get; private set; }
        public float[]? Scales { get; private set; }

        public bool IsInput(ReadOnlySpan<float> x) =>
            x.Length > 0 && x.Length <= input.Length && Unsafe.AreSame(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetArrayDataReference(input));

        public bool Matches(ReadOnlySpan<float> x, ReadOnlySpan<int> segments, int inFeatures, RramFormat format) =>
            Xq is not null && x.Length == _length && inFeatures == _inFeatures && IsInput(x) && segments.SequenceEqual(_segments)
            && format.InputQMax == _qMax && format.InputQMin == _qMin && PerTensor(format) == _perTensor;

        public void Set(int length, ReadOnlySpan<int> segments, int inFeatures, RramFormat format, float[] xq, float[] scales)
        {
            (_length, _inFeatures, _qMax, _qMin, _perTensor, _segments) = (length, inFeatures, format.InputQMax, format.InputQMin, PerTensor(format), segments.ToArray());
            (Xq, Scales) = (xq, scales);
        }

        public void Forget() => (Xq, Scales) = (null, null);

        public void Dispose()
        {
            if (_current == this) _current = outer;
        }

        private static bool PerTensor(RramFormat format) => format.Spec.Dac.InputQuantization == InputQuantizationGranularity.PerTensor;
    }
}
