using System.Globalization;
using CimSim.Common.Errors;
using CimSim.Simulator.Sweeps;

namespace CimSim.Tests.Simulator.Sweeps;

/// <summary>
/// A deterministic stand-in for the simulator: metrics are simple functions of the parameters, rows above 200
/// "do not fit", and a negative sigma is a validation error. Counts evaluations so tests can see what ran.
/// </summary>
internal sealed class FakeEvaluator : IPointEvaluator
{
    public static readonly string[] KnownPaths = ["rram.adc.bits", "rram.array.rows", "rram.noise.sigma", "sram.macro.rows"];

    private int _evaluations;

    public int Evaluations => Volatile.Read(ref _evaluations);

    public string? CheckParameterPath(string path) =>
        KnownPaths.Contains(path) ? null
        : $"'{path}' is not a config path" + (CimSim.Devices.Config.ConfigSchema.Nearest(path, KnownPaths) is { } s ? $"; did you mean '{s}'?" : "");

    public PointOutcome Evaluate(SweepPoint point, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _evaluations);
        Serilog.Log.Information("fake evaluator: point {Id}", point.Id);
        var values = point.Parameters.ToDictionary(p => p.Path, p => double.Parse(p.Value, CultureInfo.InvariantCulture));
        var bits = values.GetValueOrDefault("rram.adc.bits", 8);
        var rows = values.GetValueOrDefault("rram.array.rows", 64);
        var sigma = values.GetValueOrDefault("rram.noise.sigma", 0.01);
        if (sigma < 0) throw new UserInputException($"rram.noise.sigma: {sigma} is negative; expected >= 0");
        if (rows > 200) return PointOutcome.Invalid($"does not fit: {rows} rows need more tiles than the chip has");
        var adc = bits * bits * 1e-4;
        var array = 1e-2 / rows;
        return new PointOutcome(PointStatus.Ok, null,
        [
            new("latency_s", 1e-3 * bits + 1e-5 * rows),
            new("energy_j", adc + array),
            new("area_mm2", 0.1 * rows + bits),
            new("energy_j.adc", adc),
            new("energy_j.rram_array", array),
            new("accuracy", 0.7 - sigma * 10 - 0.01 * (8 - bits)),
        ], [new("report.json", "{\"point\": \"" + point.Id + "\"}\n")]);
    }
}
