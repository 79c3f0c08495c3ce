using System.Security.Cryptography;
using System.Text;
using CimSim.Devices.Config;
using CimSim.Mapping;
using CimSim.Simulator.Reports;
using CimSim.Workloads.Models;

namespace CimSim.Simulator.Sweeps;

/// <summary>One point's accuracy: a fraction in [0, 1], further columns (perplexity, ...), and a report section.</summary>
public sealed record AccuracyMeasurement(double Accuracy, IReadOnlyList<PointMetric> Extra, IReportSection? Section);

/// <summary>
/// Measures the accuracy of one sweep point's hardware (the `--accuracy --data FILE` column). Must be
/// thread-safe and deterministic.
/// </summary>
public interface IAccuracyProbe
{
    /// <summary>Text that identifies the probe's inputs (data file hash, seed, ...), part of the sweep's identity.</summary>
    string Identity { get; }

    AccuracyMeasurement Measure(HardwareSpec hardware, CancellationToken cancellationToken);
}

/// <summary>
/// The real sweep evaluator: loads the base hardware config with the point's overrides (full validation, every
/// problem at once), runs <see cref="SimulationRunner"/> on it, and returns the report's headline numbers as
/// metrics plus report.json and report.md. A config that fails validation or a model that does not fit is an
/// Invalid point (the runner turns the UserInputException into a row with its reason).
/// </summary>
public sealed class SimulationPointEvaluator : IPointEvaluator
{
    /// <summary>Config paths accepted besides the declared keys: the resistance spellings the loader converts (G = 1/R).</summary>
    public static readonly IReadOnlyList<string> AliasPaths = ["rram.device.r_on_ohm", "rram.device.r_off_ohm"];

    private static readonly HashSet<string> ValuePaths =
        ConfigSchema.AllKeys.Where(k => !k.IsSection).Select(k => k.Path).Concat(AliasPaths).ToHashSet(StringComparer.Ordinal);

    private readonly SimulationRequest _request;
    private readonly ModelSpec _model;
    private readonly LoraSpec? _lora;
    private readonly WorkloadSpec _workload;
    private readonly IAccuracyProbe? _accuracy;

    /// <param name="request">The simulate flags shared by every point; <see cref="SimulationRequest.Overrides"/> are applied before each point's own.</param>
    public SimulationPointEvaluator(SimulationRequest request, IAccuracyProbe? accuracy = null)
    {
        _request = request;
        _model = request.ModelSpec ?? ModelCatalog.Resolve(request.Model);
        _lora = request.LoraRank > 0 ? LoraSpec.FromFlags(request.LoraRank, request.LoraTargets) : null;
        _workload = SimulationBudget.Check(new WorkloadSpec(request.Batch, request.PromptTokens, request.GeneratedTokens), _model);
        _accuracy = accuracy;
    }

