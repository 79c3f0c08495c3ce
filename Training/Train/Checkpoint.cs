using System.Text;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using static TorchSharp.torch;

namespace CimSim.Training.Train;

/// <summary>
/// A resumable training state: the trainable tensors, AdamW's moments and step count, and the step number, in one
/// binary file written atomically (float32 little-endian, shapes and names checked on load). Batches, dropout masks
/// and weight noise are pure functions of (seed, step), so these tensors are all a resumed run needs to continue
/// exactly where the uninterrupted one would be.
/// </summary>
public static class Checkpoint
{
    private const string Magic = "CIMSIM-TRAIN-CKPT-1";
    public const string FileName = "train_state.bin";

    public static void Save(string path, int nextStep, string fingerprint, IReadOnlyList<(string Name, Tensor T)> tensors, long adamSteps)
    {
        AtomicFile.Write(path, s =>
        {
            using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(fingerprint);
            w.Write(nextStep);
            w.Write(adamSteps);
            w.Write(tensors.Count);
            foreach (var (name, t) in tensors)
            {
                w.Write(name);
                w.Write(t.shape.Length);
                foreach (var d in t.shape) w.Write(d);
                using var c = t.detach().to_type(ScalarType.Float32).contiguous();
                var data = c.data<float>().ToArray();
                var bytes = new byte[data.Length * 4];
                Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
                w.Write(bytes);
            }
        });
    }

    /// <summary>Restores the tensors in place; returns (next step, AdamW step count).</summary>
    public static (int NextStep, long AdamSteps) Load(string path, string fingerprint, IReadOnlyList<(string Name, Tensor T)> tensors)
    {
        using var s = File.OpenRead(path);
        using var r = new BinaryReader(s, Encoding.UTF8);
        if (r.ReadString() != Magic) throw new UserInputException($"{path}: not a cimsim-train checkpoint");
        var fp = r.ReadString();
        if (fp != fingerprint)
            throw new UserInputException($"{path}: written with different training options; found [{fp}], expected [{fingerprint}] (only --steps may change on resume)");
        var next = r.ReadInt32();
        var adam = r.ReadInt64();
        var count = r.ReadInt32();
        if (count != tensors.Count) throw new UserInputException($"{path}: holds {count} tensors, expected {tensors.Count}");
        using var _ = no_grad();
        foreach (var (name, t) in tensors)
        {
            var n = r.ReadString();
            var rank = r.ReadInt32();
            var shape = new long[rank];
            for (var i = 0; i < rank; i++) shape[i] = r.ReadInt64();
            if (n != name || !shape.SequenceEqual(t.shape))
                throw new UserInputException($"{path}: tensor '{n}' [{string.Join(", ", shape)}], expected '{name}' [{string.Join(", ", t.shape)}]");
            var len = shape.Aggregate(1L, (a, b) => a * b);
            var bytes = r.ReadBytes(checked((int)(len * 4)));
            var data = new float[len];
            Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
            using var src = tensor(data, shape).to_type(t.dtype);
            t.copy_(src);
        }
        return (next, adam);
    }
}
