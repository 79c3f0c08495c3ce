using System.Numerics.Tensors;
using CimSim.Common.Errors;
using CimSim.Common.Noise;
using CimSim.Common.Numerics;
using CimSim.Common.Random;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Workloads.Models;
using CimSim.Workloads.NoiseProfiles;
using CimSim.Workloads.Weights;
using Serilog;

namespace CimSim.Simulator.Functional;

/// <summary>What <see cref="NoiseProfileBuilder.Build"/> measures.</summary>
public sealed record NoiseProfileOptions
{
    public required HardwareSpec Hardware { get; init; }

    public required string HardwareName { get; init; }

    /// <summary>A model directory (config.json, safetensors if any) or a preset name.</summary>
    public required string Model { get; init; }

    /// <summary>Chip instance; the same seed gives the same effective weights as `cimsim accuracy` / `infer` with that seed.</summary>
    public ulong Seed { get; init; }

    /// <summary>Probe tokens for the output error (0: skip it).</summary>
    public int ProbeTokens { get; init; } = 16;

    /// <summary>At most this many output rows are probed per module (bit-accurate probing is slow).</summary>
    public int ProbeOutputs { get; init; } = 256;

    /// <summary>Profile only the first N decoder layers (null: all).</summary>
    public int? MaxLayers { get; init; }

    /// <summary>Write every tile's std into the file (large for big models).</summary>
    public bool PerTileValues { get; init; }

    /// <summary>Weighted quantiles come from at most this many weights per module (a fixed-stride sample).</summary>
    public int QuantileSample { get; init; } = 1 << 20;

    public string Generator { get; init; } = "cimsim";
}

/// <summary>
/// Measures the effective weight error of every RRAM-mapped projection from the device model (program each
/// W0 as the chip would, read back W_eff, compare with W), the output error of ADC quantisation on random
/// probes, and fits the Gaussian a trainer should inject (docs/accuracy.md, "Noise profile").
/// </summary>
public static class NoiseProfileBuilder
{
    public static NoiseProfile Build(NoiseProfileOptions o)
    {
        var notes = new List<string>();
        ModelSpec spec;
        IWeightSource source;
        SafetensorsCheckpoint? ck = null;
        if (Directory.Exists(o.Model))
        {
            spec = ModelCatalog.Resolve(o.Model);
            if (SafetensorsCheckpoint.Exists(o.Model))
            {
                ck = SafetensorsCheckpoint.Open(o.Model);
                source = new CheckpointWeightSource(ck, Path.Combine(o.Model, "config.json"));
            }
            else
            {
                source = new RandomWeightSource(o.Seed);
                notes.Add($"{o.Model} holds no safetensors weights: measured on {source.Describe}; real weights have heavier tails, so per-tile max|W| and relative errors differ");
            }
        }
        else if (ModelCatalog.IsPreset(o.Model))
        {
            spec = ModelCatalog.Preset(o.Model);
            source = new RandomWeightSource(o.Seed);
            notes.Add($"preset '{o.Model}' has no weights: measured on {source.Describe}; real weights have heavier tails, so per-tile max|W| and relative errors differ");
        }
        else
        {
            spec = ModelCatalog.Resolve(o.Model); // throws the catalogue's message
            throw new UserInputException($"model '{o.Model}': not found");
        }
        try
        {
            return BuildFrom(o, spec, source, notes);
        }
        finally
        {
            ck?.Dispose();
        }
    }

