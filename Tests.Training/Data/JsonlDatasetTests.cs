using System.Text.Json;
using CimSim.Training.Data;
using CimSim.Workloads.Datasets;

namespace CimSim.Training.Tests.Data;

public class JsonlDatasetTests
{
    /// <summary>The dataset samples committed under Tests/Fixtures/datasets (shared with the simulator's reader tests).</summary>
    internal static string Sample(string name)
    {
        for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "Tests", "Fixtures", "datasets", name);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException("Tests/Fixtures/datasets/" + name);
    }

    [Test]
    public void Load_LlmAdaptersList_TrainsOnOutputAfterAlpacaPrompt()
    {
        var path = Sample("llm-adapters/winogrande.json");
        var (examples, format) = JsonlDataset.Load(path, new ByteTokenizer(), maxLength: 4096);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var first = doc.RootElement[0];
        Assert.That(format, Is.EqualTo(DatasetFormat.LlmAdapters));
        Assert.That(examples, Has.Count.EqualTo(2));
        // Written out by hand from LLM-Adapters finetune.py's generate_prompt (no input).
        var prompt = "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\n"
            + first.GetProperty("instruction").GetString() + "\n\n### Response:\n";
        Assert.That(ByteTokenizer.Decode(examples[0].Prompt), Is.EqualTo(prompt));
        Assert.That(ByteTokenizer.Decode(examples[0].Target), Is.EqualTo("the correct answer is option1"));
        Assert.That(examples[0].Target[^1], Is.EqualTo(256), "instruction targets end with EOS");
    }

    [Test]
    public void Load_MultipleChoiceJsonl_TrainsOnRightChoiceWithoutEos()
    {
        var (examples, _) = JsonlDataset.Load(Sample("cimsim.jsonl"), new ByteTokenizer(), maxLength: 4096);
        // Line 3: {"question": "Capital of France?", "choices": ["Rome", "Paris", "Oslo"], "answer": "B"}.
        var capital = examples.Single(e => ByteTokenizer.Decode(e.Prompt) == "Capital of France?");
        Assert.That(ByteTokenizer.Decode(capital.Target), Is.EqualTo(" Paris"));
    }

    [Test]
    public void Load_LongInstruction_KeepsTargetWholeAndPromptEnd()
    {
        var (examples, _) = JsonlDataset.Load(Sample("llm-adapters/boolq.json"), new ByteTokenizer(), maxLength: 40);
        var target = "the correct answer is true";
        Assert.That(examples[0].Length, Is.EqualTo(40));
        Assert.That(ByteTokenizer.Decode(examples[0].Target), Is.EqualTo(target));
        Assert.That(ByteTokenizer.Decode(examples[0].Prompt), Is.EqualTo("### Response:\n"[^(40 - target.Length - 1)..]));
    }
}
