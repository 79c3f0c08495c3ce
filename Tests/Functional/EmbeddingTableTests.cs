using System.Buffers.Binary;
using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Simulator.Functional;
using CimSim.Workloads.Models;
using CimSim.Workloads.Weights;

namespace CimSim.Tests.Functional;

/// <summary>
/// Token embeddings left in the mapped checkpoint (<see cref="EmbeddingTable"/>) and a regenerated lm_head programmed
/// block by block from the file: no float32 copy of either is held (issue 19, memory).
/// </summary>
public class EmbeddingTableTests
{
    private const string Name = "model.embed_tokens.weight";

    /// <summary>Element i of a tensor decoded by hand from its little-endian bytes (independent of the reader's decoder).</summary>
    private static float Stored(ReadOnlySpan<byte> raw, TensorDType dtype, long i) => dtype switch
    {
        TensorDType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(int)(2 * i)..]) << 16),
        TensorDType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(int)(2 * i)..]),
        _ => BinaryPrimitives.ReadSingleLittleEndian(raw[(int)(4 * i)..]),
    };

    [TestCase("llama_bf16")]
    [TestCase("qwen2_f16")]
    [TestCase("llama_f32")]
    public void Mapped_RowsAreTheStoredValuesWidened(string fixture)
    {
        using var file = SafetensorsFile.Open(Path.Combine(FixturePaths.Of(fixture), "model.safetensors"));
        var info = file.Info(Name);
        int rows = (int)info.Shape[0], width = (int)info.Shape[1];
        var table = EmbeddingTable.Mapped(file, Name, rows, width);
        Assert.That(table.IsMapped, Is.True);
        var raw = file.RawBytes(Name);
        var row = new float[width];
        foreach (int token in new[] { 0, 1, 77, rows - 1 })
        {
            table.CopyRow(token, row);
            for (int j = 0; j < width; j++)
                Assert.That(row[j], Is.EqualTo(Stored(raw, info.DType, (long)token * width + j)), $"token {token}, element {j}");
        }
        var block = new float[3 * width];
        table.ReadRows(10, block);
        for (int j = 0; j < block.Length; j++) Assert.That(block[j], Is.EqualTo(Stored(raw, info.DType, 10L * width + j)));
        Assert.That(table.Values(), Is.EqualTo(file.ReadFloat32(Name)));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.CopyRow(rows, row));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.ReadRows(rows - 1, block));
    }

    [TestCase(float.NaN)]
    [TestCase(float.NegativeInfinity)]
    public void Mapped_NonFiniteValue_RefusedNamingTensorAndElement(float value)
    {
        var dir = FixturePaths.NewScratch();
        try
        {
            var path = Path.Combine(dir, "model.safetensors");
            var bytes = File.ReadAllBytes(Path.Combine(FixturePaths.Of("llama_f32"), "model.safetensors"));
            var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            using (var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength)))
            {
                var begin = header.RootElement.GetProperty(Name).GetProperty("data_offsets")[0].GetInt32();
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + headerLength + begin + 4 * (200 * 64 + 5)), value);
            }
            File.WriteAllBytes(path, bytes);
            using var file = SafetensorsFile.Open(path);
            var ex = Assert.Throws<UserInputException>(() => EmbeddingTable.Mapped(file, Name, 256, 64));
            Assert.That(ex!.Message, Does.Contain(Name).And.Contain($"element {200 * 64 + 5}").And.Contain("expected finite weights"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (float[] Logits, FunctionalModel Model) Logits(string fixture, long? cacheBytes)
    {
        var dir = FixturePaths.Of(fixture);
        var cfg = Path.Combine(dir, "config.json");
        using var ck = SafetensorsCheckpoint.Open(dir);
        var hw = new HardwareSpec();
        var model = FunctionalModel.Build(ModelConfigParser.ParseFile(cfg), new CheckpointWeightSource(ck, cfg),
            FunctionalHardware.Placer(hw, 5, RramPath.Statistical, chipCacheBytes: cacheBytes));
        return (new InferenceSession(model, 8).Forward([1, 17, 42, 200, 5, 99, 3, 250]), model);
    }

    [TestCase("llama_f32")]
    [TestCase("qwen2_f16")]
    [TestCase("llama_bf16")]
    public void RegeneratedChip_EmbeddingMappedLmHeadProgrammedFromTheFile_LogitsOfTheHeldChip(string fixture)
    {
        var held = Logits(fixture, null);
        var regenerated = Logits(fixture, 0);
        Assert.That(held.Model.Embedding.IsMapped, Is.False, "a held chip reads the checkpoint once and closes it: embedding held");
        Assert.That(regenerated.Model.Embedding.IsMapped, Is.True, "a regenerated chip keeps the checkpoint open: embedding left in it");
        Assert.That(regenerated.Model.LmHead, Is.InstanceOf<RegeneratingRramLinear>(), "the default plan puts lm_head on RRAM");
        Assert.That(regenerated.Logits, Is.EqualTo(held.Logits));
    }
}
