using System.Globalization;
using System.Text;
using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Training.Train;

namespace CimSim.Training.Cli;

/// <summary>
/// `cimsim-train summarize-experiment DIR`: the HaLoRA robustness table (REFERENCES.md section 1 layout: one row per
/// method, one column per noise level, mean over chip seeds) and its plot, from the `cimsim accuracy` reports
/// DIR/acc-{method}/report.json (the --sigma sweep) and DIR/acc-{method}-device/report.json (the config's own device
/// noise), plus DIR/{method}/train_summary.json. Numbers are copied as measured.
/// </summary>
public static class ExperimentSummary
{
    /// <summary>Output folders of the finetuned adapters, and their row labels.</summary>
    public static readonly (string Dir, string Label)[] Methods = [("lora", "LoRA"), ("halora", "HaLoRA"), ("halora-mu0.1", "HaLoRA, mu 0.1 (paper)")];

    private sealed record Row(string Label, double? Ideal, List<(double Sigma, double? Mean, double? Std, int Chips)> Levels, (double? Mean, double? Std)? Device, double? HeldOut);

    public static int Run(string dir)
    {
        var rows = new List<Row>();
        double? before = null;
        var basePath = Path.Combine(dir, "acc-base", "report.json");
        if (File.Exists(basePath)) before = ReadReport(basePath).Ideal;
        foreach (var (m, label) in Methods)
        {
            if (!Directory.Exists(Path.Combine(dir, m))) continue;
            var sweep = Path.Combine(dir, $"acc-{m}", "report.json");
            if (!File.Exists(sweep)) throw new UserInputException($"{sweep}: not found (run the experiment's cimsim accuracy step first)");
            var (ideal, levels) = ReadReport(sweep);
            var devicePath = Path.Combine(dir, $"acc-{m}-device", "report.json");
            (double?, double?)? device = null;
            if (File.Exists(devicePath))
            {
                var (_, dl) = ReadReport(devicePath);
                if (dl.Count > 0) device = (dl[0].Mean, dl[0].Std);
            }
            var heldPath = Path.Combine(dir, $"acc-{m}-heldout", "report.json");
            double? held = File.Exists(heldPath) ? ReadReport(heldPath).Ideal : null;
            rows.Add(new Row(label, ideal, levels, device, held));
        }
        var sigmas = rows.SelectMany(r => r.Levels.Select(l => l.Sigma)).Distinct().OrderBy(s => s).ToList();
        var sb = new StringBuilder();
        var chips = rows.SelectMany(r => r.Levels).Select(l => l.Chips).DefaultIfEmpty(0).Max();
        sb.Append("| method | ideal devices | ")
          .Append(string.Join(" | ", sigmas.Select(s => $"sigma {F(s, "0.###")}")))
          .Append(" | default.yaml device noise | held-out people, ideal |\n");
        sb.Append("|---|---|").Append(string.Concat(sigmas.Select(_ => "---|"))).Append("---|---|\n");
        sb.Append($"| base model, no adapter | {Pct(before)} |").Append(string.Concat(sigmas.Select(_ => " |"))).Append(" | |\n");
        foreach (var r in rows)
        {
            sb.Append($"| {r.Label} | {Pct(r.Ideal)} | ");
            foreach (var s in sigmas)
            {
                var l = r.Levels.FirstOrDefault(x => x.Sigma == s);
                sb.Append(l.Mean is null ? "n/a" : $"{Pct(l.Mean)} ± {Pct(l.Std)}").Append(" | ");
            }
            sb.Append(r.Device is { } d ? $"{Pct(d.Mean)} ± {Pct(d.Std)}" : "not run").Append($" | {Pct(r.HeldOut)} |\n");
        }
        sb.Append($"\nMultiple-choice accuracy (%) on the finetuning questions (data/train_mc.jsonl, 4 choices, chance 25 %), mean ± std over {chips} chip instances (noise seeds) per level, scored by `cimsim accuracy` (log-likelihood) with W0 on the noisy RRAM model of hw-configs/default.yaml and A, B exact. Last column: the same question types about the held-out people (data/eval_mc.jsonl), ideal devices.\n");
        var table = sb.ToString();
        AtomicFile.WriteAllText(Path.Combine(dir, "results.md"), table);
        Console.Write(table);
        Plot(rows, sigmas, Path.Combine(dir, "accuracy-vs-sigma.png"));
        return 0;
    }

    private static (double? Ideal, List<(double Sigma, double? Mean, double? Std, int Chips)> Levels) ReadReport(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        double? ideal = root.TryGetProperty("ideal", out var id) ? Num(id, "choice_accuracy") : null;
        var levels = new List<(double, double?, double?, int)>();
        foreach (var l in root.GetProperty("levels").EnumerateArray())
        {
            var acc = l.GetProperty("choice_accuracy");
            levels.Add((l.GetProperty("sigma").GetDouble(), Num(acc, "mean"), Num(acc, "std"), l.GetProperty("chips").GetArrayLength()));
        }
        return (ideal, levels);
    }

    private static double? Num(JsonElement e, string key)
        => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string F(double v, string fmt) => v.ToString(fmt, CultureInfo.InvariantCulture);

    private static string Pct(double? v) => v is null ? "n/a" : F(100 * v.Value, "0.0");

    private static void Plot(List<Row> rows, List<double> sigmas, string path)
    {
        var plot = new ScottPlot.Plot();
        plot.Font.Set(LossPlot.FontName);
        foreach (var r in rows)
        {
            var pts = r.Levels.Where(l => l.Mean is not null).OrderBy(l => l.Sigma).ToList();
            var xs = new List<double> { 0 };
            var ys = new List<double> { 100 * (r.Ideal ?? double.NaN) };
            var es = new List<double> { 0 };
            xs.AddRange(pts.Select(p => p.Sigma));
            ys.AddRange(pts.Select(p => 100 * p.Mean!.Value));
            es.AddRange(pts.Select(p => 100 * (p.Std ?? 0)));
            var sc = plot.Add.Scatter(xs.ToArray(), ys.ToArray());
            sc.LegendText = r.Label;
            var eb = plot.Add.ErrorBar(xs.ToArray(), ys.ToArray(), es.ToArray());
            eb.Color = sc.Color;
        }
        var chance = plot.Add.HorizontalLine(25);
        chance.LinePattern = ScottPlot.LinePattern.Dashed;
        chance.LegendText = "chance (4 choices)";
        plot.Title("Held-out multiple-choice accuracy on the simulated hybrid chip");
        plot.XLabel("RRAM weight noise sigma (relative to max|W| per 64x64 tile); 0 = ideal devices");
        plot.Axes.SetLimitsY(0, 105);
        plot.YLabel("accuracy (%)");
        plot.ShowLegend();
        var tmp = path + ".tmp.png";
        plot.SavePng(tmp, 900, 560);
        File.Move(tmp, path, overwrite: true);
    }
}