    private static NoiseProfile BuildFrom(NoiseProfileOptions o, ModelSpec spec, IWeightSource source, List<string> notes)
    {
        var problems = new List<string>();
        int layers = Math.Min(spec.NumLayers, o.MaxLayers ?? int.MaxValue);
        foreach (var (name, shape) in FunctionalModel.ExpectedTensors(spec))
            if (name.EndsWith("_proj.weight", StringComparison.Ordinal) && source.Check(name, shape) is { } p) problems.Add(p);
        if (problems.Count > 0) throw new UserInputException($"model {spec.Name}: {problems.Count} tensor(s) do not match the config", problems);
        if (layers < spec.NumLayers) notes.Add($"only the first {layers} of {spec.NumLayers} decoder layers profiled (--max-layers)");

        var format = new RramFormat(o.Hardware.Rram);
        // The device's noise record fixes the tile the profile's statistics and fits use (one record, chip to trainer).
        int tileRows = format.WeightNoise.TileInputs, tileCols = format.WeightNoise.TileOutputs;
        // Probe formats: noise-free cells with the configured ADC, and with an ideal ADC: their difference is the ADC's own error.
        var quiet = o.Hardware.Rram with { Noise = new RramNoiseSpec { WeightNoise = new WeightNoiseSpec { Sigma = 0 } } };
        var quietFormat = new RramFormat(quiet);
        var quietIdealAdc = new RramFormat(quiet with { Adc = quiet.Adc with { Ideal = true } });
        var modules = new List<ModuleNoise>();
        // One plan: only the matrices the mapping puts on RRAM carry device noise (SRAM and digital are exact).
        var plan = FunctionalPlan.Map(o.Hardware, spec);
        var exact = new List<string>();
        for (int l = 0; l < layers; l++)
        {
            foreach (var m in spec.Projections)
            {
                var name = m.HfPath(l);
                var (inF, outF) = spec.Shape(m);
                var w = source.Read(name + ".weight", [outF, inF]);
                if (plan.TargetOf(name) is { } target && target != ComputeTarget.Rram)
                {
                    // Exact on SRAM / digital: listed with zero error, so a trainer leaves it clean.
                    exact.Add($"{name} ({FunctionalPlan.Name(target)})");
                    modules.Add(Measure(name, l, m, w, w, outF, inF, tileRows, tileCols, o.PerTileValues, o.QuantileSample, new RramFaultCounts()));
                    continue;
                }
                var layer = RramLinearLayer.Program(w, outF, inF, format, o.Seed, "rram/" + name);
                var weff = layer.EffectiveWeights();
                var module = Measure(name, l, m, w, weff, outF, inF, tileRows, tileCols, o.PerTileValues, o.QuantileSample, layer.Faults);
                // The ADC probe converts at the module's own resolution (mapping.adc_bits), as the chip does.
                var bits = plan.AdcBitsOf(name) ?? format.Spec.Adc.Bits;
                if (o.ProbeTokens > 0)
                    module = module with { OutputError = Probe(w, outF, inF, o, format.WithAdcBits(bits), quietFormat.WithAdcBits(bits), quietIdealAdc, name) };
                module = module with { Fit = module.Fit with { OutputSigmaRel = module.OutputError?.AdcStdRel ?? 0 } };
                modules.Add(module);
                Log.Debug("{Name}: tile-relative error std {Std:G4}, stuck {Stuck}", name, module.WeightErrorTile.Std, layer.Faults.Stuck);
            }
            Log.Information("profiled layer {Layer} of {Layers}", l + 1, layers);
        }
        if (exact.Count > 0) notes.Add($"{exact.Count} module(s) mapped off RRAM are exact (zero error listed): {string.Join(", ", exact.Take(8))}{(exact.Count > 8 ? ", ..." : "")}");
        if (plan.TargetOf(FunctionalPlan.LmHeadName) == ComputeTarget.Rram)
            notes.Add("lm_head is mapped on RRAM (its device error is in `cimsim accuracy`); the profile covers the projections a LoRA trainer perturbs");
        return new NoiseProfile
        {
            Generator = o.Generator,
            Source = new NoiseProfileSource
            {
                Hardware = o.HardwareName,
                Model = o.Model,
                Weights = source.Kind,
                RandomWeights = source is RandomWeightSource ? source.Describe : null,
                Seed = o.Seed,
                DevicePath = "bit_accurate",
                TileRows = tileRows,
                TileColumns = tileCols,
                ProbeTokens = o.ProbeTokens,
            },
            Recommended = Pool(modules, tileRows, tileCols),
            Modules = modules,
            Notes = notes,
        };
    }

