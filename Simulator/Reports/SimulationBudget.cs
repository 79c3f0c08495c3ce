using CimSim.Common.Errors;
using CimSim.Workloads.Models;
using Serilog;

namespace CimSim.Simulator.Reports;

/// <summary>
/// The workload bounds of `simulate` and `sweep`, in one place (issue 14, defect 4: simulate ran --prompt 1e9 and
/// 512 + 512 tokens on a 128-position model that sweep rejected, and --batch 100000 ran on past 2 GB). The workload is
/// validated against the model (prompt + generated tokens within max_position_embeddings, batch within
/// <see cref="MaxBatch"/>), the simulator's memory is estimated and printed before a long run, and a run whose estimate
/// exceeds the memory available to the process is refused before it starts.
/// </summary>
public static class SimulationBudget
{
    /// <summary>Largest batch (sequences played together); 2^16 is above any serving batch the references use.</summary>
    public const int MaxBatch = 1 << 16;

    /// <summary>Estimate above which the estimate is printed at information level (a run of a minute or more).</summary>
    public const long ReportAboveBytes = 256L << 20;

    /// <summary>
    /// Simulator memory, bytes: a fixed 64 MiB (runtime, model, mapping) + 4 KiB per sequence and layer (per-sequence
    /// task state) + 256 B per layer and token position (the shared decode schedule). Fitted on qwen2.5-0.5b
    /// (24 layers): batch 1/100/1000 at 64 + 16 tokens peaked at 62/83/152 MB, 64 + 1024 tokens at 81 MB (GNU time %M).
    /// </summary>
    public static long EstimatedBytes(WorkloadSpec w, ModelSpec m) =>
        (64L << 20) + (long)w.Batch * m.NumLayers * 4096 + (long)m.NumLayers * (w.PromptTokens + w.GeneratedTokens) * 256;

    /// <summary>Validates <paramref name="w"/> for <paramref name="m"/>; throws a <see cref="UserInputException"/> listing every problem.</summary>
    public static WorkloadSpec Check(WorkloadSpec w, ModelSpec m)
    {
        w.Validated(m.MaxPositionEmbeddings);
        if (w.Batch > MaxBatch)
            throw new UserInputException($"--batch: found {w.Batch}; expected at most {MaxBatch} sequences");
        var bytes = EstimatedBytes(w, m);
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && bytes > available * 8 / 10)
            throw new UserInputException(
                $"--batch {w.Batch} x (--prompt {w.PromptTokens} + --generate {w.GeneratedTokens}) on {m.Name}: the simulator would need about {Mib(bytes)} MiB, " +
                $"more than 80 % of the {Mib(available)} MiB available; expected a smaller batch or fewer tokens");
        if (bytes > ReportAboveBytes)
            Log.Information("workload: {Batch} x ({Prompt} + {Generate}) tokens on {Layers} layers; estimated simulator memory {Mib} MiB (this run may take minutes)",
                w.Batch, w.PromptTokens, w.GeneratedTokens, m.NumLayers, Mib(bytes));
        return w;
    }

    private static long Mib(long bytes) => bytes >> 20;
}
