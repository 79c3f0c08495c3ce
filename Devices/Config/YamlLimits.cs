using CimSim.Common.Errors;
using CimSim.Common.IO;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace CimSim.Devices.Config;

/// <summary>
/// Resource bounds for every YAML file the program reads (hardware configs, includes, presets, sweep grids, GPU specs):
/// a regular file (not a FIFO or device: <see cref="InputFile"/>), a size limit, text only (no NUL bytes: a binary is
/// refused at its first byte), a nesting-depth limit checked on the event stream before any tree is built (50,000 nested
/// brackets overflowed the stack in the recursive node builder), and a limit on the node count with every alias expanded (a 342-byte "billion laughs" alias bomb took
/// 23 s at 9 levels and hung at 10, because later walks visit an aliased subtree once per reference).
/// </summary>
public static class YamlLimits
{
    /// <summary>Largest YAML file read, bytes (the shipped configs are below 20 KiB; a 50 MB config still loads).</summary>
    public const long MaxBytes = 64L << 20;

    /// <summary>Deepest nesting of mappings and sequences (the config schema is 4 levels deep).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most nodes in a document with every alias expanded.</summary>
    public const long MaxExpandedNodes = 1_000_000;

    /// <summary>Reads a YAML file as text within the limits; throws a <see cref="UserInputException"/> naming it otherwise.</summary>
    public static string ReadFile(string path, string displayName)
    {
        using var fs = InputFile.OpenRead(path, "a YAML file", displayName);
        using var ms = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = fs.Read(buffer, 0, buffer.Length)) > 0)
        {
            var nul = Array.IndexOf(buffer, (byte)0, 0, n);
            if (nul >= 0)
                throw new UserInputException($"{displayName}: found a NUL byte at offset {ms.Length + nul}; expected a YAML text file (not a binary or a device such as /dev/zero)");
            if (ms.Length + n > MaxBytes)
                throw new UserInputException($"{displayName}: larger than {MaxBytes >> 20} MiB; expected a YAML file below that size");
            ms.Write(buffer, 0, n);
        }
        ms.Position = 0;
        using var reader = new StreamReader(ms, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Parses text into a <see cref="YamlStream"/> after checking size, depth and expanded node count.</summary>
    /// <exception cref="YamlException">Syntax errors, and limit violations (with the position where the limit was passed).</exception>
    public static YamlStream Load(string text)
    {
        try
        {
            Check(text);
            var ys = new YamlStream();
            ys.Load(new StringReader(text));
            return ys;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet throws these for some malformed documents ("Global tags must be valid URIs", "The current event is
            // of an unsupported type"): found by fuzz/run.sh yaml; they are syntax errors of the input, not our bugs.
            throw new YamlException(Mark.Empty, Mark.Empty, $"the document could not be parsed ({ex.Message})", ex);
        }
    }

    /// <summary>Streams the parser's events once: O(size) time and memory whatever the aliases do.</summary>
    public static void Check(string text)
    {
        if (text.Length > MaxBytes)
            throw new YamlException(Mark.Empty, Mark.Empty, $"the text is larger than {MaxBytes >> 20} MiB");
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, long>(StringComparer.Ordinal);
        var open = new Stack<(string? Anchor, long Nodes)>();
        long total = 0;
        while (parser.MoveNext())
        {
            var e = parser.Current!;
            long size;
            switch (e)
            {
                case MappingStart ms:
                    Push(ms.Anchor, ms.Start);
                    continue;
                case SequenceStart ss:
                    Push(ss.Anchor, ss.Start);
                    continue;
                case MappingEnd or SequenceEnd:
                    {
                        var (anchor, nodes) = open.Pop();
                        size = nodes;
                        if (anchor is not null) anchors[anchor] = size;
                        break;
                    }
                case Scalar sc:
                    size = 1;
                    if (!sc.Anchor.IsEmpty) anchors[sc.Anchor.Value] = 1;
                    break;
                case AnchorAlias alias:
                    // An alias to a node still open refers to itself ("&a [*a]"): a cycle that every tree walk recursed into
                    // until the stack overflowed (found by InputPropertyTests).
                    if (open.Any(o => o.Anchor == alias.Value.Value))
                        throw new YamlException(e.Start, e.End, $"alias *{alias.Value.Value} refers to a node that contains it; expected no recursive aliases");
                    size = anchors.TryGetValue(alias.Value.Value, out var s) ? s : 1;
                    break;
                default:
                    continue;
            }
            if (open.Count > 0)
            {
                var (a, n) = open.Pop();
                open.Push((a, Math.Min(n + size, MaxExpandedNodes + 1)));
            }
            else
            {
                total = Math.Min(total + size, MaxExpandedNodes + 1);
            }
            if (total > MaxExpandedNodes || (open.Count > 0 && open.Peek().Nodes > MaxExpandedNodes))
                throw new YamlException(e.Start, e.End, $"more than {MaxExpandedNodes} nodes with every alias expanded (an alias bomb?); expected a plain config");
        }

        void Push(AnchorName anchor, Mark at)
        {
            if (open.Count >= MaxDepth)
                throw new YamlException(at, at, $"nesting deeper than {MaxDepth} levels; expected a config a few levels deep");
            open.Push((anchor.IsEmpty ? null : anchor.Value, 1));
        }
    }
}
