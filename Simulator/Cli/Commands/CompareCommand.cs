using System.CommandLine;
using CimSim.Common.IO;
using CimSim.Simulator.Reports;
using Serilog;
using Spectre.Console;

namespace CimSim.Simulator.Cli.Commands;

/// <summary>`cimsim compare A B [C...]`: report.json files side by side (terminal, markdown, HTML).</summary>
public sealed class CompareCommand : ICliCommand
{
    public int Order => 43;

    public Command Build()
    {
        var reports = new Argument<string[]>("REPORTS") { Description = "Two or more report.json files (or directories holding one, e.g. out/sweep/points/p0004).", Arity = new ArgumentArity(2, 64) };
        var output = new Option<string?>("--out", "-o") { Description = "Also write compare.md and compare.html into this directory; default: terminal only." };
        var all = new Option<bool>("--all") { Description = "Print every metric in the terminal, not only those that differ." };
        var cmd = new Command("compare", """
            Compare two or more simulate reports: every numeric value of report.json with its ratio to the first
            report, and the components (energy by component and operator, area by component) that changed most.

            Example:
              cimsim compare out/adc6 out/adc8 --out out/compare   # terminal table + compare.md + compare.html
            """)
        {
            reports, output, all,
        };
        cmd.SetAction(pr =>
        {
            var c = ReportComparison.Load(pr.GetValue(reports)!);
            Print(c, pr.GetValue(all));
            if (pr.GetValue(output) is { } dir)
            {
                Directory.CreateDirectory(dir);
                AtomicFile.WriteAllText(Path.Combine(dir, "compare.md"), c.ToMarkdown());
                AtomicFile.WriteAllText(Path.Combine(dir, "compare.html"), c.ToHtml());
                Log.Information("wrote {Dir}/compare.md and compare.html", dir);
            }
            return 0;
        });
        return cmd;
    }

    private static void Print(ReportComparison c, bool all)
    {
        Table Make(string title)
        {
            var t = new Table { Title = new TableTitle(title) };
            t.AddColumn("metric");
            foreach (var n in c.Names) t.AddColumn(new TableColumn(Markup.Escape(n)).RightAligned());
            foreach (var n in c.Names.Skip(1)) t.AddColumn(new TableColumn(Markup.Escape($"{n} / {c.Names[0]}")).RightAligned());
            return t;
        }
        void Add(Table t, ComparedMetric m) =>
            t.AddRow([Markup.Escape(m.Path), .. m.Values.Select(ReportComparison.Number), .. Enumerable.Range(1, m.Values.Count - 1).Select(i => ReportComparison.Number(m.Ratio(i)))]);
        var changed = Make($"Components that changed most ({c.Names[0]} -> {c.Names[^1]})");
        foreach (var m in c.ChangedMost()) Add(changed, m);
        AnsiConsole.Write(changed);
        var shown = c.Metrics.Where(m => all || m.Differs).ToList();
        var metrics = Make(all ? "Every metric" : $"Metrics that differ ({shown.Count} of {c.Metrics.Count}; --all prints every one)");
        foreach (var m in shown) Add(metrics, m);
        AnsiConsole.Write(metrics);
    }
}
