using CimSim.Training.Data;
using CimSim.Training.Evaluation;
using CimSim.Training.Tests.Data;
using static TorchSharp.torch;

namespace CimSim.Training.Tests.Evaluation;

public class MultipleChoiceScorerTests
{
    /// <summary>Sum of log p(token | prefix) over the continuation, one unpadded sequence at a time (no batching).</summary>
    private static double ContinuationLogLikelihood(CimSim.Training.Model.CausalLm model, int[] context, int[] continuation)
    {
        using var scope = NewDisposeScope();
        int[] all = [.. context, .. continuation];
        var logp = nn.functional.log_softmax(model.forward(tensor(all.Select(i => (long)i).ToArray(), new long[] { 1, all.Length })), -1);
        double sum = 0;
        for (int k = context.Length; k < all.Length; k++) sum += logp[0, k - 1, all[k]].item<float>();
        return sum;
    }

    [Test]
    public void Accuracy_AnswersSetToIndependentArgmax_IsOneAndToArgmin_IsZero()
    {
        using var model = TinyModels.RandomModel(seed: 11);
        model.eval();
        using var _ = no_grad();
        var items = MultipleChoiceScorer.Load(JsonlDatasetTests.Sample("llm-adapters/hellaswag.json"), new ByteTokenizer());
        Assert.That(items, Has.Count.EqualTo(2));
        Assert.That(items.Select(i => i.Answer), Is.EqualTo(new[] { 1, 3 }), "ending2, ending4");
        var best = new List<MultipleChoiceItem>();
        var worst = new List<MultipleChoiceItem>();
        foreach (var it in items)
        {
            var ll = it.Continuations.Select(c => ContinuationLogLikelihood(model, it.Context, c)).ToList();
            Assert.That(ll.Distinct().Count(), Is.EqualTo(ll.Count), "choices must differ in likelihood for the test to mean anything");
            best.Add(it with { Answer = ll.IndexOf(ll.Max()) });
            worst.Add(it with { Answer = ll.IndexOf(ll.Min()) });
        }
        // Batches of 3 mix items and pad shorter sequences: padding or an off-by-one shift would change the winners.
        Assert.That(MultipleChoiceScorer.Accuracy(model, best, batchSize: 3), Is.EqualTo(1.0));
        Assert.That(MultipleChoiceScorer.Accuracy(model, worst, batchSize: 3), Is.EqualTo(0.0));
    }

    [Test]
    public void Load_TextRecords_AreRejectedWithTheirLine()
    {
        var ex = Assert.Throws<Common.Errors.UserInputException>(() => MultipleChoiceScorer.Load(JsonlDatasetTests.Sample("cimsim.jsonl"), new ByteTokenizer()))!;
        Assert.That(ex.Problems.Single(), Does.EndWith("cimsim.jsonl:1: a TextItem record; --eval needs multiple-choice records"));
    }
}
