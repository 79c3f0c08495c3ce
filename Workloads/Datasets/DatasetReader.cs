using System.Text.Json;
using CimSim.Common.Errors;
using CimSim.Common.IO;

namespace CimSim.Workloads.Datasets;

/// <summary>The records of one data file and the format they were read as.</summary>
public sealed record Dataset(IReadOnlyList<EvalItem> Items, DatasetFormat Format);

/// <summary>
/// The one reader of evaluation and training data, for `cimsim accuracy`, `cimsim sweep` probes and `cimsim-train`
/// (docs/workloads.md). A file is a JSON list (LLM-Adapters) or JSONL; each record is classified by its keys and must
/// belong to one format (the requested one, or with Auto the first record's). Every bad record is reported at once as
/// FILE:LINE with what was found and expected.
/// </summary>
public static class DatasetReader
{
    private const string Expected = "expected {\"text\"}, {\"question\", \"choices\", \"answer\"}, {\"instruction\", \"input\", \"output\", \"answer\"} (LLM-Adapters) or lm-evaluation-harness {\"arguments\", \"target\"} / {\"query\", \"choices\", \"gold\"}";

    public static Dataset Load(string path, DatasetOptions? options = null)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: data file not found ({Expected})");
        const string what = "a JSON list or JSONL data file";
        options ??= new DatasetOptions();
        bool list;
        using (var r = new StreamReader(InputFile.OpenRead(path, what)))
            list = JsonRecords.LooksLikeArray(r);
        if (list) return Parse(InputFile.ReadAllText(path, what), path, options);
        // JSONL is streamed line by line, each line bounded (InputFile.MaxJsonlLineChars): one endless line is an error, not
        // an out-of-memory abort.
        var problems = new List<string>();
        return FromRecords(JsonRecords.ReadLines(InputFile.ReadLines(path, what), path, problems), problems, path, options);
    }

    public static Dataset Parse(string text, string source, DatasetOptions options)
    {
        var problems = new List<string>();
        var records = JsonRecords.LooksLikeArray(new StringReader(text))
            ? JsonRecords.ReadArray(text, source, problems)
            : JsonRecords.ReadLines(InputFile.ReadLines(new StringReader(text), source), source, problems);
        return FromRecords(records, problems, source, options);
    }

    private static Dataset FromRecords(List<JsonRecord> records, List<string> problems, string source, DatasetOptions options)
    {
        var format = options.Format;
        var items = new List<EvalItem>();
        foreach (var r in records)
        {
            if (r.Value.ValueKind != JsonValueKind.Object)
            {
                problems.Add($"{source}:{r.Line}: found a JSON {r.Value.ValueKind}, expected an object");
                continue;
            }
            var found = Classify(r.Value);
            if (found is null)
            {
                problems.Add($"{source}:{r.Line}: keys {{{string.Join(", ", r.Value.EnumerateObject().Select(p => p.Name))}}}; {Expected}");
                continue;
            }
            if (format == DatasetFormat.Auto) format = found.Value;
            if (!Accepts(format, found.Value))
            {
                problems.Add($"{source}:{r.Line}: a record of format {Name(found.Value)} in a file read as {Name(format)}; one file holds one format (--format)");
                continue;
            }
            string problem;
            var item = found switch
            {
                DatasetFormat.LmEval => LmEvalFormat.Read(r, out problem),
                DatasetFormat.LlmAdapters => LlmAdaptersFormat.Read(r, options, out problem),
                _ => Native.Read(r, out problem),
            };
            if (item is not null) items.Add(item);
            else problems.Add($"{source}:{r.Line}: {problem}");
        }
        if (problems.Count > 0) throw new UserInputException($"{source}: {problems.Count} bad record(s)", problems);
        if (items.Count == 0) throw new UserInputException($"{source}: no records ({Expected})");
        return new Dataset(items, format);
    }

    /// <summary>The format a record's keys belong to, or null.</summary>
    private static DatasetFormat? Classify(JsonElement e)
    {
        if (LmEvalFormat.IsSample(e) || LmEvalFormat.IsDoc(e)) return DatasetFormat.LmEval;
        if (Native.IsQuestion(e) || Native.IsText(e)) return DatasetFormat.Jsonl;
        if (e.TryGetProperty("instruction", out _)) return DatasetFormat.LlmAdapters;
        return null;
    }

    // CimSim's JSONL also carries instruction lines (trainer data written as JSONL before LLM-Adapters lists were read).
    private static bool Accepts(DatasetFormat file, DatasetFormat record) =>
        file == record || (file == DatasetFormat.Jsonl && record == DatasetFormat.LlmAdapters);

    private static string Name(DatasetFormat f) => f switch
    {
        DatasetFormat.LlmAdapters => "llm-adapters",
        DatasetFormat.LmEval => "lm-eval",
        _ => "jsonl",
    };
}
