using CimSim.Simulator.Scheduling;

namespace CimSim.Simulator.Gpu;

/// <summary>What the GPU baseline measured, in both accountings, each labelled.</summary>
public sealed record GpuBaselineResult
{
    public required GpuSpec Spec { get; init; }
    /// <summary>Roofline latency of the whole run (prefill + every decode step), seconds.</summary>
    public required double LatencyS { get; init; }
    public required double TtftS { get; init; }
    public required double TpotS { get; init; }
    /// <summary>Roofline time x power model (idle + dynamic): what the board would draw. Joules.</summary>
    public required double EnergyJ { get; init; }
    public required double PrefillEnergyJ { get; init; }
    public required double DecodeEnergyJ { get; init; }
    /// <summary>The paper's accounting: MACs x energy per MAC (TDP / INT8 MAC rate). Joules.</summary>
    public required double ComputeEnergyJ { get; init; }
    public required double Macs { get; init; }
    public required long Kernels { get; init; }
    /// <summary>Board energy by operator group (linear, lora, attention, vector, memory), joules.</summary>
    public required IReadOnlyDictionary<string, double> EnergyByGroupJ { get; init; }
    /// <summary>Board energy by decoder layer (index -1 = embedding, final norm and lm_head), joules.</summary>
    public required IReadOnlyDictionary<int, double> EnergyByLayerJ { get; init; }
    public double AveragePowerW => LatencyS > 0 ? EnergyJ / LatencyS : 0;
}

/// <summary>
/// A roofline model of a GPU on the same operator graph the CIM scheduler plays: every operator is one kernel
/// whose time is max(FLOPs / (peak x eta_c), bytes / (BW x eta_b)) + a fixed per-kernel overhead; the board draws
/// P = P_idle + (P_TDP - P_idle) x u, with u the kernel's achieved fraction of the binding peak. Batch items
/// are batched into each kernel (weights read once per step). Equations and calibration: docs/gpu-baseline.md.
/// </summary>
public static class GpuRooflineModel
{
    public static string Group(TaskKind k) => k switch
    {
        TaskKind.RramMatVec or TaskKind.DigitalMatVec or TaskKind.SramMatVec => "linear",
        TaskKind.LoraA or TaskKind.LoraB => "lora",
        TaskKind.AttentionScore or TaskKind.AttentionValue or TaskKind.KvWrite => "attention",
        TaskKind.Vector => "vector",
        TaskKind.Embedding => "memory",
        _ => "other",
    };

    public static GpuBaselineResult Evaluate(GpuSpec gpu, LayerProgram program)
    {
        var shape = program.Shape;
        var acc = new Accumulator(gpu, shape);
        long b = shape.Batch, p = shape.PromptTokens;
        // Prefill: every prompt token of every item in one pass; logits for the last position only.
        acc.Pass(program, b * p, b, b * (p * (p + 1) / 2), p);
        var ttft = acc.TimeS;
        var prefillEnergy = acc.EnergyJ;
        for (var s = 1; s <= shape.DecodeSteps; s++)
        {
            long kv = p + s;
            acc.Pass(program, b, b, b * kv, kv);
        }
        return new GpuBaselineResult
        {
            Spec = gpu,
            LatencyS = acc.TimeS,
            TtftS = ttft,
            TpotS = shape.DecodeSteps > 0 ? (acc.TimeS - ttft) / shape.DecodeSteps : 0,
            EnergyJ = acc.EnergyJ,
            PrefillEnergyJ = prefillEnergy,
            DecodeEnergyJ = acc.EnergyJ - prefillEnergy,
            ComputeEnergyJ = acc.Macs * gpu.ComputeEnergyPjPerMac * 1e-12,
            Macs = acc.Macs,
            Kernels = acc.Kernels,
            EnergyByGroupJ = new SortedDictionary<string, double>(acc.ByGroup, StringComparer.Ordinal),
            EnergyByLayerJ = new SortedDictionary<int, double>(acc.ByLayer),
        };
    }

    private sealed class Accumulator(GpuSpec gpu, TransformerShape shape)
    {
        public double TimeS, EnergyJ, Macs;
        public long Kernels;
        public readonly Dictionary<string, double> ByGroup = new(StringComparer.Ordinal);
        public readonly Dictionary<int, double> ByLayer = [];

        public void Pass(LayerProgram program, long tokens, long lastTokens, long kvSum, long kvLength)
        {
            double wb = gpu.WeightBytes, ab = gpu.ActivationBytes;
            var peakFlops = gpu.PeakTflops * 1e12;
            var peakBw = gpu.MemoryBandwidthGBs * 1e9;
            foreach (var t in program.Tasks)
            {
                var tok = t.LastTokenOnly ? lastTokens : tokens;
                if (tok == 0 || t.Kind == TaskKind.Transfer) continue; // transfers between tiles have no GPU kernel
                double flops = 0, bytes = 0, macs = 0;
                switch (t.Kind)
                {
                    case TaskKind.RramMatVec:
                    case TaskKind.DigitalMatVec:
                    case TaskKind.SramMatVec:
                    case TaskKind.LoraA:
                    case TaskKind.LoraB:
                        macs = (double)tok * t.In * t.Out;
                        flops = 2 * macs;
                        bytes = (double)t.In * t.Out * wb + tok * (double)(t.In + t.Out) * ab;
                        break;
                    case TaskKind.KvWrite:
                        bytes = tok * (double)t.BitsPerToken / 8 * ab;
                        break;
                    case TaskKind.AttentionScore:
                    case TaskKind.AttentionValue:
                        macs = (double)kvSum * t.In;
                        flops = 2 * macs;
                        bytes = (double)shape.Batch * kvLength * shape.KvDim * ab + 2.0 * tok * shape.QueryDim * ab;
                        break;
                    case TaskKind.Vector:
                    {
                        var elems = t.ScalesWithKv ? (double)kvSum * t.In : (double)tok * t.In;
                        flops = elems * t.OpsPerElement;
                        bytes = 2 * elems * ab;
                        break;
                    }
                    case TaskKind.Embedding:
                        bytes = tok * (double)shape.Hidden * ab;
                        break;
                }
                var busy = Math.Max(flops / (peakFlops * gpu.ComputeEfficiency), bytes / (peakBw * gpu.BandwidthEfficiency));
                var time = busy + gpu.KernelOverheadUs * 1e-6;
                var u = Math.Min(1, Math.Max(flops / (time * peakFlops), bytes / (time * peakBw)));
                var energy = (gpu.IdleW + (gpu.TdpW - gpu.IdleW) * u) * time;
                TimeS += time;
                EnergyJ += energy;
                Macs += macs;
                Kernels++;
                var g = Group(t.Kind);
                ByGroup[g] = ByGroup.GetValueOrDefault(g) + energy;
                ByLayer[t.Layer] = ByLayer.GetValueOrDefault(t.Layer) + energy;
            }
        }
    }
}
