using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Workloads.Datasets;

namespace CimSim.Tests.Workloads.Datasets;

public class DatasetReaderTests
{
    private static string Sample(string name) => FixturePaths.Of(Path.Combine("datasets", name));

    private static ChoiceItem OnlyChoice(string line) =>
        (ChoiceItem)DatasetReader.Parse(line, "x.jsonl", new DatasetOptions()).Items.Single();

    [Test]
    public void Load_CimSimJsonl_ReadsTextsAndEachAnswerForm()
    {
        var data = DatasetReader.Load(Sample("cimsim.jsonl"));
        Assert.That(data.Format, Is.EqualTo(DatasetFormat.Jsonl));
        Assert.That(data.Items[0], Is.EqualTo(new TextItem(1, "Crossbars compute a matrix-vector product in one read.")));
        var choices = data.Items.Skip(1).Cast<ChoiceItem>().ToList();
        Assert.That(choices.Select(c => c.Answer), Is.EqualTo(new[] { 0, 1, 1 }), "index 0, letter B, text \"blue\"");
        Assert.That(choices.Select(c => c.Line), Is.EqualTo(new[] { 2, 3, 4 }));
        Assert.That(choices[0].Continuation(1), Is.EqualTo(" 3"), "lm-evaluation-harness target delimiter");
    }

    [TestCase("\"b\"", 1)]
    [TestCase("\"B\"", 1)]
    [TestCase("1", 1)]
    [TestCase("\"beta\"", 2)]
    public void Parse_AnswerForms_MapToIndex(string answer, int expected)
    {
        var item = OnlyChoice($"{{\"question\": \"q\", \"choices\": [\"alpha\", \"b\", \"beta\"], \"answer\": {answer}}}");
        Assert.That(item.Answer, Is.EqualTo(expected));
    }

    [TestCase("\"1\"", "numeric string is ambiguous")]
    [TestCase("\"A\"", "ambiguous")]
    [TestCase("3", "expected a JSON integer 0..2")]
    [TestCase("1.5", "expected a JSON integer")]
    [TestCase("\"x\"", "the text of one choice")]
    public void Parse_AmbiguousOrInvalidAnswer_NamesTheLineAndTheFix(string answer, string message)
    {
        // Choice 1 is the text "A": the letter A (choice 0) and the text read differently.
        var line = $"{{\"question\": \"q\", \"choices\": [\"zero\", \"A\", \"two\"], \"answer\": {answer}}}";
        var ex = Assert.Throws<UserInputException>(() => DatasetReader.Parse(line, "x.jsonl", new DatasetOptions()))!;
        Assert.That(ex.Problems.Single(), Does.StartWith("x.jsonl:1:").And.Contain(message));
    }

