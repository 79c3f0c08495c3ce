using CimSim.Common.Units;
using CimSim.Simulator.Engine;

namespace CimSim.Simulator.Scheduling;

/// <summary>
/// The full event-level simulation of one RRAM matrix-vector product: every array, every DAC step, every ADC
/// conversion (each ADC a resource that its columns queue on), the shift-and-add, and the partial-sum adder tree
/// across row tiles. Too slow for a whole model; it exists to prove that the closed form the scheduler uses
/// (<see cref="CimCostModel.RramMatVecCycles"/>, computed once per shape and reused) equals the full simulation.
/// </summary>
public static class ArrayMicroSchedule
{
    public sealed record Result(Cycles Cycles, long Events, long AdcConversions, long DacSteps);

    public static Result Simulate(CimHardwareModel hw, TransformerShape shape, long inFeatures, long outFeatures, long vectors)
    {
        var cost = new CimCostModel(hw, shape);
        var engine = new SimulationEngine(hw.Clock);
        var rowTiles = cost.RowTiles(inFeatures);
        var colTiles = cost.ColumnTiles(outFeatures);
        var adcsPerArray = hw.AdcsPerArray;
        var treeLatency = cost.PartialSumCycles(rowTiles);
        long conversions = 0, dacSteps = 0, end = 0;
        // arrivals[(copy, colTile, vector)] = row tiles finished with that vector
        var arrivals = new Dictionary<(int, long, long), long>();
        for (var copy = 0; copy < hw.Replication; copy++)
        {
            var myVectors = new List<long>();
            for (long v = copy; v < vectors; v += hw.Replication) myVectors.Add(v);
            if (myVectors.Count == 0) continue;
            for (long r = 0; r < rowTiles; r++)
                for (long c = 0; c < colTiles; c++)
                {
                    // Input-parallel sensing: each of the P bit-planes sensed at once has its own copy of the ADCs.
                    var adcs = Enumerable.Range(0, adcsPerArray * hw.ParallelDacSteps).Select(i => new Resource(engine, $"adc{i}", "adc", 1)).ToArray();
                    var copyIndex = copy;
                    var colTile = c;
                    var vi = 0;
                    // Step k applies bit-planes k P .. k P + P - 1 (the last group may be partial: only its planes convert).
                    void StartStep(int step)
                    {
                        var planes = Math.Min(hw.ParallelDacSteps, hw.DacSteps - step * hw.ParallelDacSteps);
                        dacSteps += planes;
                        // Word lines driven, bit lines settle, sample and hold.
                        engine.Schedule(new Cycles(hw.ArrayReadCycles), () =>
                        {
                            var pending = adcsPerArray * planes * hw.ConversionsPerAdcPerStep;
                            foreach (var adc in adcs.Take(adcsPerArray * planes))
                                for (var col = 0; col < hw.ConversionsPerAdcPerStep; col++)
                                    adc.Request(new Cycles(hw.AdcConversionCycles), _ =>
                                    {
                                        conversions++;
                                        if (--pending > 0) return;
                                        if (step + 1 < hw.SequentialDacSteps) StartStep(step + 1);
                                        else engine.Schedule(new Cycles(hw.ShiftAddCycles), VectorDone);
                                    });
                        });
                    }
                    void VectorDone()
                    {
                        var key = (copyIndex, colTile, myVectors[vi]);
                        arrivals[key] = arrivals.GetValueOrDefault(key) + 1;
                        if (arrivals[key] == rowTiles)
                            engine.Schedule(new Cycles(treeLatency), () => end = Math.Max(end, engine.Now.Value));
                        if (++vi < myVectors.Count) StartStep(0);
                    }
                    StartStep(0);
                }
        }
        engine.Run();
        return new Result(new Cycles(end), engine.EventsProcessed, conversions, dacSteps);
    }
}
