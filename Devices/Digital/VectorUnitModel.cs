using CimSim.Common.Units;
using CimSim.Devices.Config;
using CimSim.Devices.Energy;

namespace CimSim.Devices.Digital;

/// <summary>The operators the digital vector unit runs, each decomposed into primitive add/mul/exp/div operations.</summary>
public enum VectorOp
{
    /// <summary>Per element of a row of n: max (1 add-class compare), subtract (1 add), exp, sum (1 add), divide: 3 add + 1 exp + 1 div.</summary>
    Softmax,

    /// <summary>Per element: square (mul), sum (add), normalise (mul), gain (mul): 1 add + 3 mul; per row one div (1/sqrt, priced as div).</summary>
    RmsNorm,

    /// <summary>x sigmoid(x) = x / (1 + exp(-x)): 1 add + 1 exp + 1 div + 1 mul per element.</summary>
    Silu,

    /// <summary>Rotation of one (x1, x2) pair: 4 mul + 2 add, i.e. 2 mul + 1 add per element (cos/sin from a table).</summary>
    Rope,

    /// <summary>Residual add: 1 add per element.</summary>
    Add,

    /// <summary>Elementwise multiply (gate x up in SwiGLU, scaling): 1 mul per element.</summary>
    Mul,

    /// <summary>
    /// GELU, tanh approximation (Gemma's GeGLU): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): 4 mul + 2 add,
    /// and tanh as (1 - e^-2u) / (1 + e^-2u): 1 exp + 1 div (+ its 2 adds folded into the 2 above and 1 more add).
    /// </summary>
    GeluTanh,

    /// <summary>Multiply-accumulate of a matrix product on the vector unit: 1 mul + 1 add per MAC.</summary>
    Mac,
}

/// <summary>Primitive operation counts per element (plus per row) of a <see cref="VectorOp"/>.</summary>
public readonly record struct PrimitiveCounts(double Add, double Mul, double Exp, double Div)
{
    public double Total => Add + Mul + Exp + Div;
    public static PrimitiveCounts operator *(PrimitiveCounts c, double k) => new(c.Add * k, c.Mul * k, c.Exp * k, c.Div * k);
    public static PrimitiveCounts operator +(PrimitiveCounts a, PrimitiveCounts b) => new(a.Add + b.Add, a.Mul + b.Mul, a.Exp + b.Exp, a.Div + b.Div);
}

/// <summary>
/// Digital vector unit (docs/devices.md, "Digital vector unit"): `lanes` pipelined lanes each start one
/// primitive operation per cycle of its own clock. An operator over n elements in r rows costs
/// sum_p count_p x E_p, and takes ceil(total primitive ops / lanes) cycles plus the pipeline depth (the
/// sum of the primitive latencies of one element's chain). Primitive energies from Horowitz (ISSCC 2014).
/// </summary>
public sealed class VectorUnitModel
{
    public const string Component = "digital_unit";
    public const string AddOp = "add";
    public const string MulOp = "mul";
    public const string ExpOp = "exp";
    public const string DivOp = "div";

    public DigitalSpec Spec { get; }
    public ClockDomain Clock { get; }

    public VectorUnitModel(DigitalSpec spec)
    {
        Spec = spec;
        Clock = new ClockDomain("digital", spec.FrequencyHz);
        Energy = new EnergyTable(Component,
        [
            new(AddOp, spec.AddEnergyPicojoules),
            new(MulOp, spec.MulEnergyPicojoules),
            new(ExpOp, spec.ExpEnergyPicojoules),
            new(DivOp, spec.DivEnergyPicojoules),
        ]);
        Table = new ComponentTable
        {
            Component = Component,
            Instance = "unit",
            Energy = Energy,
            LatencySeconds = new Dictionary<string, double>
            {
                [AddOp] = Clock.ToSeconds(new Cycles(spec.AddLatencyCycles)),
                [MulOp] = Clock.ToSeconds(new Cycles(spec.MulLatencyCycles)),
                [ExpOp] = Clock.ToSeconds(new Cycles(spec.ExpLatencyCycles)),
                [DivOp] = Clock.ToSeconds(new Cycles(spec.DivLatencyCycles)),
            },
            AreaSquareMicrometresPerInstance = spec.AreaSquareMillimetres * 1e6,
            LeakageWattsPerInstance = spec.LeakagePowerWatts,
        };
    }

    /// <summary>The unit's reference table (one instance = the whole vector unit).</summary>
    public ComponentTable Table { get; }

    public EnergyTable Energy { get; }

    public static PrimitiveCounts PerElement(VectorOp op) => op switch
    {
        VectorOp.Softmax => new(3, 0, 1, 1),
        VectorOp.RmsNorm => new(1, 3, 0, 0),
        VectorOp.Silu => new(1, 1, 1, 1),
        VectorOp.Rope => new(1, 2, 0, 0),
        VectorOp.Add => new(1, 0, 0, 0),
        VectorOp.Mul => new(0, 1, 0, 0),
        VectorOp.GeluTanh => new(3, 4, 1, 1),
        VectorOp.Mac => new(1, 1, 0, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static PrimitiveCounts PerRow(VectorOp op) => op == VectorOp.RmsNorm ? new(0, 0, 0, 1) : default;

    /// <summary>Primitive operations of <paramref name="op"/> over <paramref name="rows"/> rows of <paramref name="elementsPerRow"/>.</summary>
    public static PrimitiveCounts Count(VectorOp op, long rows, long elementsPerRow) =>
        PerElement(op) * (rows * (double)elementsPerRow) + PerRow(op) * rows;

    /// <summary>Action counts (add, mul, exp, div) for the scheduler.</summary>
    public static IReadOnlyDictionary<string, long> Actions(VectorOp op, long rows, long elementsPerRow)
    {
        var c = Count(op, rows, elementsPerRow);
        return new Dictionary<string, long> { [AddOp] = (long)c.Add, [MulOp] = (long)c.Mul, [ExpOp] = (long)c.Exp, [DivOp] = (long)c.Div };
    }

    public double EnergyPicojoules(VectorOp op, long rows, long elementsPerRow) => Energy.Price(Actions(op, rows, elementsPerRow));

    /// <summary>Pipeline depth of one element's chain, cycles.</summary>
    public long DepthCycles(VectorOp op)
    {
        var c = PerElement(op) + PerRow(op);
        return (long)Math.Ceiling(c.Add * Spec.AddLatencyCycles + c.Mul * Spec.MulLatencyCycles + c.Exp * Spec.ExpLatencyCycles + c.Div * Spec.DivLatencyCycles);
    }

    public Cycles Latency(VectorOp op, long rows, long elementsPerRow) => Latency(op, Count(op, rows, elementsPerRow));

    /// <summary>Cycles of this unit's clock for <paramref name="counts"/> primitives of <paramref name="op"/>: ceil(total / lanes) + depth.</summary>
    public Cycles Latency(VectorOp op, PrimitiveCounts counts) =>
        new((long)Math.Ceiling(counts.Total / Spec.Lanes - 1e-9) + DepthCycles(op));

    public double AreaSquareMillimetres => Spec.AreaSquareMillimetres;
}
