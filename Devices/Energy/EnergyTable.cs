using System.Collections;

namespace CimSim.Devices.Energy;

/// <summary>
/// Energy per action of one component, in picojoules (Accelergy's ERT idea): a timing model counts actions,
/// and energy = sum over actions of count x table[action]. The same counts price every technology preset.
/// Action names are lower-case snake_case nouns ("adc_conversion", "dac_drive").
/// </summary>
public sealed class EnergyTable : IReadOnlyDictionary<string, double>
{
    private readonly Dictionary<string, double> _pj;
    private readonly List<string> _order;

    public string Component { get; }

    public EnergyTable(string component, IEnumerable<KeyValuePair<string, double>> picojoulesPerAction)
    {
        ArgumentNullException.ThrowIfNull(picojoulesPerAction);
        Component = component;
        _pj = new Dictionary<string, double>(StringComparer.Ordinal);
        _order = [];
        foreach (var (action, pj) in picojoulesPerAction)
        {
            if (!(pj >= 0) || double.IsInfinity(pj)) throw new ArgumentException($"{component}.{action}: energy {pj} pJ, expected a finite value >= 0");
            if (!_pj.TryAdd(action, pj)) throw new ArgumentException($"{component}: action '{action}' listed twice");
            _order.Add(action);
        }
    }

    /// <summary>Energy of one action, picojoules. An unknown action names the valid ones.</summary>
    public double this[string action] => _pj.TryGetValue(action, out var v) ? v
        : throw new KeyNotFoundException($"{Component} has no action '{action}'; actions: {string.Join(", ", _order)}");

    /// <summary>Energy of a set of action counts, picojoules: sum_a counts[a] x table[a].</summary>
    public double Price(IEnumerable<KeyValuePair<string, long>> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        double sum = 0;
        foreach (var (action, n) in counts) sum += n * this[action];
        return sum;
    }

    public IEnumerable<string> Keys => _order;
    public IEnumerable<double> Values => _order.Select(a => _pj[a]);
    public int Count => _order.Count;
    public bool ContainsKey(string key) => _pj.ContainsKey(key);
    public bool TryGetValue(string key, out double value) => _pj.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, double>> GetEnumerator() => _order.Select(a => new KeyValuePair<string, double>(a, _pj[a])).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{Component}: " + string.Join(", ", this.Select(kv => $"{kv.Key} {kv.Value:G4} pJ"));
}
