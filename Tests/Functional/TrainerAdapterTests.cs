using CimSim.Simulator.Functional;

namespace CimSim.Tests.Functional;

/// <summary>
/// The training loop closes: an adapter written by `cimsim-train --method halora` (on the committed
/// first HaLoRA stand-in, kept as Tests/Fixtures/trainer_halora_base since experiments/halora/pretrained was
/// replaced) was loaded by Hugging Face PEFT on the device machine
/// (scripts/check-peft-adapter.py: every LoRA tensor loaded unchanged), and the logits PEFT computed are the
/// reference here. The simulator deploying the same adapter with ideal devices must reproduce them.
/// </summary>
public class TrainerAdapterTests
{
    [Test]
    public void Forward_TrainerWrittenAdapter_ReproducesPeftLogits()
    {
        var reference = ReferenceLogitsTests.LoadReference("trainer_halora_peft");
        var model = FixturePaths.Of("trainer_halora_base");
        var m = FunctionalModel.Load(model, IdealPlacer.Instance, FixturePaths.Of("trainer_halora_adapter"));
        var logits = new InferenceSession(m).Forward(reference.Tokens);
        Assert.That(logits, Has.Length.EqualTo(reference.Tokens.Length * m.Spec.VocabSize));
        Assert.That(ReferenceLogitsTests.MaxAbsError(logits, reference.Logits, m.Spec.VocabSize), Is.LessThan(1e-3));
    }

    [Test]
    public void Forward_WithoutTheAdapter_DiffersFromPeftLogits()
    {
        // Guards the test above against a reference that the adapter does not influence.
        var reference = ReferenceLogitsTests.LoadReference("trainer_halora_peft");
        var model = FixturePaths.Of("trainer_halora_base");
        var m = FunctionalModel.Load(model, IdealPlacer.Instance, null);
        var logits = new InferenceSession(m).Forward(reference.Tokens);
        Assert.That(ReferenceLogitsTests.MaxAbsError(logits, reference.Logits, m.Spec.VocabSize), Is.GreaterThan(0.1));
    }
}
