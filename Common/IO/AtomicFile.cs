using System.Text;
using CimSim.Common.Errors;

namespace CimSim.Common.IO;

/// <summary>
/// Writes outputs so that a reader never sees a half-written file: write to a temporary file beside the
/// target, flush, then rename over it (atomic on POSIX file systems). A failed write (disk full, permissions,
/// a file where a folder should be) removes the temporary file and becomes a <see cref="UserInputException"/>
/// naming the path, so every command exits 2 with the path instead of a stack trace.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string contents) => WriteAllBytes(path, new UTF8Encoding(false).GetBytes(contents));

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents)
    {
        var bytes = contents.ToArray();
        Write(path, fs => fs.Write(bytes));
    }

    /// <summary>Writes through a stream callback (large binary outputs), with the same temp-then-rename guarantee.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var tmp = full + ".tmp-" + Environment.ProcessId + "-" + Environment.CurrentManagedThreadId;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot write the output ({ex.Message}); nothing was written there", ex);
        }
        finally
        {
            try
            {
                if (File.Exists(tmp)) File.Delete(tmp);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The temporary file cannot be removed (the folder became unwritable); the target is untouched.
            }
        }
    }
}
