using CimSim.Common.Errors;
using CimSim.Workloads.NoiseProfiles;
using static TorchSharp.torch;

namespace CimSim.Training.Noise;

/// <summary>
/// Weight noise from a CimSim noise profile (`cimsim noise-profile`, docs/noise-profile.schema.json): each module
/// gets the Gaussian fitted to its own measured weight error (W_noisy = W + (mean + sigma z) x scale(W), scale
/// tile/layer max|W| or |w|); modules the profile does not list get the profile's recommended fit. The optional
/// output-noise term (ADC quantisation, OutputSigmaRel) is not injected: the trainer perturbs weights only.
/// </summary>
public sealed class NoiseProfileNoise : IWeightNoise
{
    private readonly Dictionary<string, GaussianWeightNoise> byModule = new(StringComparer.Ordinal);
    private readonly GaussianWeightNoise recommended;
    private readonly string source;

    public NoiseProfileNoise(NoiseProfile profile, string source)
    {
        this.source = source;
        recommended = FromFit(profile.Recommended, $"{source}: recommended");
        foreach (var m in profile.Modules) byModule[m.Name] = FromFit(m.Fit, $"{source}: module {m.Name}");
        Profile = profile;
    }

    public NoiseProfile Profile { get; }

    public static NoiseProfileNoise Load(string path) => new(NoiseProfileJson.Read(path), path);

    public static GaussianWeightNoise FromFit(NoiseModelFit fit, string where)
    {
        if (fit.Kind != "gaussian") throw new UserInputException($"{where}: noise kind '{fit.Kind}', expected gaussian");
        var scope = fit.Scale switch
        {
            NoiseScale.TileMaxAbs => SigmaScope.Tile,
            NoiseScale.LayerMaxAbs => SigmaScope.Layer,
            NoiseScale.WeightAbs => SigmaScope.Weight,
            _ => throw new UserInputException($"{where}: scale '{fit.Scale}', expected one of {string.Join(", ", NoiseScale.All)}"),
        };
        return new GaussianWeightNoise(fit.Sigma, scope, mean: fit.Mean, tileInputs: fit.TileRows, tileOutputs: fit.TileColumns);
    }

    /// <summary>
    /// Refuses a profile naming modules the model does not have (issue 14, defect 6: they were accepted silently, so a
    /// profile of another model trained with the recommended fit everywhere).
    /// </summary>
    public void CheckModules(IEnumerable<string> modelModules) => CheckModules(byModule.Keys, modelModules, source);

    /// <summary>Throws naming the profile modules that are not among <paramref name="modelModules"/>.</summary>
    public static void CheckModules(IEnumerable<string> profileModules, IEnumerable<string> modelModules, string source)
    {
        var known = modelModules.ToHashSet(StringComparer.Ordinal);
        var unknown = profileModules.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count == 0) return;
        throw new UserInputException($"{source}: {unknown.Count} module(s) not in the model, e.g. {string.Join(", ", unknown.Take(3))}; " +
                                     $"expected Hugging Face module paths such as {known.Order(StringComparer.Ordinal).FirstOrDefault()}");
    }

    /// <summary>The noise model applied to <paramref name="modulePath"/>.</summary>
    public GaussianWeightNoise For(string modulePath) => byModule.TryGetValue(modulePath, out var n) ? n : recommended;

    public string Describe() => $"noise profile {source} ({byModule.Count} modules; recommended {recommended.Describe()})";

    public Tensor? Sample(string modulePath, Tensor weight, Generator generator) => For(modulePath).Sample(modulePath, weight, generator);
}
