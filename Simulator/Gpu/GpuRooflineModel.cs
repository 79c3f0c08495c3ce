using CimSim.Workloads.Graph;

namespace CimSim.Simulator.Gpu;

/// <summary>What the GPU baseline computed, in both energy accountings, each labelled, and the execution mode.</summary>
public sealed record GpuBaselineResult
{
    public required GpuSpec Spec { get; init; }
    public required GpuExecutionMode Mode { get; init; }
    /// <summary>Latency of the whole run (prefill + every decode step), seconds.</summary>
    public required double LatencyS { get; init; }
    public required double TtftS { get; init; }
    public required double TpotS { get; init; }
    /// <summary>Part of <see cref="LatencyS"/> that kernels spend moving data or computing (the roofline term).</summary>
    public required double BusyS { get; init; }
    /// <summary>Part of <see cref="LatencyS"/> spent on per-kernel overhead: kernels x the mode's overhead.</summary>
    public required double OverheadS { get; init; }
    /// <summary>Board energy: idle power over the whole time + dynamic energy per byte and per FLOP. Joules.</summary>
    public required double EnergyJ { get; init; }
    public required double PrefillEnergyJ { get; init; }
    public required double DecodeEnergyJ { get; init; }
    /// <summary>The paper's accounting: MACs x energy per MAC (TDP / INT8 MAC rate). Joules.</summary>
    public required double ComputeEnergyJ { get; init; }
    public required double Macs { get; init; }
    /// <summary>Operators the GPU runs over the whole run (attention's score, softmax and context fused into one).</summary>
    public required long Operators { get; init; }
    /// <summary>Kernels launched over the run: operators x the mode's kernels per operator, rounded.</summary>
    public required long Kernels { get; init; }
    /// <summary>Board energy by operator group (linear, lora, attention, vector, memory), joules.</summary>
    public required IReadOnlyDictionary<string, double> EnergyByGroupJ { get; init; }
    /// <summary>Board energy by decoder layer (index -1 = embedding, final norm and lm_head), joules.</summary>
    public required IReadOnlyDictionary<int, double> EnergyByLayerJ { get; init; }
    public double AveragePowerW => LatencyS > 0 ? EnergyJ / LatencyS : 0;
}

/// <summary>
/// A roofline model of a GPU running the workload's operator graph (Workloads/Graph) in BF16, independent of how
/// the CIM scheduler splits it into tasks. Each operator takes max(FLOPs / (peak x eta_c(rows)), bytes / (BW x
/// eta_b)); attention's score, softmax and context run as one fused kernel (SDPA / flash attention), so the score
/// matrix never goes to memory. Each operator launches the mode's kernels per operator, each with the mode's fixed
/// overhead. The board draws idle power all the time plus dynamic energy per byte and per FLOP, capped at TDP.
/// Equations and calibration: docs/gpu-baseline.md.
/// </summary>
public static class GpuRooflineModel
{
    public static string Group(OperatorKind k) => k switch
    {
        OperatorKind.Projection or OperatorKind.LmHead => "linear",
        OperatorKind.LoraA or OperatorKind.LoraB or OperatorKind.LoraMerge => "lora",
        OperatorKind.KvWrite or OperatorKind.AttentionScore or OperatorKind.Softmax or OperatorKind.AttentionContext => "attention",
        OperatorKind.Embedding => "memory",
        _ => "vector",
    };

    /// <summary>The storage precision the GPU runs the graph in (weights, activations and KV from the preset).</summary>
    public static GraphPrecision Precision(GpuSpec gpu) => new()
    {
        WeightBits = 8 * gpu.WeightBytes,
        LoraWeightBits = 8 * gpu.WeightBytes,
        ActivationBits = 8 * gpu.ActivationBytes,
        KvBits = 8 * gpu.ActivationBytes,
    };

    /// <summary>Operators the GPU launches per step: the graph's, with attention's three fused into one per layer.</summary>
    public static int FusedOperatorsPerStep(OperatorGraph graph) => graph.OperatorsPerStep - 2 * graph.Model.NumLayers;

