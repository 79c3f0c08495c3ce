using System.Globalization;
using CimSim.Common.Errors;

namespace CimSim.Simulator.Sweeps;

/// <summary>
/// `--shard i/N`: shard i (0-based, as Slurm's SLURM_ARRAY_TASK_ID with --array=0-(N-1)) of N takes the points
/// whose index is i modulo N. Round-robin rather than blocks, so neighbouring (similarly expensive) grid points
/// spread over the shards.
/// </summary>
public readonly record struct ShardSpec(int Index, int Count)
{
    public static readonly ShardSpec All = new(0, 1);

    public bool Contains(SweepPoint point) => point.Index % Count == Index;

    public static ShardSpec Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return All;
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            && n >= 1 && i >= 0 && i < n)
            return new ShardSpec(i, n);
        throw new UserInputException($"--shard '{text}': expected i/N with 0 <= i < N (e.g. 0/4 .. 3/4; in Slurm: $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)");
    }

    public override string ToString() => Index.ToString(CultureInfo.InvariantCulture) + "/" + Count.ToString(CultureInfo.InvariantCulture);
}
