using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Training.Train;
using MathNet.Numerics.Distributions;

namespace CimSim.Training.Cli;

/// <summary>
/// `cimsim-train summarize-experiment DIR`: the HaLoRA ablation table and plot (experiments/halora/run.sh) from the
/// `cimsim accuracy` reports DIR/acc-{arm}-s{seed}/report.json and the trainer's DIR/{arm}-s{seed}/train_summary.json.
/// Each training seed contributes the mean over its chip instances at each level; the table gives, per arm and
/// level, the mean over training seeds with a 95 % Student-t interval, and the arm minus vanilla LoRA paired by
/// training seed (same LoRA initialisation and data order). Numbers are copied as measured. A run deployed in parts
/// (acc-{arm}-s{seed}@{part}/report.json, e.g. one noise level per part on a machine with more cores) is merged.
/// </summary>
public static partial class ExperimentSummary
{
    /// <summary>Arm of vanilla LoRA, the reference of the paired differences.</summary>
    public const string Reference = "lora";

    [GeneratedRegex(@"^acc-(?<arm>.+)-s(?<seed>\d+)(@[^@]+)?$")]
    private static partial Regex AccDir();

    /// <summary>Mean and half-width of the two-sided 95 % Student-t interval (null half-width below two values).</summary>
    public static (double Mean, double? HalfWidth, int N) Interval(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) throw new ArgumentException("no values", nameof(xs));
        var mean = xs.Average();
        if (xs.Count < 2) return (mean, null, 1);
        var sd = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1));
        return (mean, StudentT.InvCDF(0, 1, xs.Count - 1, 0.975) * sd / Math.Sqrt(xs.Count), xs.Count);
    }

    public static int Run(string dir)
    {
        if (!Directory.Exists(dir)) throw new UserInputException($"{dir}: not a directory");
        // arm -> seed -> sigma (0: ideal devices) -> accuracy averaged over the chips of that level.
        var runs = new SortedDictionary<string, SortedDictionary<int, SortedDictionary<double, double>>>(StringComparer.Ordinal);
        var chips = 0;
        foreach (var sub in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
        {
            var m = AccDir().Match(Path.GetFileName(sub));
            var report = Path.Combine(sub, "report.json");
            if (!m.Success || !File.Exists(report)) continue;
            var (ideal, levels) = ReadReport(report);
            var arm = m.Groups["arm"].Value;
            var seed = int.Parse(m.Groups["seed"].Value, CultureInfo.InvariantCulture);
            if (!runs.TryGetValue(arm, out var seeds)) runs[arm] = seeds = new();
            if (!seeds.TryGetValue(seed, out var bySigma)) seeds[seed] = bySigma = new SortedDictionary<double, double>();
            if (ideal is not null) bySigma[0] = ideal.Value;
            foreach (var l in levels.Where(l => l.Mean is not null)) bySigma[l.Sigma] = l.Mean!.Value;
            chips = Math.Max(chips, levels.Select(l => l.Chips).DefaultIfEmpty(0).Max());
        }
        if (runs.Count == 0) throw new UserInputException($"{dir}: no acc-<arm>-s<seed>/report.json (run experiments/halora/run.sh first)");
        double? baseAcc = null;
        var basePath = Path.Combine(dir, "acc-base", "report.json");
        if (File.Exists(basePath)) baseAcc = ReadReport(basePath).Ideal;
        var sigmas = runs.Values.SelectMany(s => s.Values).SelectMany(l => l.Keys).Distinct().Order().ToList();
        var arms = runs.Keys.OrderBy(a => a == Reference ? 0 : 1).ThenBy(a => a, StringComparer.Ordinal).ToList();

        var sb = new StringBuilder();
        string Header(string first) => $"| {first} | seeds | " + string.Join(" | ", sigmas.Select(s => s == 0 ? "ideal devices" : $"sigma {F(s, "0.###")}")) + " |\n"
            + "|---|---|" + string.Concat(sigmas.Select(_ => "---|")) + "\n";
        sb.Append("Accuracy (%), mean over training seeds ± 95 % interval (Student t over seeds; each seed is the mean over its chip instances)\n\n");
        sb.Append(Header("arm"));
        foreach (var a in arms)
        {
            sb.Append($"| {a} | {runs[a].Count} |");
            foreach (var s in sigmas)
            {
                var xs = runs[a].Values.Where(l => l.ContainsKey(s)).Select(l => 100 * l[s]).ToList();
                sb.Append(' ').Append(xs.Count == 0 ? "n/a" : Show(Interval(xs), runs[a].Count)).Append(" |");
            }
            sb.Append('\n');
        }
        if (runs.ContainsKey(Reference))
        {
            sb.Append($"\nArm minus vanilla LoRA (points), paired by training seed, mean ± 95 % interval\n\n").Append(Header("arm"));
            foreach (var a in arms.Where(a => a != Reference))
            {
                var paired = runs[a].Keys.Where(runs[Reference].ContainsKey).ToList();
                sb.Append($"| {a} | {paired.Count} |");
                foreach (var s in sigmas)
                {
                    var ds = paired.Where(k => runs[a][k].ContainsKey(s) && runs[Reference][k].ContainsKey(s))
                        .Select(k => 100 * (runs[a][k][s] - runs[Reference][k][s])).ToList();
                    sb.Append(' ').Append(ds.Count == 0 ? "n/a" : Show(Interval(ds), paired.Count, signed: true)).Append(" |");
                }
                sb.Append('\n');
            }
        }
        sb.Append($"\nBase model without adapter, ideal devices: {(baseAcc is null ? "not run" : F(100 * baseAcc.Value, "0.0") + " %")}. ")
          .Append($"Up to {chips} chip instances per level and seed; chance is 25 %.\n");
        sb.Append("\nFinal training loss (answer cross-entropy) and L_reg, mean over seeds:\n\n| arm | loss | L_reg |\n|---|---|---|\n");
        foreach (var a in arms)
        {
            var sums = runs[a].Keys.Select(k => Path.Combine(dir, $"{a}-s{k}", "train_summary.json")).Where(File.Exists).Select(ReadTrain).ToList();
            sb.Append($"| {a} | {(sums.Count == 0 ? "n/a" : F(sums.Average(x => x.Loss), "0.000"))} | {(sums.Count == 0 ? "n/a" : F(sums.Average(x => x.Reg), "0.00"))} |\n");
        }
        var table = sb.ToString();
        AtomicFile.WriteAllText(Path.Combine(dir, "results.md"), table);
        Console.Write(table);
        Plot(arms, runs, sigmas, Path.Combine(dir, "accuracy-vs-sigma.png"));
        return 0;
    }

    /// <summary>"mean ± half-width", with "(n = k)" when the cell has fewer seeds than the row.</summary>
    private static string Show((double Mean, double? HalfWidth, int N) i, int rowSeeds, bool signed = false)
        => (signed && i.Mean > 0 ? "+" : "") + F(i.Mean, "0.0") + (i.HalfWidth is { } h ? " ± " + F(h, "0.0") : "")
           + (i.N < rowSeeds ? $" (n = {i.N})" : "");

    private static (double Loss, double Reg) ReadTrain(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var r = doc.RootElement;
        return (Num(r, "final_loss") ?? double.NaN, Num(r, "final_l_reg") ?? 0);
    }

    private static (double? Ideal, List<(double Sigma, double? Mean, int Chips)> Levels) ReadReport(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            double? ideal = root.TryGetProperty("ideal", out var id) ? Num(id, "choice_accuracy") : null;
            var levels = new List<(double, double?, int)>();
            foreach (var l in root.GetProperty("levels").EnumerateArray())
            {
                levels.Add((l.GetProperty("sigma").GetDouble(), Num(l.GetProperty("choice_accuracy"), "mean"), l.GetProperty("chips").GetArrayLength()));
            }
            return (ideal, levels);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new UserInputException($"{path}: not a `cimsim accuracy` report.json ({e.Message})");
        }
    }

    private static double? Num(JsonElement e, string key)
        => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string F(double v, string fmt) => v.ToString(fmt, CultureInfo.InvariantCulture);

    private static void Plot(List<string> arms, SortedDictionary<string, SortedDictionary<int, SortedDictionary<double, double>>> runs, List<double> sigmas, string path)
    {
        var plot = new ScottPlot.Plot();
        plot.Font.Set(LossPlot.FontName);
        // Category10 gives ten arms their own colour (the default palette repeats after five); from the eleventh
        // on the colours repeat, so those lines are dotted and their markers squares.
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var (a, k) in arms.Select((a, k) => (a, k)))
        {
            var pts = sigmas.Select(s => (s, xs: runs[a].Values.Where(l => l.ContainsKey(s)).Select(l => 100 * l[s]).ToList()))
                .Where(p => p.xs.Count > 0).Select(p => (p.s, i: Interval(p.xs))).ToList();
            var xs = pts.Select(p => p.s).ToArray();
            var ys = pts.Select(p => p.i.Mean).ToArray();
            var sc = plot.Add.Scatter(xs, ys);
            sc.Color = palette.GetColor(k);
            if (k >= palette.Colors.Length)
            {
                sc.LinePattern = ScottPlot.LinePattern.Dotted;
                sc.MarkerShape = ScottPlot.MarkerShape.FilledSquare;
            }
            sc.LegendText = $"{a} ({runs[a].Count} seeds)";
            var eb = plot.Add.ErrorBar(xs, ys, pts.Select(p => p.i.HalfWidth ?? 0).ToArray());
            eb.Color = sc.Color;
        }
        var chance = plot.Add.HorizontalLine(25);
        chance.LinePattern = ScottPlot.LinePattern.Dashed;
        chance.LegendText = "chance (4 choices)";
        plot.Title("Held-out test questions on the simulated hybrid chip (mean, 95 % interval over training seeds)");
        plot.XLabel("RRAM weight noise sigma (relative to max|W| per 64x64 tile); 0 = ideal devices");
        plot.YLabel("accuracy (%)");
        plot.Axes.SetLimitsY(0, 100);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        var tmp = path + ".tmp.png";
        plot.SavePng(tmp, 960, 600);
        File.Move(tmp, path, overwrite: true);
    }
}
