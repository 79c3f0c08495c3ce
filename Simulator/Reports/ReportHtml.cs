using System.Text;

namespace CimSim.Simulator.Reports;

/// <summary>
/// report.html: one self-contained page (no network; plots inlined as SVG; tables sortable by a few lines of
/// inline script) with the inputs and overrides that made the run, the summary beside the GPU, the breakdowns,
/// the per-layer and per-operator tables, and report.json itself.
/// </summary>
public static class ReportHtml
{
    /// <summary>Ids of the page's sections, in order (tests look for them).</summary>
    public static readonly string[] SectionIds = ["inputs", "summary", "energy-by-component", "area-by-component", "layers", "operators", "plots", "report-json"];

    private static string N(double v) => HtmlPage.N(v);

    public static string Build(SimulationReport r, byte[] reportJson, IReadOnlyList<(string Name, string Svg)> plots)
    {
        var i = r.Inputs;
        var c = r.Cim;
        var g = r.Gpu;
        var page = new HtmlPage($"CimSim simulate: {i.Model} on {i.HardwareName}");
        void Table(string id, string title, string[] header, IEnumerable<string[]> rows, string? note = null) => page.Table(id, title, header, rows, note);

        Table("inputs", "Inputs", ["input", "value"],
        [
            ["hardware config", i.HardwareSource], ["hardware name", i.HardwareName], ["overrides", string.Join(", ", i.Overrides)],
            ["model", i.Model], ["prompt tokens", N(i.PromptTokens)], ["generated tokens", N(i.GeneratedTokens)], ["batch", N(i.Batch)],
            ["LoRA rank", N(i.LoraRank)], ["LoRA targets", string.Join(",", i.LoraTargets)], ["GPU baseline", g.Spec.DisplayName],
            ["prefill chunk tokens", N(i.PrefillChunkTokens)],
        ]);
        Table("summary", "Summary", ["metric", "hybrid CIM", g.Spec.Name, "CIM / GPU"],
        [
            ["latency (s)", N(c.LatencyS), N(g.LatencyS), N(r.LatencyVsGpu)],
            ["time to first token (s)", N(c.TtftS), N(g.TtftS), N(c.TtftS / g.TtftS)],
            ["time per output token (s)", N(c.TpotS), N(g.TpotS), N(r.TpotVsGpu)],
            ["energy, GPU board (J)", N(c.EnergyJ), N(g.EnergyJ), N(r.EnergyVsGpu)],
            ["energy, GPU compute-only (J)", N(c.EnergyJ), N(g.ComputeEnergyJ), N(r.ComputeEnergyVsGpu)],
            ["area (mm^2)", N(c.AreaMm2), "", ""],
        ], r.MappingProblems.Count > 0 ? "The model does not fit the configured budgets (simulated anyway): " + string.Join("; ", r.MappingProblems) : null);
        Table("energy-by-component", "CIM energy by component", ["component", "energy (J)", "share (%)"],
            c.EnergyBreakdownJ.Select(kv => new[] { kv.Key, N(kv.Value), N(c.EnergyJ > 0 ? 100 * kv.Value / c.EnergyJ : 0) }));
        Table("area-by-component", "CIM area by component", ["component", "area (mm^2)", "share (%)"],
            c.AreaBreakdownMm2.Select(kv => new[] { kv.Key, N(kv.Value), N(c.AreaMm2 > 0 ? 100 * kv.Value / c.AreaMm2 : 0) }));
        string[] costHeader = ["", "energy (J)", "busy time (s)", "weight area (mm^2)", "utilisation (fraction)"];
        IEnumerable<string[]> CostRows(IEnumerable<CostRow> rows) => rows.Select(x => new[] { x.Name, N(x.EnergyJ), N(x.BusyS), N(x.AreaMm2), N(x.Utilisation) });
        Table("layers", "Per layer", ["layer", .. costHeader[1..]], CostRows(c.Layers), "The same as layers.csv; click a column to sort.");
        Table("operators", "Per operator (summed over layers)", ["operator", .. costHeader[1..]], CostRows(c.Operators), "The same as operators.csv.");

        page.Plots("plots", plots.Select(p => (p.Name, (string?)p.Svg, (byte[]?)null)));
        page.Source("report-json", "report.json", Encoding.UTF8.GetString(reportJson));
        return page.ToString();
    }
}
