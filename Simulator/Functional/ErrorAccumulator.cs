using System.Numerics.Tensors;

namespace CimSim.Simulator.Functional;

/// <summary>Sums of y_ideal^2 and (y - y_ideal)^2 per name, in first-seen order (thread-safe).</summary>
internal sealed class ErrorAccumulator
{
    private readonly Dictionary<string, (double Signal, double Error)> _sums = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public void Add(string name, ReadOnlySpan<float> actual, ReadOnlySpan<float> ideal)
    {
        double signal = TensorPrimitives.Dot(ideal, ideal);
        var diff = new float[actual.Length];
        TensorPrimitives.Subtract(actual, ideal, diff);
        double error = TensorPrimitives.Dot(diff, diff);
        lock (_sums)
        {
            if (!_sums.TryGetValue(name, out var s)) _order.Add(name);
            _sums[name] = (s.Signal + signal, s.Error + error);
        }
    }

    public IReadOnlyList<LayerError> Results() => Results([Sums()]);

    /// <summary>The sums per name, in first-seen order.</summary>
    public IReadOnlyList<ErrorSum> Sums() => _order.Select(n => new ErrorSum(n, _sums[n].Signal, _sums[n].Error)).ToList();

    /// <summary>SNR and relative error per name of the sums of several parts (added in the order given, names in first-seen order).</summary>
    public static IReadOnlyList<LayerError> Results(IEnumerable<IReadOnlyList<ErrorSum>> parts)
    {
        var total = new ErrorAccumulator();
        foreach (var part in parts)
            foreach (var e in part)
            {
                if (!total._sums.TryGetValue(e.Name, out var s)) total._order.Add(e.Name);
                total._sums[e.Name] = (s.Signal + e.Signal, s.Error + e.Error);
            }
        return total._order.Select(n =>
        {
            var (sig, err) = total._sums[n];
            return new LayerError(n, err > 0 && sig > 0 ? 10 * Math.Log10(sig / err) : null, sig > 0 ? Math.Sqrt(err / sig) : 0);
        }).ToList();
    }

    public static IReadOnlyList<LayerError> Mean(IEnumerable<IReadOnlyList<LayerError>> perChip)
    {
        var lists = perChip.ToList();
        if (lists.Count == 0) return [];
        return lists[0].Select((l, i) =>
        {
            var rel = lists.Average(x => x[i].RelativeError);
            return new LayerError(l.Name, rel > 0 ? -20 * Math.Log10(rel) : null, rel);
        }).ToList();
    }
}

/// <summary>Measures each W0 product against the exact product on the same input (ideal model's weights).</summary>
internal sealed class ModuleErrorObserver(FunctionalModel ideal) : IForwardObserver
{
    private readonly Dictionary<string, ILinearExecutor> _ideal = ideal.Projections.ToDictionary(p => p.Name, p => p.Weights, StringComparer.Ordinal);

    public ErrorAccumulator Modules { get; } = new();

    public IForwardObserver? Next { get; set; }

    public void OnProjection(string module, ReadOnlySpan<float> x, ReadOnlySpan<float> y, int tokens)
    {
        var exact = _ideal[module];
        var yi = new float[tokens * exact.OutFeatures];
        exact.Forward(x, yi, tokens);
        Modules.Add(module, y[..yi.Length], yi);
        Next?.OnProjection(module, x, y, tokens);
    }

    public void OnLayerOutput(int layer, ReadOnlySpan<float> hidden, int tokens) => Next?.OnLayerOutput(layer, hidden, tokens);
}

/// <summary>Keeps (or compares against) the residual stream after every decoder layer.</summary>
internal sealed class HiddenStateObserver(ErrorAccumulator? layers = null) : IForwardObserver
{
    public List<float[]> Captured { get; } = [];

    public IReadOnlyList<float[]>? Reference { get; set; }

    /// <summary>The sums this observer adds to (shared by the observers of one chunk's sequences).</summary>
    public ErrorAccumulator Layers { get; } = layers ?? new();

    public void OnProjection(string module, ReadOnlySpan<float> x, ReadOnlySpan<float> y, int tokens) { }

    /// <summary>
    /// True: a capture keeps only the latest layer's residual stream (earlier ones become empty), for a reference that a
    /// chip running in lockstep compares with as soon as each layer is done and that is not kept for later chips.
    /// </summary>
    public bool LatestOnly { get; init; }

    public void OnLayerOutput(int layer, ReadOnlySpan<float> hidden, int tokens)
    {
        if (Reference is null)
        {
            if (LatestOnly && Captured.Count > 0) Captured[^1] = [];
            Captured.Add(hidden.ToArray());
        }
        else Layers.Add($"model.layers.{layer}", hidden, Reference[layer]);
    }
}
