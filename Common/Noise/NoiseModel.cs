using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CimSim.Common.Errors;

namespace CimSim.Common.Noise;

/// <summary>
/// What max|W| a relative noise number is multiplied by (docs/devices.md, section 7.5). YAML spells the members
/// tile / layer / weight (rram.noise.weight_noise.scale), the noise-profile JSON tile_max_abs / layer_max_abs /
/// weight_abs (<see cref="NoiseScales.WireName"/>), the trainer's --sigma-scope either.
/// </summary>
[JsonConverter(typeof(NoiseScaleJsonConverter))]
public enum NoiseScale
{
    /// <summary>max|W| of each tile of tile_inputs x tile_outputs weights, as one crossbar tile holds them (the default).</summary>
    Tile,

    /// <summary>max|W| of the whole layer.</summary>
    Layer,

    /// <summary>|w| of each weight itself (multiplicative noise).</summary>
    Weight,
}

/// <summary>Names of <see cref="NoiseScale"/> in files and on the command line.</summary>
public static class NoiseScales
{
    /// <summary>The noise-profile JSON names, in <see cref="NoiseScale"/> order.</summary>
    public static readonly IReadOnlyList<string> WireNames = ["tile_max_abs", "layer_max_abs", "weight_abs"];

    public static string WireName(NoiseScale scale) => WireNames[(int)scale];

    /// <summary>A scale from its JSON name or its YAML / command-line word (tile, layer, weight), case-insensitive.</summary>
    public static bool TryParse(string? text, out NoiseScale scale)
    {
        var t = (text ?? "").Trim().ToLowerInvariant();
        for (int i = 0; i < WireNames.Count; i++)
            if (t == WireNames[i] || t == ((NoiseScale)i).ToString().ToLowerInvariant()) { scale = (NoiseScale)i; return true; }
        scale = NoiseScale.Tile;
        return false;
    }

    /// <summary>As <see cref="TryParse"/>; an unknown word is a user error naming <paramref name="where"/>.</summary>
    public static NoiseScale Parse(string? text, string where) => TryParse(text, out var s) ? s
        : throw new UserInputException($"{where}: found '{text}', expected tile, layer or weight ({string.Join(", ", WireNames)} in a noise profile)");
}

/// <summary>
/// The one noise-model record from chip to trainer (IBM aihwkit's pattern: one RPU config carries the inference
/// noise model and the training weight modifier, so evaluation and training cannot drift apart). Weight noise:
/// W_noisy = W + (Mean + Sigma z) x ref(W), z ~ N(0, 1) per weight, ref = max|W| of the weight's tile of
/// <see cref="TileInputs"/> x <see cref="TileOutputs"/> (crossbar rows = input features x columns = output features),
/// of the layer, or |w| (<see cref="Scale"/>); output noise: y_noisy = y + OutputSigmaRel x rms(y) z (ADC
/// quantisation and read noise seen at the output). The device reads it from rram.noise.weight_noise (Mean and
/// OutputSigmaRel 0: the ADC model makes its own output error), the noise profile writes one per module and a
/// recommended one (JSON keys kind, scale, sigma, mean, output_sigma_rel, tile_rows, tile_columns), the trainer
/// injects it (docs/training.md).
/// </summary>
public sealed record NoiseModel
{
    /// <summary>"gaussian" (the only kind so far).</summary>
    public string Kind { get; init; } = "gaussian";

    public NoiseScale Scale { get; init; } = NoiseScale.Tile;

    /// <summary>Standard deviation relative to the scale's max|W|.</summary>
    public double Sigma { get; init; }

    /// <summary>Mean of the weight error, relative like <see cref="Sigma"/>.</summary>
    public double Mean { get; init; }

    /// <summary>Output noise std relative to rms(y), 0 when the output carries none.</summary>
    public double OutputSigmaRel { get; init; }

    /// <summary>Tile extent in input features (crossbar rows).</summary>
    [JsonPropertyName("tile_rows")]
    public int TileInputs { get; init; } = 64;

    /// <summary>Tile extent in output features (crossbar columns).</summary>
    [JsonPropertyName("tile_columns")]
    public int TileOutputs { get; init; } = 64;

    /// <summary>Largest sigma, |mean| or output sigma accepted (the bounds of rram.noise.weight_noise.sigma).</summary>
    public const double MaxRelative = 10;

    /// <summary>Largest tile extent accepted (as rram.noise.weight_noise.tile_rows / tile_cols).</summary>
    public const int MaxTile = 1 << 20;

    /// <summary>Every problem of the record, each prefixed with <paramref name="path"/> (e.g. a JSON path).</summary>
    public IReadOnlyList<string> Problems(string path)
    {
        var p = new List<string>();
        if (Kind != "gaussian") p.Add($"{path}.kind is \"{Kind}\", expected \"gaussian\"");
        // sigma or mean 1e300 gave a NaN loss and an SVD crash in the trainer (issue 14): bound them as the config does.
        Range(Sigma, 0, MaxRelative, "sigma");
        Range(Mean, -MaxRelative, MaxRelative, "mean");
        Range(OutputSigmaRel, 0, MaxRelative, "output_sigma_rel");
        if (TileInputs is < 1 or > MaxTile) p.Add($"{path}.tile_rows is {TileInputs}, expected an integer 1 .. {MaxTile}");
        if (TileOutputs is < 1 or > MaxTile) p.Add($"{path}.tile_columns is {TileOutputs}, expected an integer 1 .. {MaxTile}");
        return p;

        void Range(double x, double min, double max, string name)
        {
            if (!(x >= min && x <= max)) p.Add($"{path}.{name} is {x.ToString(CultureInfo.InvariantCulture)}, expected a finite number {min} .. {max}");
        }
    }

    /// <summary>One line for logs: "Gaussian, sigma 0.01 x max|W| per 64x64 tile (inputs x outputs)".</summary>
    public string Describe() => $"Gaussian, {(Mean != 0 ? $"mean {Mean.ToString(CultureInfo.InvariantCulture)}, " : "")}sigma {Sigma.ToString(CultureInfo.InvariantCulture)} x " + Scale switch
    {
        NoiseScale.Tile => $"max|W| per {TileInputs}x{TileOutputs} tile (inputs x outputs)",
        NoiseScale.Layer => "max|W| per layer",
        _ => "|w|",
    } + (OutputSigmaRel != 0 ? $", output {OutputSigmaRel.ToString(CultureInfo.InvariantCulture)} x rms(y)" : "");
}

/// <summary>Writes <see cref="NoiseScale"/> as its JSON name; an unknown name fails naming the accepted ones.</summary>
public sealed class NoiseScaleJsonConverter : JsonConverter<NoiseScale>
{
    public override NoiseScale Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        if (text != null && NoiseScales.WireNames.Contains(text)) return (NoiseScale)NoiseScales.WireNames.ToList().IndexOf(text);
        throw new JsonException($"scale \"{text ?? reader.TokenType.ToString()}\", expected one of {string.Join(", ", NoiseScales.WireNames)}");
    }

    public override void Write(Utf8JsonWriter writer, NoiseScale value, JsonSerializerOptions options) =>
        writer.WriteStringValue(NoiseScales.WireName(value));
}