    /// <summary>Evaluates the graph's workload on <paramref name="gpu"/> in <paramref name="mode"/> (default: the preset's).</summary>
    public static GpuBaselineResult Evaluate(GpuSpec gpu, OperatorGraph graph, GpuExecutionMode? mode = null)
    {
        var m = mode ?? gpu.ExecutionMode;
        var g = new OperatorGraph(graph.Model, graph.Lora, graph.Workload, Precision(gpu), graph.PrefillLogitsForAllTokens);
        var acc = new Accumulator(gpu, gpu.Mode(m));
        acc.Step(g, g.Prefill);
        var ttft = acc.TimeS;
        var prefillEnergy = acc.EnergyJ;
        for (var s = 1; s <= g.DecodeStepCount; s++) acc.Step(g, g.DecodeStep(s));
        return new GpuBaselineResult
        {
            Spec = gpu,
            Mode = m,
            LatencyS = acc.TimeS,
            TtftS = ttft,
            TpotS = g.DecodeStepCount > 0 ? (acc.TimeS - ttft) / g.DecodeStepCount : 0,
            BusyS = acc.BusyS,
            OverheadS = acc.OverheadS,
            EnergyJ = acc.EnergyJ,
            PrefillEnergyJ = prefillEnergy,
            DecodeEnergyJ = acc.EnergyJ - prefillEnergy,
            ComputeEnergyJ = acc.Macs * gpu.ComputeEnergyPjPerMac * 1e-12,
            Macs = acc.Macs,
            Operators = acc.Operators,
            Kernels = (long)Math.Round(acc.Operators * gpu.Mode(m).KernelsPerOperator),
            EnergyByGroupJ = new SortedDictionary<string, double>(acc.ByGroup, StringComparer.Ordinal),
            EnergyByLayerJ = new SortedDictionary<int, double>(acc.ByLayer),
        };
    }

    /// <summary>
    /// Compute efficiency of a matrix product with <paramref name="rows"/> rows: eta_c x rows / (rows + rows_half),
    /// the prefill curve fitted to measurement (docs/gpu-baseline.md).
    /// </summary>
    public static double ComputeEfficiency(GpuSpec gpu, double rows) =>
        gpu.ComputeEfficiency * rows / (rows + gpu.ComputeHalfRows);

    private sealed class Accumulator(GpuSpec gpu, GpuModeSpec mode)
    {
        public double TimeS, BusyS, OverheadS, EnergyJ, Macs;
        public long Operators;
        public readonly Dictionary<string, double> ByGroup = new(StringComparer.Ordinal);
        public readonly Dictionary<int, double> ByLayer = [];
        private readonly double _peakFlops = gpu.PeakTflops * 1e12;
        private readonly double _overheadS = mode.KernelOverheadUs * 1e-6 * mode.KernelsPerOperator;

        public void Step(OperatorGraph g, StepShape step)
        {
            double attnFlops = 0, attnBytes = 0, attnMacs = 0, attnRows = 0;
            foreach (var op in g.Operators(step))
            {
                switch (op.Kind)
                {
                    // Fused attention: Q and K read by the score, V read and the context written by the context
                    // product; the score and softmax matrices stay on chip.
                    case OperatorKind.AttentionScore:
                        attnFlops = op.Flops;
                        attnMacs = op.Macs;
                        attnBytes = op.InputA.Bytes + op.InputB.Bytes;
                        attnRows = op.M;
                        continue;
                    case OperatorKind.Softmax:
                        attnFlops += op.Flops;
                        continue;
                    case OperatorKind.AttentionContext:
                        Kernel(op.Kind, op.Layer, attnFlops + op.Flops, attnBytes + op.InputB.Bytes + op.Output.Bytes,
                            attnMacs + op.Macs, attnRows);
                        continue;
                    default:
                        if (op.M == 0) continue; // a LoRA operator of a layer outside layers_to_transform
                        Kernel(op.Kind, op.Layer, op.Flops, op.BytesRead + op.BytesWritten, op.Macs, op.M);
                        continue;
                }
            }
        }

        private void Kernel(OperatorKind kind, int layer, double flops, double bytes, double macs, double rows)
        {
            var computeS = flops > 0 ? flops / (_peakFlops * ComputeEfficiency(gpu, rows)) : 0;
            var busy = Math.Max(computeS, gpu.MemorySeconds(bytes));
            var time = busy + _overheadS;
            // Idle power over the whole time plus dynamic energy per byte and FLOP, never above TDP.
            var energy = Math.Min(gpu.IdleW * time + gpu.DynamicEnergyJoules(bytes, flops),
                gpu.TdpW * time);
            TimeS += time;
            BusyS += busy;
            OverheadS += _overheadS;
            EnergyJ += energy;
            Macs += macs;
            Operators++;
            var g = Group(kind);
            ByGroup[g] = ByGroup.GetValueOrDefault(g) + energy;
            ByLayer[layer] = ByLayer.GetValueOrDefault(layer) + energy;
        }
    }
}
