using CimSim.Devices.Config;
using CimSim.Devices.Rram;

namespace CimSim.Tests.Devices.Rram;

/// <summary>
/// <see cref="InputQuantizer.Quantize"/> against its definition evaluated one element at a time (docs/devices.md,
/// "DAC"): a_t = max|x[t,:]| / Q (or over the whole call, per tensor), xq = clamp(round_half_even(x / a), Q_min, Q).
/// </summary>
public class InputQuantizerTests
{
    [TestCase(true, false, 37, 5)]
    [TestCase(true, true, 37, 5)]
    [TestCase(false, false, 8, 3)]
    [TestCase(true, false, 2048, 64)] // 128 Ki elements: the rows run on all cores
    [TestCase(false, true, 3000, 40)]
    public void Quantize_EqualsDefinitionElementByElement(bool signed, bool perTensor, int inF, int tokens)
    {
        var spec = RramTestSpecs.NoiseFree();
        spec = spec with { Dac = spec.Dac with { SignedInputs = signed, InputQuantization = perTensor ? InputQuantizationGranularity.PerTensor : InputQuantizationGranularity.PerToken } };
        var f = new RramFormat(spec);
        var r = new System.Random(inF * 31 + tokens);
        var x = new float[tokens * inF];
        for (int i = 0; i < x.Length; i++) x[i] = (float)((r.NextDouble() * 2 - 1) * 3);
        // Exact ties of x / a at +-k.5 (the row max pinned to Q so a = 1 on row 1), and a zero row.
        if (tokens > 2 && !perTensor)
        {
            x.AsSpan(inF, inF).Clear();
            x[inF] = f.InputQMax;
            for (int i = 1; i < Math.Min(inF, 9); i++) x[inF + i] = (i % 2 == 0 ? -1 : 1) * (i + 0.5f);
            x.AsSpan(2 * inF, inF).Clear();
        }
        var xq = new float[x.Length];
        var scales = InputQuantizer.Quantize(x, tokens, inF, f, xq);

        float globalMax = x.Max(Math.Abs);
        for (int t = 0; t < tokens; t++)
        {
            float rowMax = perTensor ? globalMax : x.AsSpan(t * inF, inF).ToArray().Max(Math.Abs);
            float a = rowMax / f.InputQMax;
            Assert.That(scales[t], Is.EqualTo(a), $"scale of row {t}");
            for (int i = 0; i < inF; i++)
            {
                float expected = a == 0 ? 0 : Math.Clamp(MathF.Round(x[t * inF + i] / a, MidpointRounding.ToEven), f.InputQMin, f.InputQMax);
                if (xq[t * inF + i] != expected) Assert.Fail($"row {t}, element {i}: x {x[t * inF + i]:R}, a {a:R}: got {xq[t * inF + i]:R}, expected {expected:R}");
            }
        }
        if (tokens > 2 && !perTensor)
        {
            Assert.That(xq[inF + 1], Is.EqualTo(2f), "1.5 rounds to 2 (half to even)");
            Assert.That(xq[inF + 2], Is.EqualTo(signed ? -2f : 0f), "-2.5 rounds to -2 (signed), clips to 0 (unsigned)");
            Assert.That(scales[2], Is.EqualTo(0f), "a zero row has scale 0");
        }
        if (!signed) Assert.That(xq.Min(), Is.EqualTo(0f), "unsigned inputs clip negatives to 0");
    }
}
