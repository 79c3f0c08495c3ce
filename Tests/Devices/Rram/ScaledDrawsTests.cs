using CimSim.Devices.Rram;

namespace CimSim.Tests.Devices.Rram;

/// <summary>
/// The output- and read-noise adds of the statistical and bit-accurate paths (RramLinearLayer.AddScaledDraws) run four
/// lanes at a time in double; they must give the scalar expressions' values bit for bit, tails and negative variances
/// (clamped at 0) included.
/// </summary>
public class ScaledDrawsTests
{
    private static (float[] Row, float[] Var, double[] Z) Inputs(int n, int seed)
    {
        var rng = new System.Random(seed);
        var row = new float[n];
        var v = new float[n];
        var z = new double[n];
        for (int i = 0; i < n; i++)
        {
            row[i] = (float)((rng.NextDouble() - 0.5) * 1e3);
            v[i] = (float)((rng.NextDouble() - 0.1) * 50); // a tenth negative: clamped to 0
            z[i] = (rng.NextDouble() - 0.5) * 8;
        }
        return (row, v, z);
    }

    [Test]
    public void AddScaledDraws_ConstantSigma_IsTheScalarExpressionBitForBit([Range(0, 37)] int n)
    {
        var (row, _, z) = Inputs(n, n);
        const double sd = 0.7311;
        var expected = row.ToArray();
        for (int o = 0; o < n; o++) expected[o] += (float)(sd * z[o]);
        RramLinearLayer.AddScaledDraws(row, sd, z);
        Assert.That(row, Is.EqualTo(expected));
    }

    [Test]
    public void AddScaledDraws_PerOutputVariance_IsTheScalarExpressionBitForBit([Range(0, 37)] int n, [Values(0.0, 2.5)] double baseVar)
    {
        var (row, v, z) = Inputs(n, 100 + n);
        var expected = row.ToArray();
        for (int o = 0; o < n; o++) expected[o] += (float)(Math.Sqrt(baseVar + Math.Max(0, v[o])) * z[o]);
        RramLinearLayer.AddScaledDraws(row, baseVar, v, z);
        Assert.That(row, Is.EqualTo(expected));
    }
}
