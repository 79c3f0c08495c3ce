using System.CommandLine;
using System.Text.RegularExpressions;
using CimSim.Simulator.Benchmarks;
using CimSim.Simulator.Cli;

namespace CimSim.Tests.Cli;

/// <summary>The registered commands against the README's command table (an independent list kept by hand).</summary>
public partial class CliAppTests
{
    private static string ReadmeCommandTable()
    {
        var readme = File.ReadAllText(Path.Combine(FixturePaths.RepoRoot, "README.md"));
        int start = readme.IndexOf("| command |", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "README.md has no command table");
        int end = readme.IndexOf("\n\n", start, StringComparison.Ordinal);
        return readme[start..(end < 0 ? readme.Length : end)];
    }

    [GeneratedRegex(@"^\| ((?:`[a-z-]+(?: NAME)?`(?:, )?)+) \|", RegexOptions.Multiline)]
    private static partial Regex CommandCell();

    [GeneratedRegex(@"`([a-z-]+)`")]
    private static partial Regex Backticked();

    [Test]
    public void BuildRoot_Commands_AreExactlyTheReadmeTable()
    {
        var documented = CommandCell().Matches(ReadmeCommandTable())
            .SelectMany(m => Backticked().Matches(m.Groups[1].Value.Replace(" NAME", "", StringComparison.Ordinal)).Select(b => b.Groups[1].Value))
            .ToList();
        var registered = CliApp.BuildRoot().Subcommands.Select(c => c.Name).ToList();
        Assert.That(documented, Has.Count.GreaterThanOrEqualTo(10), "the README table lists the commands");
        Assert.That(registered, Is.Unique);
        Assert.That(registered, Is.EquivalentTo(documented));
    }

    [Test]
    public void BuildRoot_EveryOutOption_AlsoAnswersToDashO()
    {
        // One command line (issue 11): every command that takes --out takes -o too.
        var outs = CliApp.BuildRoot().Subcommands
            .SelectMany(c => c.Options.Where(o => o.Name == "--out").Select(o => (Command: c.Name, Option: o)))
            .ToList();
        Assert.That(outs.Select(x => x.Command), Does.Contain("simulate").And.Contain("accuracy").And.Contain("sweep"));
        Assert.That(outs.Where(x => !x.Option.Aliases.Contains("-o")).Select(x => x.Command), Is.Empty);
    }

    [Test]
    public void Benchmarks_Names_AreExactlyTheReadmeBenchList()
    {
        var row = ReadmeCommandTable().Split('\n').Single(l => l.StartsWith("| `bench NAME`", StringComparison.Ordinal));
        var documented = Backticked().Matches(row.Split('|')[2]).Select(m => m.Groups[1].Value).ToList();
        var registered = typeof(IBenchmark).Assembly.GetTypes()
            .Where(t => typeof(IBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => ((IBenchmark)Activator.CreateInstance(t)!).Name).ToList();
        Assert.That(registered, Is.Unique);
        Assert.That(registered, Is.EquivalentTo(documented));
    }

    [Test]
    public void BuildRoot_EveryOptionOfEveryCommand_HasADescription()
    {
        var undocumented = CliApp.BuildRoot().Subcommands
            .SelectMany(c => c.Options.Where(o => string.IsNullOrWhiteSpace(o.Description)).Select(o => $"{c.Name} {o.Name}"))
            .ToList();
        Assert.That(undocumented, Is.Empty);
    }

    [Test]
    public void Run_UnknownCommand_FailsWithoutRunningAnything()
    {
        var rc = CliApp.Run(["no-such-command"]);
        Assert.That(rc, Is.Not.EqualTo(0));
    }
}