    [Test]
    public void Load_MalformedLines_NamesEachLine()
    {
        var dir = FixturePaths.NewScratch();
        var path = Path.Combine(dir, "bad.jsonl");
        File.WriteAllLines(path,
        [
            "{\"text\": \"fine\"}",
            "",
            "{\"text\": \"unterminated",
            "{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": 5}",
            "{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"answer\": \"B\"}",
            "[1, 2]",
        ]);
        var ex = Assert.Throws<UserInputException>(() => DatasetReader.Load(path))!;
        Directory.Delete(dir, recursive: true);
        Assert.That(ex.Problems, Has.Count.EqualTo(3));
        Assert.That(ex.Problems[0], Does.StartWith(path + ":3:").And.Contain("not valid JSON"));
        Assert.That(ex.Problems[1], Does.StartWith(path + ":4:").And.Contain("\"answer\" is 5"));
        Assert.That(ex.Problems[2], Does.StartWith(path + ":6:").And.Contain("expected an object"));
    }

    // The paper's eight commonsense benchmarks, each file: (labels of the answer format, right index per record).
    [TestCase("boolq", "true/false", new[] { 0, 0 })]
    [TestCase("piqa", "solution1/solution2", new[] { 0, 1 })]
    [TestCase("social_i_qa", "answer1/answer2/answer3", new[] { 0, 2 })]
    [TestCase("hellaswag", "ending1/ending2/ending3/ending4", new[] { 1, 3 })]
    [TestCase("winogrande", "option1/option2", new[] { 0, 1 })]
    [TestCase("ARC-Easy", "answer1/answer2/answer3/answer4", new[] { 1, 0 })]
    [TestCase("ARC-Challenge", "answer1/answer2/answer3/answer4", new[] { 2, 3 })]
    [TestCase("openbookqa", "answer1/answer2/answer3/answer4", new[] { 0, 2 })]
    public void Load_LlmAdaptersTestSet_ReadsLabelsAnswersAndAlpacaPrompt(string name, string labels, int[] answers)
    {
        var path = Sample($"llm-adapters/{name}.json");
        var data = DatasetReader.Load(path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var raw = doc.RootElement.EnumerateArray().ToList();
        Assert.That(data.Format, Is.EqualTo(DatasetFormat.LlmAdapters));
        var items = data.Items.Cast<ChoiceItem>().ToList();
        Assert.That(items.Select(i => i.Answer), Is.EqualTo(answers));
        Assert.That(items.Select(i => i.Line), Is.EqualTo(new[] { 2, 8 }), "line of each element's opening brace");
        for (int i = 0; i < items.Count; i++)
        {
            Assert.That(string.Join("/", items[i].Choices), Is.EqualTo(labels));
            var instruction = raw[i].GetProperty("instruction").GetString();
            Assert.That(items[i].Context, Is.EqualTo(
                "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
                + $"### Instruction:\n{instruction}\n\n### Response:\n"));
            // The right continuation is the record's own training output.
            Assert.That(items[i].Continuation(items[i].Answer), Is.EqualTo(raw[i].GetProperty("output").GetString()));
        }
    }

    [TestCase("[{\"instruction\": \"x\"},\n", "t.json:2:")]
    [TestCase("[{\"instruction\": \"x\"}] trailing", "t.json:1:")]
    [TestCase("[\n{\"instruction\": \"x\",\n\"input\": }]", "t.json:3:")]
    public void Parse_BrokenJsonList_IsOneProblemWithItsLine(string text, string location)
    {
        var ex = Assert.Throws<UserInputException>(() => DatasetReader.Parse(text, "t.json", new DatasetOptions()))!;
        Assert.That(ex.Problems.Single(), Does.StartWith(location).And.Contain("not valid JSON"));
    }

    [Test]
    public void Load_LlmAdaptersForTraining_KeepsInstructionsAndOutputs()
    {
        var data = DatasetReader.Load(Sample("llm-adapters/piqa.json"), new DatasetOptions(Use: DatasetUse.Training));
        var first = (InstructionItem)data.Items[0];
        Assert.That(first.Output, Is.EqualTo("the correct answer is solution1"));
        Assert.That(first.Instruction, Does.StartWith("Please choose the correct solution to the question: Keep a cup of tea warm."));
    }

    [Test]
    public void Parse_LlmAdaptersAnswerNotALabel_NamesTheLabels()
    {
        var text = "[{\"instruction\": \"Q?\\n\\nAnswer format: option1/option2\", \"input\": \"\", \"output\": \"\", \"answer\": \"option3\"}]";
        var ex = Assert.Throws<UserInputException>(() => DatasetReader.Parse(text, "t.json", new DatasetOptions()))!;
        Assert.That(ex.Problems.Single(), Does.StartWith("t.json:1:").And.Contain("option1/option2"));
    }

    [Test]
    public void Load_LmEvalSamples_ScoresTheLoggedContextAndContinuations()
    {
        var data = DatasetReader.Load(Sample("lm-eval-samples.jsonl"));
        Assert.That(data.Format, Is.EqualTo(DatasetFormat.LmEval));
        var items = data.Items.Cast<ChoiceItem>().ToList();
        Assert.That(items[0].Context, Is.EqualTo("Question: Which of these is a source of light?\nAnswer:"));
        Assert.That(items[0].Choices, Is.EqualTo(new[] { "a mirror", "the Sun", "the Moon" }));
        Assert.That(items[0].Continuation(1), Is.EqualTo(" the Sun"));
        Assert.That(items[0].Answer, Is.EqualTo(1), "integer target");
        Assert.That(items[1].Choices, Is.EqualTo(new[] { "sunlight", "sand" }), "older [[ctx, cont], ...] arguments");
        Assert.That(items[1].Answer, Is.EqualTo(0), "target given as the choice's text");
    }

    [Test]
    public void Load_LmEvalDocs_ReadsQueryChoicesGold()
    {
        var items = DatasetReader.Load(Sample("lm-eval-docs.jsonl")).Items.Cast<ChoiceItem>().ToList();
        Assert.That(items.Select(i => i.Answer), Is.EqualTo(new[] { 1, 0 }));
        Assert.That(items[0].Context + items[0].Continuation(1), Is.EqualTo("Question: Evaporation is caused by\nAnswer: heat"));
    }

    [Test]
    public void Load_FormatDisagreesWithFile_SaysWhichFormatItFound()
    {
        var ex = Assert.Throws<UserInputException>(() => DatasetReader.Load(Sample("lm-eval-docs.jsonl"), new DatasetOptions(DatasetFormat.LlmAdapters)))!;
        Assert.That(ex.Problems[0], Does.Contain("a record of format lm-eval in a file read as llm-adapters"));
    }

    [Test]
    public void ParseFormat_UnknownName_ListsTheNames()
    {
        var ex = Assert.Throws<UserInputException>(() => DatasetOptions.ParseFormat("csv"))!;
        Assert.That(ex.Message, Does.Contain("auto, jsonl, llm-adapters, lm-eval"));
    }
}
