using CimSim.Training.Cli;

namespace CimSim.Training.Tests.Cli;

/// <summary>Issue 15: a libtorch that cannot load (an unpatched libstdc++) ends in one message saying what to run.</summary>
public class TorchNativeLoadTests
{
    [Test]
    public void IsLoadFailure_DllNotFoundInsideTypeInitializer_True()
    {
        var ex = new TypeInitializationException("TorchSharp.torch", new DllNotFoundException("Unable to load shared library 'LibTorchSharp': GLIBCXX_3.4.32 not found"));
        Assert.Multiple(() =>
        {
            Assert.That(TorchNativeLoad.IsLoadFailure(ex), Is.True);
            Assert.That(TorchNativeLoad.Explain(ex), Does.StartWith("cannot load TorchSharp's native libraries (Unable to load shared library 'LibTorchSharp': GLIBCXX_3.4.32 not found)"));
            Assert.That(TorchNativeLoad.Explain(ex), Does.Contain("fix-libtorchsharp.sh").And.Contain("GCC 13"));
        });
    }

    [Test]
    public void IsLoadFailure_UnrelatedErrors_False()
    {
        Assert.Multiple(() =>
        {
            Assert.That(TorchNativeLoad.IsLoadFailure(new InvalidOperationException("libtorch")), Is.False);
            Assert.That(TorchNativeLoad.IsLoadFailure(new NotSupportedException("stream does not support seeking")), Is.False);
        });
    }
}
