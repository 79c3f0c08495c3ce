using CimSim.Devices.Config;

namespace CimSim.Tests.Devices.Rram;

/// <summary>Small RRAM specs for tests: 16 x 16 arrays, every non-ideality off unless a test turns it on.</summary>
internal static class RramTestSpecs
{
    public static RramNoiseSpec NoiseOff => new() { WeightNoise = new WeightNoiseSpec { Sigma = 0 } };

    /// <summary>adcBits 0 = the ideal (bypassed) ADC; otherwise a real ADC whose full scale never clips.</summary>
    public static RramSpec NoiseFree(WeightEncoding enc = WeightEncoding.Differential, int bitsPerCell = 8, int dacBits = 1, int adcBits = 0, int rows = 16) => new()
    {
        Array = new RramArraySpec { Rows = rows, Cols = 16, BitsPerCell = bitsPerCell, WeightBits = 8, Encoding = enc },
        Dac = new DacSpec { Bits = dacBits, BitSerial = true, InputBits = 8 },
        Adc = new AdcSpec { Ideal = adcBits == 0, Bits = adcBits == 0 ? 8 : adcBits, Range = new AdcRangeSpec { FullScale = AdcFullScaleMode.Max } },
        Noise = NoiseOff,
    };
}