    /// <summary>Pooled Gaussian over all modules, weighted by their weight counts.</summary>
    private static NoiseModel Pool(List<ModuleNoise> modules, int tileRows, int tileCols)
    {
        double n = 0, sumMean = 0, sumSq = 0, outSq = 0;
        foreach (var m in modules)
        {
            double c = (double)m.InFeatures * m.OutFeatures;
            n += c;
            sumMean += c * m.Fit.Mean;
            sumSq += c * (m.Fit.Sigma * m.Fit.Sigma + m.Fit.Mean * m.Fit.Mean);
            outSq += c * m.Fit.OutputSigmaRel * m.Fit.OutputSigmaRel;
        }
        if (n == 0) return new NoiseModel { TileInputs = tileRows, TileOutputs = tileCols };
        double mean = sumMean / n;
        return new NoiseModel
        {
            Sigma = Math.Sqrt(Math.Max(0, sumSq / n - mean * mean)),
            Mean = mean,
            OutputSigmaRel = Math.Sqrt(outSq / n),
            TileInputs = tileRows,
            TileOutputs = tileCols,
        };
    }

    internal static ModuleNoise Measure(string name, int layerIndex, LinearModule m, float[] w, float[] weff, int outF, int inF,
        int tileRows, int tileCols, bool perTile, int sampleCap, RramFaultCounts faults)
    {
        float layerMax = Math.Abs(TensorPrimitives.MaxMagnitude(w));
        // Tiles as the crossbar holds them: tile_rows input features (columns of the [out, in] matrix) by
        // tile_cols output features (its rows), the device's orientation (RramLinearLayer's weight noise).
        var tileMax = TileMaxAbs.PerTile(w, outF, inF, tileRows, tileCols);
        var (tr, tc) = TileMaxAbs.Grid(outF, inF, tileRows, tileCols);
        var tileStd = new double[tr * tc];
        long n = w.Length;
        int stride = (int)Math.Max(1, (n + sampleCap - 1) / sampleCap);
        var sampleTile = new List<float>((int)Math.Min(n, sampleCap) + 1);
        var sampleLayer = new List<float>((int)Math.Min(n, sampleCap) + 1);
        double sumT = 0, sumT2 = 0, sumL = 0, sumL2 = 0, maxT = 0, maxL = 0;
        long counted = 0;
        for (int bo = 0; bo < tr; bo++)
            for (int bi = 0; bi < tc; bi++)
            {
                int o0 = bo * tileCols, o1 = Math.Min(outF, o0 + tileCols), i0 = bi * tileRows, i1 = Math.Min(inF, i0 + tileRows);
                float tmax = tileMax[bo * tc + bi];
                double ts = 0, ts2 = 0;
                int tn = 0;
                for (int o = o0; o < o1; o++)
                    for (int i = i0; i < i1; i++)
                    {
                        long idx = (long)o * inF + i;
                        double e = weff[idx] - w[idx];
                        double et = tmax > 0 ? e / tmax : 0, el = layerMax > 0 ? e / layerMax : 0;
                        ts += et;
                        ts2 += et * et;
                        tn++;
                        sumT += et; sumT2 += et * et; sumL += el; sumL2 += el * el;
                        maxT = Math.Max(maxT, Math.Abs(et));
                        maxL = Math.Max(maxL, Math.Abs(el));
                        if (idx % stride == 0)
                        {
                            sampleTile.Add((float)et);
                            sampleLayer.Add((float)el);
                        }
                    }
                counted += tn;
                double tm = ts / tn;
                tileStd[bo * tc + bi] = Math.Sqrt(Math.Max(0, ts2 / tn - tm * tm));
            }
        double meanT = sumT / counted, meanL = sumL / counted;
        double stdT = Math.Sqrt(Math.Max(0, sumT2 / counted - meanT * meanT)), stdL = Math.Sqrt(Math.Max(0, sumL2 / counted - meanL * meanL));
        var sortedTiles = tileStd.OrderBy(x => x).ToArray();
        double tilesMean = tileStd.Average();
        return new ModuleNoise
        {
            Name = name,
            Layer = layerIndex,
            Module = m.HfName(),
            InFeatures = inF,
            OutFeatures = outF,
            MaxAbsWeight = layerMax,
            WeightErrorTile = new ErrorStatistics { RelativeTo = NoiseScale.Tile, Mean = meanT, Std = stdT, Quantiles = QuantilesOf(sampleTile), MaxAbs = maxT },
            WeightErrorLayer = new ErrorStatistics { RelativeTo = NoiseScale.Layer, Mean = meanL, Std = stdL, Quantiles = QuantilesOf(sampleLayer), MaxAbs = maxL },
            TileStd = new TileSpread(tileStd.Length, tilesMean,
                Math.Sqrt(tileStd.Sum(x => (x - tilesMean) * (x - tilesMean)) / Math.Max(1, tileStd.Length - 1)),
                sortedTiles[0], Quantile(sortedTiles, 0.5), Quantile(sortedTiles, 0.95), sortedTiles[^1]),
            TileStdValues = perTile ? tileStd : null,
            StuckAt = new StuckAtCounts(faults.Cells, faults.StuckAtGmin, faults.StuckAtGmax),
            Fit = new NoiseModel { Scale = NoiseScale.Tile, Sigma = stdT, Mean = meanT, TileInputs = tileRows, TileOutputs = tileCols },
        };
    }

