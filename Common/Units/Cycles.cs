namespace CimSim.Common.Units;

/// <summary>An integer count of cycles of one clock domain. Never mixed with seconds without a <see cref="ClockDomain"/>.</summary>
public readonly record struct Cycles(long Value) : IComparable<Cycles>
{
    public static Cycles Zero => new(0);
    public static Cycles operator +(Cycles a, Cycles b) => new(a.Value + b.Value);
    public static Cycles operator -(Cycles a, Cycles b) => new(a.Value - b.Value);
    public static Cycles operator *(Cycles a, long k) => new(a.Value * k);
    public static bool operator <(Cycles a, Cycles b) => a.Value < b.Value;
    public static bool operator >(Cycles a, Cycles b) => a.Value > b.Value;
    public static bool operator <=(Cycles a, Cycles b) => a.Value <= b.Value;
    public static bool operator >=(Cycles a, Cycles b) => a.Value >= b.Value;
    public static Cycles Max(Cycles a, Cycles b) => a.Value >= b.Value ? a : b;
    public int CompareTo(Cycles other) => Value.CompareTo(other.Value);
    public override string ToString() => $"{Value} cycles";
}

/// <summary>A named clock domain: the only place cycles become seconds.</summary>
public sealed record ClockDomain(string Name, double FrequencyHz)
{
    public double ToSeconds(Cycles c) => c.Value / FrequencyHz;

    /// <summary>Cycles needed to cover a duration, rounded up (a partial cycle occupies a whole one).</summary>
    public Cycles FromSecondsCeiling(double seconds) => new((long)Math.Ceiling(seconds * FrequencyHz - 1e-9));

    /// <summary>A rate per second (bits/s, MACs/s) as a rate per cycle of this clock.</summary>
    public double PerCycle(double perSecond) => perSecond / FrequencyHz;
}
