using System.Text;
using System.Text.Json;

namespace CimSim.Workloads.Datasets;

/// <summary>One JSON record of a file and the 1-based line it starts on.</summary>
public readonly record struct JsonRecord(int Line, JsonElement Value);

/// <summary>
/// The one reader of record files: JSONL (one JSON value per non-empty line) and JSON lists (one record per
/// element). Each record is parsed once; every line that is not JSON becomes one problem "SOURCE:LINE: ...", so a
/// caller reports them all at once.
/// </summary>
public static class JsonRecords
{
    /// <summary>The non-empty lines of a JSONL text, each parsed; unparsable lines go to <paramref name="problems"/>.</summary>
    public static List<JsonRecord> ReadLines(IEnumerable<string> lines, string source, List<string> problems)
    {
        var records = new List<JsonRecord>();
        int line = 0;
        foreach (var raw in lines)
        {
            line++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            try
            {
                using var doc = JsonDocument.Parse(raw);
                records.Add(new JsonRecord(line, doc.RootElement.Clone()));
            }
            catch (JsonException ex)
            {
                problems.Add($"{source}:{line}: not valid JSON ({ex.Message.Split(". ")[0]})");
            }
        }
        return records;
    }

    /// <summary>
    /// The elements of a JSON list, each with the line its value starts on (found by one pass of a
    /// <see cref="Utf8JsonReader"/>, since <see cref="JsonDocument"/> keeps no positions).
    /// </summary>
    public static List<JsonRecord> ReadArray(string text, string source, List<string> problems)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var starts = new List<long>();
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                problems.Add($"{source}:1: expected a JSON list [ {{...}}, ... ]");
                return [];
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                starts.Add(reader.TokenStartIndex);
                reader.Skip();
            }
        }
        catch (JsonException ex)
        {
            problems.Add($"{source}:{(ex.LineNumber ?? 0) + 1}: not valid JSON ({ex.Message.Split(". ")[0]})");
            return [];
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            // The list itself was well formed, so this is what follows it.
            problems.Add($"{source}:{(ex.LineNumber ?? 0) + 1}: not valid JSON after the list ({ex.Message.Split(". ")[0]})");
            return [];
        }
        using var _ = doc;
        var records = new List<JsonRecord>(starts.Count);
        int i = 0, line = 1;
        long at = 0;
        foreach (var element in doc.RootElement.EnumerateArray())
        {
            for (; at < starts[i]; at++)
                if (bytes[at] == (byte)'\n') line++;
            records.Add(new JsonRecord(line, element.Clone()));
            i++;
        }
        return records;
    }

    /// <summary>Whether a text's first non-blank character opens a JSON list (reads only up to that character).</summary>
    public static bool LooksLikeArray(TextReader text)
    {
        int c;
        while ((c = text.Read()) >= 0)
        {
            if (char.IsWhiteSpace((char)c) || c == '\uFEFF') continue;
            return c == '[';
        }
        return false;
    }
}
