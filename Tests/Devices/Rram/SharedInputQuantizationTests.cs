using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using static CimSim.Tests.Devices.Rram.RramLinearLayerTests;

namespace CimSim.Tests.Devices.Rram;

/// <summary>
/// <see cref="SharedInputQuantization"/>: layers that read one input inside a scope give exactly the outputs of calls
/// outside it, whatever other quantisations come between, and they do reuse the first call's quantised rows.
/// </summary>
public class SharedInputQuantizationTests
{
    private const int InF = 40, Tokens = 8;

    /// <summary>Default noise (weight noise on), plus read noise and an 8-bit ADC so that the statistical output noise reads the quantised rows too.</summary>
    private static RramFormat Format(int inputBits, bool perTensor, bool outputNoise) => new(new RramSpec
    {
        Array = new RramArraySpec { Rows = 16, Cols = 16 },
        Dac = new DacSpec { InputBits = inputBits, InputQuantization = perTensor ? InputQuantizationGranularity.PerTensor : InputQuantizationGranularity.PerToken },
        Adc = outputNoise ? new AdcSpec { Ideal = false, Bits = 8, Range = new AdcRangeSpec { FullScale = AdcFullScaleMode.Max } } : new AdcSpec(),
        Noise = outputNoise ? new RramNoiseSpec { Read = new ReadNoiseSpec { Sigma = 0.02 } } : new RramNoiseSpec(),
    });

    private static RramLinearLayer Layer(int outF, RramFormat format, int seed) =>
        RramLinearLayer.Program(RandomMatrix(outF * InF, seed), outF, InF, format, (ulong)seed, $"layer{seed}");

    private static float[] Run(RramLinearLayer layer, float[] x, int[] segments, RramPath path)
    {
        int rows = segments.Sum();
        var y = new float[rows * layer.OutFeatures];
        layer.Forward(x.AsSpan(0, rows * InF), y, segments, path, segments.Select((_, i) => (ulong)(10 + i)).ToArray());
        return y;
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (var path in new[] { RramPath.Statistical, RramPath.BitAccurate })
            foreach (var perTensor in new[] { false, true })
                foreach (var outputNoise in new[] { false, true })
                    yield return new TestCaseData(path, perTensor, outputNoise);
    }

    /// <summary>
    /// A sequence of calls in a scope: two layers of one quantiser on the scope's array, a layer of another input width
    /// (6 bits) on it, the first again, one on another array, one with other segments, a signed/unsigned change: each
    /// output equals the same call outside any scope, bit for bit.
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void CallsInAScope_EqualTheSameCallsOutside(RramPath path, bool perTensor, bool outputNoise)
    {
        var f8 = Format(8, perTensor, outputNoise);
        var f6 = Format(6, perTensor, outputNoise);
        var unsigned = new RramFormat(f8.Spec with { Dac = f8.Spec.Dac with { SignedInputs = false } });
        var (a, b, c, d) = (Layer(32, f8, 1), Layer(16, f8, 2), Layer(24, f6, 3), Layer(8, unsigned, 4));
        var x = RandomMatrix(Tokens * InF, 5, 2f);
        var other = RandomMatrix(Tokens * InF, 6, 0.5f);
        int[] split = [3, 5], whole = [Tokens], shorter = [2, 4];
        var calls = new (RramLinearLayer Layer, float[] X, int[] Segments)[]
        {
            (a, x, split), (b, x, split), (c, x, split), (b, x, split), (a, other, split), (a, x, split),
            (b, x, whole), (a, x, split), (d, x, split), (b, x, split), (a, x, shorter), (b, x, shorter),
        };
        var expected = calls.Select(k => Run(k.Layer, k.X, k.Segments, path)).ToList();
        using (SharedInputQuantization.Begin(x))
            for (int i = 0; i < calls.Length; i++)
                Assert.That(Run(calls[i].Layer, calls[i].X, calls[i].Segments, path), Is.EqualTo(expected[i]), $"call {i}");
    }

    /// <summary>
    /// The reuse itself: the scope's contract is that its array is not written while open, so writing it between two
    /// calls shows which rows the second call read. Inside the scope the second layer gives its output for the first
    /// input (the rows were reused); after the scope the new input is quantised again.
    /// </summary>
    [Test]
    public void ASecondLayerInTheScope_ReusesTheFirstCallsQuantisedRows()
    {
        var f = Format(8, false, false);
        var (a, b) = (Layer(32, f, 1), Layer(16, f, 2));
        var x = RandomMatrix(Tokens * InF, 5, 2f);
        var changed = x.Select((v, i) => v * (1 + 0.37f * (i % 7))).ToArray();
        int[] segments = [3, 5];
        var bOnX = Run(b, x, segments, RramPath.Statistical);
        var bOnChanged = Run(b, changed, segments, RramPath.Statistical);
        Assert.That(bOnChanged, Is.Not.EqualTo(bOnX), "the two inputs must quantise differently for this test to mean anything");
        var input = (float[])x.Clone();
        using (SharedInputQuantization.Begin(input))
        {
            Run(a, input, segments, RramPath.Statistical);
            changed.CopyTo(input, 0);
            Assert.That(Run(b, input, segments, RramPath.Statistical), Is.EqualTo(bOnX), "inside the scope: the first call's rows");
        }
        Assert.That(Run(b, input, segments, RramPath.Statistical), Is.EqualTo(bOnChanged), "after the scope: quantised again");
    }
}
