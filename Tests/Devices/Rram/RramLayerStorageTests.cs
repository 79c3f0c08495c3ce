using CimSim.Devices.Config;
using CimSim.Devices.Rram;

namespace CimSim.Tests.Devices.Rram;

/// <summary>Programming into reused buffers (<see cref="RramLayerStorage"/>) gives the layer fresh arrays give.</summary>
public class RramLayerStorageTests
{
    /// <summary>Two slices (a combined matrix), G-relative read noise (read-variance arrays), weight noise and stuck cells.</summary>
    private static RramFormat Format()
    {
        var rram = new HardwareSpec().Rram;
        rram = rram with
        {
            Array = rram.Array with { BitsPerCell = 4 },
            Noise = rram.Noise with { Read = rram.Noise.Read with { Sigma = 0.02, RelativeTo = ReadNoiseScale.G } },
        };
        return new RramFormat(rram);
    }

    [Test]
    public void Program_IntoStorageAfterALargerLayer_SameOutputsAsFreshArrays()
    {
        var f = Format();
        Assert.That(f.SlicesPerWeight, Is.EqualTo(2));
        int outF = 70, inF = 90, tokens = 3;
        var w = RramLinearLayerTests.RandomMatrix(outF * inF, 5, 0.1f);
        var x = RramLinearLayerTests.RandomMatrix(tokens * inF, 6);
        var fresh = RramLinearLayer.Program(w, outF, inF, f, 9, "rram/test");
        var storage = new RramLayerStorage();
        // A larger layer first leaves longer buffers with other values in them.
        RramLinearLayer.Program(RramLinearLayerTests.RandomMatrix(130 * 100, 7, 0.1f), 130, 100, f, 9, "rram/other", storage);
        var buffer = storage.WeightBuffer(130 * 100);
        Array.Fill(buffer, 123f);
        w.CopyTo(buffer, 0);
        var reused = RramLinearLayer.Program(buffer, outF, inF, f, 9, "rram/test", storage);
        Assert.That(reused.EffectiveWeights(), Is.EqualTo(fresh.EffectiveWeights()));
        Assert.That(reused.Faults, Is.EqualTo(fresh.Faults));
        RramLinearLayerTests.AssertSameOutputs(fresh, reused, x, tokens);
        Assert.That(storage.Floats, Is.GreaterThanOrEqualTo(130L * 100 * 5), "2 slices + 2 read-variance + combined + weights, grown to the larger layer");
    }

    [Test]
    public void Program_LongerArrayThatIsNotTheStoragesBuffer_Refused()
    {
        var f = Format();
        var storage = new RramLayerStorage();
        Assert.Throws<ArgumentException>(() => RramLinearLayer.Program(new float[11], 2, 5, f, 1, "rram/x", storage));
    }
}
