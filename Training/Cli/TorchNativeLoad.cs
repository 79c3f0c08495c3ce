namespace CimSim.Training.Cli;

/// <summary>
/// Turns a failure to load TorchSharp's native libraries into one message that says what to do (issue 15), instead of
/// TorchSharp's multi-page trace. The usual cause on Linux is a libstdc++ older than GCC 13: libLibTorchSharp.so of
/// TorchSharp-cpu 0.107.0 needs GLIBCXX_3.4.32, which Training/native/fix-libtorchsharp.sh works around at build, publish
/// and pack time where g++, readelf and patchelf exist (a tool packed elsewhere, or on a machine without them, is not
/// patched).
/// </summary>
internal static class TorchNativeLoad
{
    public static bool IsLoadFailure(Exception ex) => Chain(ex).Any(e =>
        e is DllNotFoundException
        || (e is NotSupportedException && (e.Message.Contains("libtorch", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("TorchSharp", StringComparison.Ordinal))));

    public static string Explain(Exception ex)
    {
        var cause = Chain(ex).Last(e => e is DllNotFoundException or NotSupportedException).Message.Split('\n')[0].Trim();
        var native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        return $"cannot load TorchSharp's native libraries ({cause}). "
               + "On Linux the usual cause is a libstdc++ older than GCC 13: libLibTorchSharp.so needs GLIBCXX_3.4.32 "
               + "(`strings \"$(g++ -print-file-name=libstdc++.so.6)\" | grep GLIBCXX_3.4.32` shows whether yours has it). "
               + $"Run `bash Training/native/fix-libtorchsharp.sh {native}` from the CimSim sources (needs readelf, g++ and patchelf: "
               + "scripts/install-deps.sh), or install libstdc++ from GCC 13 or newer; docs/training.md explains the workaround.";
    }

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException) yield return e;
    }
}
