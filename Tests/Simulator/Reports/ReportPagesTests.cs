using System.Text.RegularExpressions;
using CimSim.Devices.Config;
using CimSim.Simulator.Functional;
using CimSim.Simulator.Lifecycle;
using CimSim.Simulator.Reports;
using CimSim.Simulator.Sweeps;
using CimSim.Tests.Simulator.Sweeps;

namespace CimSim.Tests.Simulator.Reports;

/// <summary>report.html of a sweep, an exploration, an accuracy run and a lifecycle: self-contained, the expected sections, loads in headless Chromium.</summary>
public class ReportPagesTests
{
    private string _root = "";

    [OneTimeSetUp]
    public void Write()
    {
        _root = FixturePaths.NewScratch();
        var sweep = Path.Combine(_root, "sweep");
        new SweepRunner(sweep, SweepDefinition.Parse("rram.adc.bits: [4, 6, 8]\nrram.noise.sigma: [0.005, 0.02]\n", "grid.yaml"), [new("model", "fake")], new FakeEvaluator())
            .Run(new SweepRunOptions { Jobs = 2 });
        SweepHtml.Write(sweep, SweepPlots.Draw(sweep, Path.Combine(sweep, "plots")));

        var explore = Path.Combine(_root, "explore");
        new ExploreRunner(explore, new ExploreOptions { Strategy = ExploreStrategy.Grid, Groups = PlacementGroup.ParseList("q,v,lm_head"), BudgetPoints = 30, TokensPerRun = 10 },
            [new("model", "fake")], new ExploreTests.PlacementFake()).Run(new SweepRunOptions { Jobs = 2 });
        SweepHtml.Write(explore, SweepPlots.Draw(explore, Path.Combine(explore, "plots")));

        var data = Path.Combine(_root, "text.jsonl");
        File.WriteAllText(data, "{\"text\": \"Crossbars compute a matrix-vector product in one read.\"}\n");
        // The accuracy page's data adds two questions (2 and 4 choices: chance (1/2 + 1/4) / 2 = 37.5 %).
        var quiz = Path.Combine(_root, "quiz.jsonl");
        File.WriteAllText(quiz, File.ReadAllText(data) + "{\"question\": \"1+1=\", \"choices\": [\"2\", \"3\"], \"answer\": 0}\n"
            + "{\"question\": \"Colour of the sky?\", \"choices\": [\"green\", \"blue\", \"red\", \"grey\"], \"answer\": 1}\n");
        var report = AccuracyRunner.Run(new AccuracyOptions
        {
            ModelDirectory = FixturePaths.Of("llama_f32"),
            Hardware = new HardwareSpec(),
            HardwareName = "default",
            Items = CimSim.Workloads.Datasets.DatasetReader.Load(quiz).Items,
            DataName = "text.jsonl",
            Seeds = 2,
            Sigmas = [0.01, 0.03],
            MaxTokens = 32,
        });
        AccuracyReportWriter.Write(report, Path.Combine(_root, "accuracy"));

        // One month of life with accuracy at 1 s, 1 h, 1 day and the end, on the tiny stand-in (a few seconds).
        var hw = HardwareConfigLoader.ApplyOverrides(new HardwareSpec(), ["rram.noise.weight_noise.sigma=0", "rram.noise.drift.enabled=true", "rram.noise.drift.nu_sigma=0.02"]);
        var life = LifecycleRunner.Run(new LifecycleOptions
        {
            Request = new SimulationRequest { Hardware = hw, Model = "llama-3.2-1b", PromptTokens = 16, GeneratedTokens = 8, LoraRank = 4 },
            Months = 1,
            Adapters = 2,
            SwapEvery = 100,
            RequestsPerDay = 1000,
            AccuracyModel = FixturePaths.Of("llama_f32"),
            AccuracyData = data,
            Seeds = 2,
            MaxTokens = 16,
        });
        LifecycleReportWriter.Write(life, Path.Combine(_root, "lifecycle"));
    }

    [OneTimeTearDown]
    public void Cleanup() => Directory.Delete(_root, true);

    private static readonly object[] Pages =
    [
        new object[] { "sweep", SweepHtml.SectionIds.Where(s => s != "explore").ToArray(), 4 },
        new object[] { "explore", SweepHtml.SectionIds.Append("explore-front").ToArray(), 4 },
        new object[] { "accuracy", AccuracyHtml.SectionIds, 0 },
        new object[] { "lifecycle", LifecycleHtml.SectionIds, 1 },
    ];

