using System.Text.Json;
using System.Text.Json.Serialization;
using CimSim.Common.Errors;
using CimSim.Common.IO;
using CimSim.Common.Noise;
using CimSim.Common.Text;

namespace CimSim.Workloads.NoiseProfiles;

/// <summary>Reads and writes <see cref="NoiseProfile"/> files (snake_case JSON, non-finite numbers rejected).</summary>
public static class NoiseProfileJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.Strict,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static string Serialize(NoiseProfile profile) => NonFiniteResultException.Serialize(profile, Options, "the noise profile") + "\n";

    /// <summary>Writes the profile atomically.</summary>
    public static void Write(string path, NoiseProfile profile) => AtomicFile.WriteAllText(path, Serialize(profile));

    public static NoiseProfile Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"{path}: noise profile not found");
        return Parse(InputFile.ReadAllText(path, "a noise profile JSON file"), path);
    }

    /// <summary>Parses and checks format, version and values; problems name the file and the JSON path.</summary>
    public static NoiseProfile Parse(string json, string source = "noise profile")
    {
        using (var doc = ParseDocument(json, source))
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new UserInputException($"{source}: expected a JSON object");
            var format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            if (format != NoiseProfile.FormatName)
                throw new UserInputException($"{source}: $.format is {(format is null ? "missing" : "\"" + format + "\"")}, expected \"{NoiseProfile.FormatName}\"");
            // "version": "1" threw InvalidOperationException from TryGetInt32 (issue 14, defect 6): check the JSON kind first.
            var hasVersion = root.TryGetProperty("version", out var v);
            var version = hasVersion && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var vi) ? vi : -1;
            if (version < 1 || version > NoiseProfile.CurrentVersion)
                throw new UserInputException($"{source}: $.version is {(!hasVersion ? "missing" : v.ValueKind == JsonValueKind.Number ? v.GetRawText() : NameSuggestion.Excerpt(v.GetRawText()))}, expected an integer 1..{NoiseProfile.CurrentVersion} (the versions this CimSim reads)");
        }
        NoiseProfile? p;
        try
        {
            p = JsonSerializer.Deserialize<NoiseProfile>(json, Options);
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{source}: {ex.Path ?? "$"}: {ex.Message}");
        }
        if (p is null) throw new UserInputException($"{source}: empty noise profile");
        var problems = new List<string>();
        CheckFit(p.Recommended, "$.recommended", problems);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < p.Modules.Count; i++)
        {
            var m = p.Modules[i];
            if (string.IsNullOrEmpty(m.Name)) problems.Add($"$.modules[{i}].name is empty");
            else if (!seen.TryAdd(m.Name, i)) problems.Add($"$.modules[{i}].name \"{m.Name}\" repeats $.modules[{seen[m.Name]}]; expected each module once");
            CheckFit(m.Fit, $"$.modules[{i}].fit", problems);
        }
        if (problems.Count > 0) throw new UserInputException($"{source}: invalid noise profile", problems);
        return p;
    }

    private static JsonDocument ParseDocument(string json, string source)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new UserInputException($"{source}: not valid JSON (line {ex.LineNumber + 1}): {ex.Message}");
        }
    }

    private static void CheckFit(NoiseModel? fit, string path, List<string> problems)
    {
        if (fit is null) problems.Add($"{path} is missing");
        else problems.AddRange(fit.Problems(path));
    }
}
