using System.Globalization;
using System.Text;
using System.Text.Json;
using CimSim.Devices.Config;
using CimSim.Devices.Rram;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Reports;
using CimSim.Workloads.Datasets;

namespace CimSim.Simulator.Sweeps;

/// <summary>
/// The `--accuracy --data FILE` column of a sweep: runs <see cref="AccuracyRunner"/> on the point's hardware
/// (its own noise settings, N chip instances) against ideal devices. The accuracy is the mean multiple-choice
/// accuracy when the data has questions, else the mean top-1 agreement with the ideal model; perplexity, KL
/// divergence and top-1 agreement are extra columns, and the full accuracy report goes into report.json.
/// </summary>
public sealed class FunctionalAccuracyProbe(string modelDirectory, string? adapterDirectory, string dataPath, int seeds, ulong firstSeed, RramPath path, int maxTokens) : IAccuracyProbe
{
    /// <summary>Column names: the sample std of the accuracy over chip instances, the number of instances, the ideal model's accuracy.</summary>
    public const string AccuracyStdMetric = SweepPlots.AccuracyStd, SeedsMetric = "accuracy_seeds", IdealAccuracyMetric = "ideal_accuracy";

    private readonly IReadOnlyList<EvalItem> _items = DatasetReader.Load(dataPath).Items;

    public string Identity =>
        string.Create(CultureInfo.InvariantCulture,
            $"data sha256 {SimulationPointEvaluator.FileHash(dataPath)}; adapter {(adapterDirectory is null ? "none" : AdapterHash(adapterDirectory))}; seeds {seeds} from {firstSeed}; path {path}; max tokens {maxTokens}");

    public AccuracyMeasurement Measure(HardwareSpec hardware, CancellationToken cancellationToken)
    {
        var report = AccuracyRunner.Run(new AccuracyOptions
        {
            ModelDirectory = modelDirectory,
            AdapterDirectory = adapterDirectory,
            Hardware = hardware,
            HardwareName = hardware.Name,
            Items = _items,
            DataName = Path.GetFileName(dataPath),
            Seeds = seeds,
            FirstSeed = firstSeed,
            Path = path,
            MaxTokens = maxTokens,
        });
        var level = report.Levels[0];
        var measured = level.ChoiceAccuracy.Mean is not null ? level.ChoiceAccuracy : level.Top1Agreement;
        var accuracy = measured.Mean ?? double.NaN;
        var extra = new List<PointMetric>();
        // The spread over chip instances, so that explore can give the loss an interval (and plots error bars).
        if (measured.Std is { } std) extra.Add(new(AccuracyStdMetric, std));
        extra.Add(new(SeedsMetric, seeds));
        if (level.Perplexity.Mean is { } ppl) extra.Add(new("perplexity", ppl));
        if (level.KlDivergence.Mean is { } kl) extra.Add(new("kl_divergence", kl));
        if (level.Top1Agreement.Mean is { } top1) extra.Add(new("top1_agreement", top1));
        if (report.Ideal.ChoiceAccuracy is { } idealAcc) extra.Add(new(IdealAccuracyMetric, idealAcc));
        // Guessing uniformly among each question's choices: the floor accuracy plots draw as "chance".
        var questions = _items.OfType<ChoiceItem>().ToList();
        if (level.ChoiceAccuracy.Mean is not null && questions.Count > 0) extra.Add(new(SweepPlots.ChanceAccuracy, questions.Average(q => 1.0 / q.Choices.Count)));
        return new AccuracyMeasurement(accuracy, extra, new Section(report));
    }

    private static string AdapterHash(string dir) =>
        string.Join(",", Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f) + ":" + SimulationPointEvaluator.FileHash(f)[..16]));

    /// <summary>The accuracy report as the "accuracy" section of the point's report.json.</summary>
    private sealed class Section(AccuracyReport report) : IReportSection
    {
        public string Key => "accuracy";

        public void WriteJson(Utf8JsonWriter writer)
        {
            using var doc = JsonDocument.Parse(AccuracyReportWriter.ToJson(report));
            doc.RootElement.WriteTo(writer);
        }

        public void WriteMarkdown(StringBuilder markdown) => markdown.AppendLine().Append(AccuracyReportWriter.ToMarkdown(report, headingLevel: 2));
    }
}
