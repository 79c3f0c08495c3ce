using CimSim.Devices.Config;
using CimSim.Devices.Sram;

namespace CimSim.Tests.Devices.Sram;

public class SramCimLinearLayerTests
{
    [Test]
    public void Forward_LongRowsAtFullScale_EqualsExactIntegerArithmetic()
    {
        // 3000 inputs at +-127 x +-127 give sums beyond 2^24, where a single float GEMM would round.
        const int outF = 3, inF = 3000, tokens = 2;
        var w = new float[outF * inF];
        var x = new float[tokens * inF];
        for (int i = 0; i < w.Length; i++) w[i] = i % 7 == 0 ? -1f : 1f;
        for (int i = 0; i < x.Length; i++) x[i] = i % 5 == 0 ? -1f : 1f;
        var layer = SramCimLinearLayer.Load(w, outF, inF, new SramCimSpec());
        var y = new float[tokens * outF];
        layer.Forward(x, y, tokens);
        float s = 1f / 127;
        long largest = 0;
        for (int t = 0; t < tokens; t++)
            for (int o = 0; o < outF; o++)
            {
                long acc = 0;
                for (int i = 0; i < inF; i++) acc += (long)(127 * x[t * inF + i]) * (long)(127 * w[o * inF + i]);
                largest = Math.Max(largest, Math.Abs(acc));
                Assert.That(y[t * outF + o], Is.EqualTo((float)(acc * (double)s * s)));
            }
        Assert.That(largest, Is.GreaterThan(1 << 24), "the case must exceed float's exact-integer range");
    }
}
