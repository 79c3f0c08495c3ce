using System.Diagnostics;
using CimSim.Devices.Config;
using CimSim.Simulator.Reports;
using CimSim.Workloads.Models;

namespace CimSim.Tests.Simulator.Reports;

public class ReportHtmlTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void WriteReport()
    {
        _dir = FixturePaths.NewScratch();
        ReportWriter.WriteAll(SimulationRunner.Run(new SimulationRequest
        {
            Hardware = new HardwareSpec(),
            ModelSpec = ModelCatalog.Preset("qwen2.5-0.5b"),
            Model = "qwen2.5-0.5b",
            PromptTokens = 8,
            GeneratedTokens = 3,
            Overrides = ["rram.adc.bits=6"],
        }), _dir);
    }

    [OneTimeTearDown]
    public void Cleanup() => Directory.Delete(_dir, true);

    private string Html => File.ReadAllText(Path.Combine(_dir, "report.html"));

    [Test]
    public void WriteAll_Html_SelfContainedWithSectionsPlotsAndInputs()
    {
        var html = Html;
        foreach (var id in ReportHtml.SectionIds) Assert.That(html, Does.Contain($"<section id=\"{id}\">"), id);
        // Namespace URIs (xmlns="http://www.w3.org/2000/svg") name, they do not load; nothing may be fetched.
        Assert.That(html, Does.Not.Contain(" src=").And.Not.Contain("href=\"http").And.Not.Contain("url(http").And.Not.Contain("@import"),
            "no network or external resource");
        Assert.That(System.Text.RegularExpressions.Regex.Count(html, "<svg"), Is.EqualTo(3), "the three plots inline");
        Assert.That(html, Does.Contain("rram.adc.bits=6"), "the overrides that made the run");
        // Clip-path ids of the inlined SVGs are unique across the page.
        var ids = System.Text.RegularExpressions.Regex.Matches(html, "id=\"(cl_[^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.That(ids, Is.Not.Empty.And.Unique);
    }

    [Test]
    public void WriteAll_Html_LoadsInHeadlessChromiumWithoutConsoleErrors()
    {
        var (dom, console) = LoadInChromium(Path.Combine(_dir, "report.html"));
        Assert.That(console, Is.Empty, "console messages");
        foreach (var id in ReportHtml.SectionIds) Assert.That(dom, Does.Contain($"id=\"{id}\""), id);
    }

    /// <summary>
    /// Loads a page in headless Chromium (Debian's `chromium`); returns the DOM after scripts ran and every
    /// console line. Chromium logs every console message, uncaught exceptions included, as "...:CONSOLE:..." on
    /// stderr; CimSim's pages write none, so any such line is an error. Ignores the test when Chromium is absent.
    /// </summary>
    internal static (string Dom, IReadOnlyList<string> Console) LoadInChromium(string file)
    {
        var chromium = new[] { "chromium", "chromium-browser" }.Select(n => Environment.GetEnvironmentVariable("PATH")!.Split(':')
            .Select(d => Path.Combine(d, n)).FirstOrDefault(File.Exists)).FirstOrDefault(p => p is not null);
        if (chromium is null) Assert.Ignore("chromium is not installed (Debian package `chromium`): the headless load check did not run");
        var profile = FixturePaths.NewScratch();
        try
        {
            var psi = new ProcessStartInfo(chromium!)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
                         "--dump-dom", "file://" + file })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var dom = p.StandardOutput.ReadToEndAsync();
            var err = p.StandardError.ReadToEndAsync();
            Assert.That(p.WaitForExit(60_000), Is.True, "chromium did not finish in 60 s");
            return (dom.Result, err.Result.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList());
        }
        finally
        {
            Directory.Delete(profile, true);
        }
    }
}
