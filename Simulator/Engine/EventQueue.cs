namespace CimSim.Simulator.Engine;

/// <summary>
/// An array-backed binary min-heap of events keyed by (time, priority, insertion order), as in SimSharp:
/// simultaneous events leave in priority order, then in the order they were scheduled, so every run of the
/// same inputs plays the same sequence.
/// </summary>
public sealed class EventQueue<T>
{
    private Entry[] _heap = new Entry[64];
    private long _nextSequence;

    private struct Entry
    {
        public long Time;
        public int Priority;
        public long Sequence;
        public T Item;
    }

    public int Count { get; private set; }

    public void Enqueue(long time, int priority, T item)
    {
        if (Count == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
        var e = new Entry { Time = time, Priority = priority, Sequence = _nextSequence++, Item = item };
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Less(in e, in _heap[parent])) break;
            _heap[i] = _heap[parent];
            i = parent;
        }
        _heap[i] = e;
    }

    public long PeekTime => Count > 0 ? _heap[0].Time : throw new InvalidOperationException("empty event queue");

    public T Dequeue(out long time)
    {
        if (Count == 0) throw new InvalidOperationException("empty event queue");
        var top = _heap[0];
        time = top.Time;
        var last = _heap[--Count];
        _heap[Count] = default;
        if (Count > 0)
        {
            var i = 0;
            while (true)
            {
                var child = 2 * i + 1;
                if (child >= Count) break;
                if (child + 1 < Count && Less(in _heap[child + 1], in _heap[child])) child++;
                if (!Less(in _heap[child], in last)) break;
                _heap[i] = _heap[child];
                i = child;
            }
            _heap[i] = last;
        }
        return top.Item;
    }

    private static bool Less(in Entry a, in Entry b) =>
        a.Time != b.Time ? a.Time < b.Time : a.Priority != b.Priority ? a.Priority < b.Priority : a.Sequence < b.Sequence;
}
