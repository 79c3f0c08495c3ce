using System.Collections;

namespace CimSim.Devices.Config;

/// <summary>
/// An immutable list with value equality, so that spec records holding lists (ADC tables, polynomial coefficients)
/// compare equal when their contents are equal (records compare arrays by reference otherwise).
/// </summary>
public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
    where T : IEquatable<T>
{
    private readonly T[]? _items;

    public EquatableArray(IEnumerable<T> items) => _items = items.ToArray();

    public static EquatableArray<T> Empty => new([]);

    public int Count => _items?.Length ?? 0;

    public T this[int index] => (_items ?? [])[index];

    public ReadOnlySpan<T> AsSpan() => _items ?? [];

    public bool Equals(EquatableArray<T> other) => AsSpan().SequenceEqual(other.AsSpan());

    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var x in AsSpan()) h.Add(x);
        return h.ToHashCode();
    }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

    public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);

    public override string ToString() => "[" + string.Join(", ", AsSpan().ToArray()) + "]";
}

/// <summary>Factory for <see cref="EquatableArray{T}"/> (collection-expression friendly).</summary>
public static class EquatableArray
{
    public static EquatableArray<T> Of<T>(params T[] items) where T : IEquatable<T> => new(items);
}