    private static Quantiles QuantilesOf(List<float> sample)
    {
        var s = sample.Select(x => (double)x).OrderBy(x => x).ToArray();
        return new Quantiles(Quantile(s, 0.01), Quantile(s, 0.05), Quantile(s, 0.25), Quantile(s, 0.5), Quantile(s, 0.75), Quantile(s, 0.95), Quantile(s, 0.99));
    }

    /// <summary>Linear interpolation between order statistics (numpy's default).</summary>
    private static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return 0;
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(sorted.Length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    private static OutputError Probe(float[] w, int outF, int inF, NoiseProfileOptions o, RramFormat full, RramFormat quiet, RramFormat quietIdealAdc, string name)
    {
        int rows = Math.Min(outF, o.ProbeOutputs), tokens = o.ProbeTokens;
        var sub = w.AsSpan(0, rows * inF).ToArray();
        var x = new float[tokens * inF];
        var g = new CimSim.Devices.Numerics.Gaussian(RandomStreams.Create(o.Seed, "noise-profile/probe/" + name));
        g.AddScaled(x, 1.0);
        var exact = new float[tokens * rows];
        CimSim.Common.Numerics.Blas.Gemm(false, true, tokens, rows, inF, 1f, x, sub, 0f, exact);
        // A calibrated (or clipping) ADC sets its ranges on a separate probe draw, as a chip calibrates before use.
        var calibration = new float[tokens * inF];
        new CimSim.Devices.Numerics.Gaussian(RandomStreams.Create(o.Seed, "noise-profile/calibration/" + name)).AddScaled(calibration, 1.0);
        float[] Run(RramFormat f, out RramLinearLayer layer)
        {
            layer = RramLinearLayer.Program(sub, rows, inF, f, o.Seed, "rram/" + name);
            if (layer.NeedsAdcCalibration) layer.CalibrateAdc(calibration, tokens);
            var y = new float[tokens * rows];
            layer.Forward(x, y, tokens, RramPath.BitAccurate, 0);
            return y;
        }
        var yQuiet = Run(quiet, out var quietLayer);
        var yQuietIdeal = Run(quietIdealAdc, out _);
        var yFull = Run(full, out _);
        double Rms(float[] a, float[] b)
        {
            double s = 0;
            for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (double)(a[i] - b[i]);
            return Math.Sqrt(s / a.Length);
        }
        double signalIdeal = Math.Sqrt(TensorPrimitives.Dot(yQuietIdeal, yQuietIdeal) / yQuietIdeal.Length);
        double signal = Math.Sqrt(TensorPrimitives.Dot(exact, exact) / exact.Length);
        double total = Rms(yFull, exact);
        var (conv, clipped) = quietLayer.AdcStatistics;
        return new OutputError
        {
            AdcStdRel = signalIdeal > 0 ? Rms(yQuiet, yQuietIdeal) / signalIdeal : 0,
            TotalStdRel = signal > 0 ? total / signal : 0,
            TotalSnrDb = total > 0 && signal > 0 ? 20 * Math.Log10(signal / total) : 0,
            ProbedOutputs = rows,
            AdcClippedFraction = conv > 0 ? (double)clipped / conv : 0,
        };
    }
}
