using System.Text;
using System.Text.Json;
using CimSim.Simulator.Functional;

namespace CimSim.Simulator.Reports;

/// <summary>
/// The accuracy study of the same hardware config (`cimsim simulate --data`), carried in report.json under
/// "accuracy" and in report.md, so cost and accuracy of one design come from one run.
/// </summary>
public sealed class AccuracySection(AccuracyReport report) : IReportSection
{
    public AccuracyReport Report { get; } = report;

    public string Key => "accuracy";

    public void WriteJson(Utf8JsonWriter writer) =>
        JsonSerializer.SerializeToElement(Report, AccuracyReportWriter.JsonOptions).WriteTo(writer);

    public void WriteMarkdown(StringBuilder markdown)
    {
        markdown.AppendLine();
        markdown.Append(AccuracyReportWriter.ToMarkdown(Report, headingLevel: 2));
    }
}
