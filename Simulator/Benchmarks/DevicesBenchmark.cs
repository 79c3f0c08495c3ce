using System.Diagnostics;
using CimSim.Common.Numerics;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;

namespace CimSim.Simulator.Benchmarks;

/// <summary>
/// `cimsim bench devices`: functional RRAM MVM throughput on a 2048 x 8192 layer (64 tokens) for the
/// statistical and the bit-accurate path, beside raw SGEMM of the same shape measured in the same run.
/// Minimums (issue 2): statistical >= 50 % of raw SGEMM; bit-accurate >= 50 % of raw SGEMM / (DAC steps x
/// weight slices). Best of several repetitions for each, after one warm-up.
/// </summary>
public sealed class DevicesBenchmark : IBenchmark
{
    public string Name => "devices";

    public string Description => "RRAM functional MVM throughput (statistical, bit-accurate) vs raw SGEMM on a 2048x8192 layer, 64 tokens.";

    public int Run(bool quick, TextWriter output)
    {
        int inF = quick ? 512 : 2048, outF = quick ? 1024 : 8192, tokens = quick ? 16 : 64;
        // The default hybrid design's RRAM (bit-serial 1-bit DAC, 8-bit cells, 64 x 64 arrays) with a real 8-bit
        // ADC and the paper's weight noise, so both paths do all their work.
        var spec = new HardwareSpec().Rram;
        spec = spec with { Adc = spec.Adc with { Ideal = false, Bits = 8 } };
        var rng = new System.Random(1);
        var w = new float[outF * inF];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rng.NextDouble() * 2 - 1) * 0.05f;
        var x = new float[tokens * inF];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var y = new float[tokens * outF];

        var sw = Stopwatch.StartNew();
        var layer = RramLinearLayer.Program(w, outF, inF, spec, 1, "bench");
        double programSeconds = sw.Elapsed.TotalSeconds;
        double flops = 2.0 * tokens * inF * outF;
        int steps = layer.Format.DacSteps, slices = layer.Format.SlicesPerWeight;

        double raw = BenchTiming.BestSeconds(() => Blas.Gemm(false, true, tokens, outF, inF, 1f, x, w, 0f, y), quick ? 5 : 20);
        double stat = BenchTiming.BestSeconds(() => layer.Forward(x, y, tokens, RramPath.Statistical), quick ? 5 : 20);
        double bit = BenchTiming.BestSeconds(() => layer.Forward(x, y, tokens, RramPath.BitAccurate), quick ? 2 : 5);

        double rawG = flops / raw / 1e9, statG = flops / stat / 1e9, bitG = flops / bit / 1e9;
        double statRatio = statG / rawG, bitRatio = bitG / (rawG / (steps * slices));
        output.WriteLine($"devices benchmark: layer {inF} in x {outF} out, {tokens} tokens, BLAS {(Blas.IsNative ? Blas.NativeLibraryName : "managed")}, {Environment.ProcessorCount} cores");
        output.WriteLine($"  RRAM: {spec.Array.Rows}x{spec.Array.Cols} arrays, {spec.Array.Encoding} encoding, {steps} DAC steps x {slices} weight slices, {spec.Adc.Bits}-bit ADC, programming {programSeconds * 1e3:F0} ms");
        output.WriteLine($"  {"path",-14} {"ms/call",9} {"GFLOP/s",9} {"ratio",8} {"minimum",8}");
        output.WriteLine($"  {"raw SGEMM",-14} {raw * 1e3,9:F2} {rawG,9:F1} {1.0,8:F3} {"",8}");
        output.WriteLine($"  {"statistical",-14} {stat * 1e3,9:F2} {statG,9:F1} {statRatio,8:F3} {0.5,8:F3}   (vs raw SGEMM)");
        output.WriteLine($"  {"bit-accurate",-14} {bit * 1e3,9:F2} {bitG,9:F1} {bitRatio,8:F3} {0.5,8:F3}   (vs raw SGEMM / {steps * slices})");
        bool ok = statRatio >= 0.5 && bitRatio >= 0.5;
        output.WriteLine(ok ? "  result: both paths meet their minimum" : "  result: BELOW MINIMUM");
        return ok ? 0 : 1;
    }
}