    [TestCaseSource(nameof(Pages))]
    public void Write_Page_SelfContainedWithSectionsAndPlots(string dir, string[] sections, int minSvgs)
    {
        var html = File.ReadAllText(Path.Combine(_root, dir, "report.html"));
        foreach (var id in sections) Assert.That(html, Does.Contain($"<section id=\"{id}\">"), id);
        // Namespace URIs (xmlns="http://www.w3.org/2000/svg") name, they do not load; nothing may be fetched.
        Assert.That(html, Does.Not.Contain("href=\"http").And.Not.Contain("url(http").And.Not.Contain("@import"), "nothing fetched from the network");
        Assert.That(Regex.Matches(html, " src=\"([^\"]*)\"").Select(m => m.Groups[1].Value), Has.All.StartsWith("data:image/png;base64,"), "images only inline");
        Assert.That(Regex.Count(html, "<svg"), Is.GreaterThanOrEqualTo(minSvgs));
        var ids = Regex.Matches(html, "id=\"(cl_[^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.That(ids, Is.Unique, "clip-path ids of the inlined SVGs");
    }

    [Test]
    public void Write_ExplorePage_ShowsAnswerAndEveryFrontPoint()
    {
        var html = File.ReadAllText(Path.Combine(_root, "explore", "report.html"));
        var front = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(_root, "explore", ExploreRunner.ResultFile))).RootElement.GetProperty("front");
        Assert.That(html, Does.Contain("Cheapest design within 30 points"));
        var section = html[html.IndexOf("<section id=\"explore-front\">", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("</section>", StringComparison.Ordinal)];
        Assert.That(Regex.Count(section, "<tr><td>"), Is.EqualTo(front.GetArrayLength()));
    }

    [Test]
    public void Write_AccuracyPlot_PngAndSvgWithErrorBarsUnitsAndChanceLine()
    {
        var dir = Path.Combine(_root, "accuracy");
        Assert.That(File.Exists(Path.Combine(dir, "accuracy-vs-sigma.png")), Is.True);
        var svg = File.ReadAllText(Path.Combine(dir, "accuracy-vs-sigma.svg"));
        Assert.That(svg, Does.Contain("chance (uniform guess)").And.Contain("± std over chips").And.Contain("weight-noise sigma"));
        var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json"))).RootElement;
        Assert.That(json.GetProperty("chance_accuracy").GetDouble(), Is.EqualTo(0.375).Within(1e-12));
    }

    [Test]
    public void Write_AccuracyPage_HasThePlotAndBothLevels()
    {
        var html = File.ReadAllText(Path.Combine(_root, "accuracy", "report.html"));
        Assert.That(html, Does.Contain("data:image/png;base64,"));
        var levels = html[html.IndexOf("<section id=\"levels\">", StringComparison.Ordinal)..];
        Assert.That(Regex.Count(levels[..levels.IndexOf("</section>", StringComparison.Ordinal)], "<tr><td>"), Is.EqualTo(2));
    }

    [Test]
    public void Write_LifecyclePage_OneAccuracyRowPerPointAndTheSameNumbersAsTheMarkdown()
    {
        var dir = Path.Combine(_root, "lifecycle");
        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "report.json"))).RootElement;
        var section = html[html.IndexOf("<section id=\"accuracy\">", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("</section>", StringComparison.Ordinal)];
        Assert.That(Regex.Count(section, "<tr><td>"), Is.EqualTo(json.GetProperty("accuracy").GetArrayLength()));
        // Every table row of report.md appears, cell for cell, in the page (one row source for both).
        var md = File.ReadAllLines(Path.Combine(dir, "report.md")).Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.Contains("---", StringComparison.Ordinal)).ToList();
        Assert.That(md, Is.Not.Empty);
        foreach (var line in md.Where(l => !l.StartsWith("| phase", StringComparison.Ordinal) && !l.StartsWith("| quantity", StringComparison.Ordinal) && !l.StartsWith("| series", StringComparison.Ordinal) && !l.StartsWith("|  |", StringComparison.Ordinal)))
        {
            var cells = line.Trim('|').Split(" | ").Select(c => HtmlPage.H(c.Trim()));
            Assert.That(html, Does.Contain("<tr><td>" + string.Join("</td><td>", cells) + "</td></tr>"), line);
        }
    }

    [TestCase("sweep", "results")]
    [TestCase("explore", "explore-front")]
    [TestCase("accuracy", "levels")]
    [TestCase("lifecycle", "accuracy")]
    public void Write_Page_LoadsInHeadlessChromiumWithoutConsoleErrors(string dir, string section)
    {
        var (dom, console) = ReportHtmlTests.LoadInChromium(Path.Combine(_root, dir, "report.html"));
        Assert.That(console, Is.Empty, "console messages");
        Assert.That(dom, Does.Contain($"id=\"{section}\""));
        Assert.That(dom, Does.Contain("id=\"inputs\""));
    }
}
