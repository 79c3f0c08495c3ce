using CimSim.Common.Errors;
using CimSim.Workloads.Weights;

namespace CimSim.Tests.Workloads.Weights;

public class SafetensorsTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = FixturePaths.NewScratch();

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static float[] Ramp(int n) => Enumerable.Range(0, n).Select(i => (i - n / 2) * 0.37f).ToArray();

    [Test]
    public void Open_Float32Fixture_ReadsHeaderShapesAndValues()
    {
        using var f = SafetensorsFile.Open(FixturePaths.Of("llama_f32/model.safetensors"));
        var info = f.Info("model.embed_tokens.weight");
        Assert.That(info.DType, Is.EqualTo(TensorDType.F32));
        Assert.That(info.Shape, Is.EqualTo(new long[] { 256, 64 }));
        var data = f.ReadFloat32("model.embed_tokens.weight");
        Assert.That(data, Has.Length.EqualTo(256 * 64));
        Assert.That(data.Any(v => v != 0), Is.True);
        Assert.That(data.All(float.IsFinite), Is.True);
    }

    [TestCase("llama_bf16", TensorDType.BF16)]
    [TestCase("qwen2_f16", TensorDType.F16)]
    public void Open_HalfPrecisionFixture_WidensToFloat32(string model, TensorDType expected)
    {
        using var f = SafetensorsFile.Open(FixturePaths.Of(model + "/model.safetensors"));
        var info = f.Info("model.layers.0.self_attn.q_proj.weight");
        Assert.That(info.DType, Is.EqualTo(expected));
        var w = f.ReadFloat32(info.Name);
        Assert.That(w.All(float.IsFinite) && w.Any(v => v != 0), Is.True);
        // Re-encoding the widened values in the stored dtype gives back the stored bytes.
        Assert.That(SafetensorsWriter.Encode(w, expected), Is.EqualTo(f.RawBytes(info.Name).ToArray()));
    }

    [TestCase(TensorDType.F32)]
    [TestCase(TensorDType.F16)]
    [TestCase(TensorDType.BF16)]
    public void WriteThenRead_EachDType_RoundTripsWithinItsPrecision(TensorDType dtype)
    {
        var a = Ramp(6 * 5);
        var b = new float[] { 1.5f, -2.25f, 0f };
        var path = Path.Combine(_dir, "t.safetensors");
        var w = new SafetensorsWriter();
        w.Metadata["note"] = "round trip";
        w.Add("layer.a", a, [6, 5], dtype).Add("b", b, [3], dtype);
        w.Save(path);
        using var f = SafetensorsFile.Open(path);
        Assert.That(f.Metadata["note"], Is.EqualTo("round trip"));
        Assert.That(f.Info("layer.a").Shape, Is.EqualTo(new long[] { 6, 5 }));
        Assert.That(f.Info("layer.a").DType, Is.EqualTo(dtype));
        var tol = dtype == TensorDType.F32 ? 0f : dtype == TensorDType.F16 ? 1e-3f : 1e-2f;
        var back = f.ReadFloat32("layer.a");
        for (int i = 0; i < a.Length; i++) Assert.That(back[i], Is.EqualTo(a[i]).Within(tol * Math.Max(1f, Math.Abs(a[i]))));
        Assert.That(f.ReadFloat32("b"), Is.EqualTo(b)); // exactly representable in every dtype
    }

    [TestCase(TensorDType.F32)]
    [TestCase(TensorDType.F16)]
    [TestCase(TensorDType.BF16)]
    public void ReadFloat32Range_AnyRangeAcrossReadChunks_TheElementsOfTheWholeRead(TensorDType dtype)
    {
        // 600 x 300 = 180 000 elements after a small tensor: ranges cross the 256 KB chunks of positional reads.
        var a = Ramp(600 * 300);
        var path = Path.Combine(_dir, "r.safetensors");
        new SafetensorsWriter().Add("first", [0.5f, -1f, 2f], [3], dtype).Add("big", a, [600, 300], dtype).Save(path);
        using var f = SafetensorsFile.Open(path);
        var whole = f.ReadFloat32("big");
        foreach (var (first, count) in new[] { (0L, 180_000), (1L, 179_999), (300L * 7, 300 * 250), (179_999L, 1), (65_537L, 70_001), (5L, 0) })
        {
            var part = new float[count];
            f.ReadFloat32Range("big", first, part);
            Assert.That(part, Is.EqualTo(whole.AsSpan((int)first, count).ToArray()), $"[{first}, {first + count})");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadFloat32Range("big", 179_999, new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadFloat32Range("big", -1, new float[1]));
    }

    [Test]
    public void Decode_Bf16_EveryBitPatternBecomesTheFloatWithThoseHighBits()
    {
        // All 65536 patterns, then 7 more so the vectorised loop leaves a scalar tail; starting at an odd element too.
        var bits = Enumerable.Range(0, 65536 + 7).Select(i => (ushort)(i * 40503 % 65536)).ToArray();
        var raw = new byte[bits.Length * 2];
        for (int i = 0; i < bits.Length; i++) BitConverter.TryWriteBytes(raw.AsSpan(2 * i), bits[i]);
        foreach (int start in new[] { 0, 1 })
        {
            var got = new float[bits.Length - start];
            SafetensorsFile.Decode(raw.AsSpan(2 * start), TensorDType.BF16, got);
            for (int i = 0; i < got.Length; i++)
                Assert.That(BitConverter.SingleToUInt32Bits(got[i]), Is.EqualTo((uint)bits[start + i] * 65536u), $"element {start + i}");
        }
    }

    [Test]
    public void Write_SameTensors_GivesIdenticalBytes()
    {
        byte[] Make(bool reversed)
        {
            var w = new SafetensorsWriter();
            var items = new[] { ("x", Ramp(4)), ("y", Ramp(8)) };
            foreach (var (n, d) in reversed ? items.Reverse() : items) w.Add(n, d, [d.Length]);
            return w.ToBytes();
        }
        Assert.That(Make(false), Is.EqualTo(Make(true)));
        Assert.That(BitConverter.ToUInt64(Make(false), 0) % 8, Is.EqualTo(0UL));
    }

    [Test]
    public void Open_TruncatedFile_NamesFileAndTensor()
    {
        var w = new SafetensorsWriter();
        w.Add("first", Ramp(16), [16]).Add("second", Ramp(32), [4, 8]);
        var bytes = w.ToBytes();
        var path = Path.Combine(_dir, "cut.safetensors");
        File.WriteAllBytes(path, bytes[..^20]);
        var ex = Assert.Throws<UserInputException>(() => SafetensorsFile.Open(path))!;
        Assert.That(ex.Message, Does.Contain(path).And.Contain("'second'").And.Contain("truncated"));
        Assert.That(ex.Message, Does.Not.Contain("'first'"));
    }

    [Test]
    public void Open_HeaderLongerThanFile_ReportsTruncation()
    {
        var path = Path.Combine(_dir, "short.safetensors");
        var bytes = new byte[40];
        BitConverter.TryWriteBytes(bytes, 1000UL);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<UserInputException>(() => SafetensorsFile.Open(path))!;
        Assert.That(ex.Message, Does.Contain(path).And.Contain("1000").And.Contain("truncated"));
    }

    [Test]
    public void Open_ShapeDisagreesWithOffsets_NamesTensorAndBothSizes()
    {
        var header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[0,40]},\"v\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[40,41]}}";
        var path = Path.Combine(_dir, "bad.safetensors");
        var h = System.Text.Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + 48];
        BitConverter.TryWriteBytes(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<UserInputException>(() => SafetensorsFile.Open(path))!;
        Assert.That(ex.Message, Does.Contain("'w'").And.Contain("48 bytes").And.Contain("span 40"));
        Assert.That(ex.Problems, Has.Count.EqualTo(2), "both problems reported at once");
        Assert.That(ex.Message, Does.Contain("unknown dtype 'Q7'"));
    }

    [Test]
    public void Info_MissingTensor_NamesTensorAndFile()
    {
        var path = FixturePaths.Of("llama_f32/model.safetensors");
        using var f = SafetensorsFile.Open(path);
        var ex = Assert.Throws<UserInputException>(() => f.Info("model.layers.9.self_attn.q_proj.weight"))!;
        Assert.That(ex.Message, Does.Contain("model.layers.9.self_attn.q_proj.weight").And.Contain(path));
    }

    [Test]
    public void ReadFloat32_WrongExpectedShape_NamesTensorAndBothShapes()
    {
        using var ck = SafetensorsCheckpoint.Open(FixturePaths.Of("llama_f32"));
        var ex = Assert.Throws<UserInputException>(() => ck.ReadFloat32("model.norm.weight", [128], "config.json"))!;
        Assert.That(ex.Message, Does.Contain("model.norm.weight").And.Contain("[64]").And.Contain("[128]").And.Contain("config.json"));
    }

    [Test]
    public void CheckpointOpen_ShardedIndex_FindsTensorsAcrossShards()
    {
        new SafetensorsWriter().Add("a", Ramp(4), [4]).Save(Path.Combine(_dir, "model-00001-of-00002.safetensors"));
        new SafetensorsWriter().Add("b", Ramp(6), [2, 3]).Save(Path.Combine(_dir, "model-00002-of-00002.safetensors"));
        File.WriteAllText(Path.Combine(_dir, "model.safetensors.index.json"),
            "{\"metadata\":{},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        using var ck = SafetensorsCheckpoint.Open(_dir);
        Assert.That(ck.Files, Has.Count.EqualTo(2));
        Assert.That(ck.ReadFloat32("b"), Is.EqualTo(Ramp(6)));
        Assert.That(ck.Info("a").Shape, Is.EqualTo(new long[] { 4 }));
    }
}
