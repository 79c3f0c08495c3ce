using CimSim.Common.Errors;

namespace CimSim.Common.IO;

/// <summary>
/// Checks where a command will write before it starts the work (minutes of simulation must not end in a stack trace
/// because --out names a file or a full disk): the location is not an existing file/directory of the wrong kind, the
/// nearest existing folder accepts a new file, and its disk has room. Nothing is created by the check.
/// </summary>
public static class OutputLocation
{
    /// <summary>Free space below which a run is refused before it starts, bytes (reports and plots need ~1 MiB).</summary>
    public const long MinimumFreeBytes = 1L << 20;

    /// <summary>An output directory (reports, sweep folders). <paramref name="flag"/> names it in messages, e.g. "--out".</summary>
    public static void CheckDirectory(string path, string flag)
    {
        var full = Full(path, flag);
        if (File.Exists(full))
            throw new UserInputException($"{flag} {path}: exists as a file; expected a directory (or a path that does not exist yet)");
        CheckWritable(full, path, flag);
    }

    /// <summary>An output file (logits JSON, noise profile).</summary>
    public static void CheckFile(string path, string flag)
    {
        var full = Full(path, flag);
        if (Directory.Exists(full))
            throw new UserInputException($"{flag} {path}: is a directory; expected a file path");
        CheckWritable(Path.GetDirectoryName(full) ?? full, path, flag);
    }

    private static string Full(string path, string flag)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UserInputException($"{flag}: found an empty path; expected a file or directory path");
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UserInputException($"{flag} {path}: not a usable path ({ex.Message})");
        }
    }

    private static void CheckWritable(string fullDirectory, string shown, string flag)
    {
        // The nearest folder that exists is where the first file or sub-folder will be created.
        var dir = fullDirectory;
        while (!Directory.Exists(dir))
        {
            if (File.Exists(dir))
                throw new UserInputException($"{flag} {shown}: {dir} is a file, so nothing can be written below it; expected a directory path");
            var parent = Path.GetDirectoryName(dir);
            if (parent is null) break;
            dir = parent;
        }
        var probe = Path.Combine(dir, $".cimsim-write-check-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{flag} {shown}: cannot write in {dir} ({ex.Message}); expected a writable location");
        }
        long free;
        try
        {
            free = new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return; // the free-space query is advisory; the write itself still fails cleanly (AtomicFile)
        }
        if (free < MinimumFreeBytes)
            throw new UserInputException($"{flag} {shown}: only {free} bytes free on the disk holding {dir}; expected at least {MinimumFreeBytes} bytes");
    }
}
