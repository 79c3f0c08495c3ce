using System.Runtime.InteropServices;
using System.Text;
using CimSim.Common.Errors;

namespace CimSim.Common.IO;

/// <summary>
/// The one way the program opens a file it reads (configs, includes, model and adapter JSON, safetensors, data sets,
/// noise profiles, sweep tables). Before anything is opened the path must name a regular file: open() on a FIFO blocks
/// until a writer appears (a hang, issue 14), and a character device or socket never ends or fails with an I/O error.
/// .NET exposes no file type on Unix, so it is read with statx(2) (Linux; one layout on every architecture) or
/// stat(2) (macOS); elsewhere there are no such files to name by path. JSONL is read line by line with a bound on the
/// line length, so one endless line cannot exhaust memory.
/// </summary>
public static partial class InputFile
{
    /// <summary>Longest line of a JSONL file, characters (a data set record is a few KiB; split longer documents).</summary>
    public const int MaxJsonlLineChars = 16 << 20;

    /// <summary>
    /// Throws a <see cref="UserInputException"/> when <paramref name="path"/> exists but is not a regular file.
    /// <paramref name="expected"/> says what was expected, e.g. "a hardware config YAML file". A missing path is left to
    /// the caller, whose "not found" message knows more. <paramref name="name"/> names the file in the message (default: the
    /// path).
    /// </summary>
    public static void RequireRegular(string path, string expected, string? name = null)
    {
        if (Directory.Exists(path)) throw new UserInputException($"{name ?? path}: is a directory; expected {expected}");
        var kind = SpecialKind(path);
        if (kind is not null) throw new UserInputException($"{name ?? path}: is a {kind}, not a regular file; expected {expected}");
    }

    /// <summary>A read-only stream of a regular file.</summary>
    public static FileStream OpenRead(string path, string expected, string? name = null)
    {
        RequireRegular(path, expected, name);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    public static string ReadAllText(string path, string expected)
    {
        using var s = OpenRead(path, expected);
        using var r = new StreamReader(s, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return r.ReadToEnd();
    }

    public static byte[] ReadAllBytes(string path, string expected)
    {
        RequireRegular(path, expected);
        return File.ReadAllBytes(path);
    }

    /// <summary>
    /// The lines of a text file, each at most <see cref="MaxJsonlLineChars"/> characters: a longer line ends the read
    /// with a <see cref="UserInputException"/> naming FILE:LINE before the line is held in memory.
    /// </summary>
    public static IEnumerable<string> ReadLines(string path, string expected, int maxLineChars = MaxJsonlLineChars)
    {
        RequireRegular(path, expected);
        return Lines(path, maxLineChars);
    }

    /// <summary>The lines of <paramref name="reader"/> with the same bound (for text already open).</summary>
    public static IEnumerable<string> ReadLines(TextReader reader, string source, int maxLineChars = MaxJsonlLineChars)
    {
        var line = new StringBuilder();
        var buffer = new char[1 << 16];
        int n, number = 1;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            int from = 0;
            for (int i = 0; i < n; i++)
            {
                if (buffer[i] != '\n') continue;
                Append(line, buffer, from, i - from, number, source, maxLineChars);
                yield return Line(line, number, source, maxLineChars);
                line.Clear();
                number++;
                from = i + 1;
            }
            Append(line, buffer, from, n - from, number, source, maxLineChars);
        }
        if (line.Length > 0) yield return Line(line, number, source, maxLineChars);
    }

    private static IEnumerable<string> Lines(string path, int maxLineChars)
    {
        using var r = new StreamReader(OpenRead(path, "a text file"), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        foreach (var l in ReadLines(r, path, maxLineChars)) yield return l;
    }

    // One character more than the bound is held: the '\r' of a "\r\n" line end.
    private static void Append(StringBuilder line, char[] buffer, int from, int count, int number, string source, int max)
    {
        if (line.Length + count > max + 1) throw TooLong(number, source, max);
        line.Append(buffer, from, count);
    }

    private static string Line(StringBuilder line, int number, string source, int max)
    {
        var length = line.Length > 0 && line[^1] == '\r' ? line.Length - 1 : line.Length;
        if (length > max) throw TooLong(number, source, max);
        return line.ToString(0, length);
    }

    private static UserInputException TooLong(int number, string source, int max) =>
        new($"{source}:{number}: line longer than {max:N0} characters; expected one JSON record per line of at most that length (split long documents over several records)");

    /// <summary>"FIFO (named pipe)", "character device", ... for an existing non-regular file; null otherwise.</summary>
    internal static string? SpecialKind(string path)
    {
        var mode = FileTypeBits(path);
        if (mode is null) return null;
        return (mode.Value & 0xF000) switch
        {
            0x8000 or 0x4000 => null, // regular file, directory (reported by the caller)
            0x1000 => "FIFO (named pipe)",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => "special file",
        };
    }

    // S_IFMT bits of st_mode, following symbolic links; null where unknown (no such file, or no stat on this OS).
    private static unsafe int? FileTypeBits(string path)
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                // struct statx (linux/stat.h, the same on every architecture): stx_mode is the u16 at offset 28.
                var buf = stackalloc byte[256];
                return Statx(AtFdCwd, path, 0, StatxType, buf) == 0 ? *(ushort*)(buf + 28) : null;
            }
            if (OperatingSystem.IsMacOS())
            {
                // struct stat (sys/stat.h, 64-bit inodes): dev_t st_dev (int32), then mode_t st_mode (u16) at offset 4.
                var buf = stackalloc byte[256];
                return Stat(path, buf) == 0 ? *(ushort*)(buf + 4) : null;
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // An old C library without statx: the check is skipped, as on Windows.
        }
        return null;
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);
}
