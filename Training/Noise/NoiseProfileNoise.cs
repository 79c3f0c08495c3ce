using CimSim.Common.Errors;
using CimSim.Common.Noise;
using CimSim.Workloads.Models;
using CimSim.Workloads.NoiseProfiles;
using static TorchSharp.torch;

namespace CimSim.Training.Noise;

/// <summary>
/// Weight noise from a CimSim noise profile (`cimsim noise-profile`, docs/noise-profile.schema.json): each module
/// gets the Gaussian fitted to its own measured weight error (W_noisy = W + (mean + sigma z) x scale(W), scale
/// tile/layer max|W| or |w|); modules the profile does not list get the profile's recommended fit.
/// <see cref="CheckAgainst"/> refuses a profile measured on another model (names or shapes) and a profile with
/// output (ADC) noise, which the trainer does not inject (it perturbs weights only), unless told to proceed.
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

    /// <summary>
    /// Checks the profile against the model being trained: every profiled module must be a projection of
    /// <paramref name="model"/> with the same [in, out] shape, and every projection must be profiled; output noise
    /// must be zero. Throws a <see cref="UserInputException"/> listing every mismatch unless
    /// <paramref name="allowPartial"/> (then mismatched modules fall back to the recommended fit, with the returned
    /// warnings); output noise is refused unless <paramref name="ignoreOutputNoise"/>. Returns warning lines.
    /// </summary>
    public IReadOnlyList<string> CheckAgainst(ModelSpec model, bool allowPartial, bool ignoreOutputNoise)
    {
        var expected = new Dictionary<string, (int In, int Out)>(StringComparer.Ordinal);
        for (int l = 0; l < model.NumLayers; l++)
            foreach (var m in LinearModules.All) expected[m.HfPath(l)] = model.Shape(m);
        var problems = new List<string>();
        foreach (var m in Profile.Modules)
        {
            if (!expected.TryGetValue(m.Name, out var shape))
                problems.Add($"profile module '{m.Name}' is not a projection of {model.Name} ({model.NumLayers} layers)");
            else if (shape != (m.InFeatures, m.OutFeatures))
                problems.Add($"profile module '{m.Name}' is [in {m.InFeatures}, out {m.OutFeatures}], the model's is [in {shape.In}, out {shape.Out}]");
            else continue;
            byModule.Remove(m.Name);
        }
        var profiled = Profile.Modules.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Keys.Where(k => !profiled.Contains(k)).ToList();
        if (missing.Count > 0)
            problems.Add($"{missing.Count} projection(s) of the model are not in the profile: {string.Join(", ", missing.Take(8))}{(missing.Count > 8 ? ", ..." : "")}");
        if (problems.Count > 0 && !allowPartial)
            throw new UserInputException($"{source}: noise profile does not match model {model.Name} ({problems.Count} mismatch(es)); pass --allow-partial-profile to train anyway (those modules get the recommended fit)", problems);

        var warnings = problems.Select(p => $"{source}: {p}; using the recommended fit").ToList();
        var withOutput = Profile.Modules.Where(m => m.Fit.OutputSigmaRel > 0).ToList();
        double maxOut = withOutput.Select(m => m.Fit.OutputSigmaRel).Append(Profile.Recommended.OutputSigmaRel).Max();
        if (maxOut > 0)
        {
            var what = $"{source}: the profile carries output (ADC) noise (output_sigma_rel up to {maxOut:G3} on {withOutput.Count} module(s)), which the trainer does not inject (it perturbs W0 only)";
            if (!ignoreOutputNoise)
                throw new UserInputException(what + "; pass --ignore-output-noise to train with the weight noise alone, or measure the profile with rram.adc.ideal=true");
            warnings.Add(what + "; ignored (--ignore-output-noise)");
        }
        return warnings;
    }

    public static NoiseProfileNoise Load(string path) => new(NoiseProfileJson.Read(path), path);

    public static GaussianWeightNoise FromFit(NoiseModel fit, string where) => new(fit, where);

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