    /// <summary>What makes two sweeps the same (for sweep.json): file contents, not paths, so shards on other machines agree.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Identity()
    {
        var r = _request;
        var id = new List<KeyValuePair<string, string>>
        {
            new("cimsim_version", typeof(SimulationPointEvaluator).Assembly.GetName().Version?.ToString() ?? "?"),
            new("hw_config_sha256", FileHash(r.HardwarePath)),
            new("base_overrides", string.Join(" ", r.Overrides)),
            new("model", _model.Name),
            new("prompt_tokens", r.PromptTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("generate_tokens", r.GeneratedTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("batch", r.Batch.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("lora", r.LoraRank == 0 ? "none" : $"r={r.LoraRank} on {r.LoraTargets}"),
            new("gpu", File.Exists(r.Gpu) ? "file sha256 " + FileHash(r.Gpu) : r.Gpu),
            new("prefill_chunk_tokens", r.PrefillChunkTokens.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (_accuracy is not null) id.Add(new("accuracy", _accuracy.Identity));
        return id;
    }

    public static string FileHash(string path) =>
        File.Exists(path) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))) : "(missing: " + path + ")";

    public string? CheckParameterPath(string path)
    {
        if (ValuePaths.Contains(path)) return null;
        // A per-module placement or ADC-bits pattern (docs/mapping.md, docs/configuration.md); the config loader checks the glob and the value per point.
        if (path.StartsWith(PlacementGroup.PlacementPrefix, StringComparison.Ordinal) && path.Length > PlacementGroup.PlacementPrefix.Length) return null;
        if (path.StartsWith(PlacementGroup.AdcBitsPrefix, StringComparison.Ordinal) && path.Length > PlacementGroup.AdcBitsPrefix.Length) return null;
        var section = ConfigSchema.AllKeys.FirstOrDefault(k => k.IsSection && k.Path == path);
        if (section is not null)
            return $"'{path}' is a config section, not a value; sweep one of its keys, e.g. "
                + string.Join(", ", ValuePaths.Where(p => p.StartsWith(path + ".", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Take(4).Select(p => $"'{p}'"));
        var near = ConfigSchema.Nearest(path, ValuePaths);
        return $"'{path}' is not a hardware config key" + (near is not null ? $"; did you mean '{near}'?" : "; see docs/configuration.md for the keys");
    }

    public PointOutcome Evaluate(SweepPoint point, CancellationToken cancellationToken)
    {
        var overrides = _request.Overrides.Concat(point.Overrides).ToList();
        var hardware = HardwareConfigLoader.Load(_request.HardwarePath, overrides);
        cancellationToken.ThrowIfCancellationRequested();
        // A design that exceeds a configured budget (tiles, area, buffer) is an invalid point with the mapper's reasons.
        var mapping = Mapper.Map(hardware, _model, _lora, _workload, new MapperOptions { ComputeWork = false });
        if (!mapping.Fits) return PointOutcome.Invalid("does not fit: " + string.Join("; ", mapping.Problems));
        var report = SimulationRunner.Run(_request with { Hardware = hardware, ModelSpec = _model, Overrides = overrides });
        AccuracyMeasurement? accuracy = null;
        if (_accuracy is not null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            accuracy = _accuracy.Measure(hardware, cancellationToken);
            if (accuracy.Section is not null) report.Sections.Add(accuracy.Section);
        }
        return new PointOutcome(PointStatus.Ok, null, Metrics(report, accuracy),
        [
            new("report.json", Encoding.UTF8.GetString(ReportWriter.ToJson(report))),
            new("report.md", ReportWriter.ToMarkdown(report)),
        ]);
    }

    /// <summary>The columns of results.csv for one report, in a fixed order.</summary>
    public static IReadOnlyList<PointMetric> Metrics(SimulationReport r, AccuracyMeasurement? accuracy)
    {
        var c = r.Cim;
        var g = r.Gpu;
        var m = new List<PointMetric>
        {
            new("latency_s", c.LatencyS),
            new("ttft_s", c.TtftS),
            new("tpot_s", c.TpotS),
            new("tokens_per_s", c.TokensPerS),
            new("energy_j", c.EnergyJ),
            new("area_mm2", c.AreaMm2),
        };
        if (accuracy is not null)
        {
            m.Add(new("accuracy", accuracy.Accuracy));
            m.AddRange(accuracy.Extra);
        }
        m.Add(new("gpu_latency_s", g.LatencyS));
        m.Add(new("gpu_energy_j", g.EnergyJ));
        m.Add(new("gpu_compute_energy_j", g.ComputeEnergyJ));
        m.Add(new("energy_vs_gpu", r.EnergyVsGpu));
        m.Add(new("compute_energy_vs_gpu", r.ComputeEnergyVsGpu));
        m.Add(new("latency_vs_gpu", r.LatencyVsGpu));
        m.Add(new("tpot_vs_gpu", r.TpotVsGpu));
        foreach (var (k, v) in c.EnergyBreakdownJ) m.Add(new(SweepPlots.BreakdownPrefix + k, v));
        return m;
    }
}
