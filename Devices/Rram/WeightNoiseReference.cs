using System.Numerics.Tensors;
using CimSim.Common.Numerics;
using CimSim.Devices.Config;

namespace CimSim.Devices.Rram;

/// <summary>
/// The max|W| that the paper's weight-noise sigma is relative to (docs/devices.md, section 7.5): of the weight's
/// tile (tile_rows inputs x tile_cols outputs, <see cref="TileMaxAbs"/>), of the layer, or |w| itself. Holds one
/// value per tile, not per weight, so programming a large matrix (a 128k-vocabulary lm_head) needs no second copy.
/// </summary>
public sealed class WeightNoiseReference
{
    private readonly WeightNoiseScale _scale;
    private readonly float _layerMax;
    private readonly float[] _tiles = [];
    private readonly int _tileInputs = 1, _tileOutputs = 1, _inputTiles = 1;

    private WeightNoiseReference(WeightNoiseScale scale, float layerMax, float[] tiles, int tileInputs, int tileOutputs, int inputTiles)
    {
        (_scale, _layerMax, _tiles, _tileInputs, _tileOutputs, _inputTiles) = (scale, layerMax, tiles, tileInputs, tileOutputs, inputTiles);
    }

    public static WeightNoiseReference Of(ReadOnlySpan<float> w, int outF, int inF, WeightNoiseSpec wn) => wn.Scale switch
    {
        WeightNoiseScale.Weight => new(wn.Scale, 0, [], 1, 1, 1),
        WeightNoiseScale.Layer => new(wn.Scale, Math.Abs(TensorPrimitives.MaxMagnitude(w)), [], 1, 1, 1),
        _ => new(wn.Scale, 0, TileMaxAbs.PerTile(w, outF, inF, wn.TileRows, wn.TileCols), wn.TileRows, wn.TileCols,
            TileMaxAbs.Grid(outF, inF, wn.TileRows, wn.TileCols).InputTiles),
    };

    /// <summary>The reference of weight <paramref name="w"/> at output <paramref name="o"/>, input <paramref name="i"/>.</summary>
    public float At(float w, int o, int i) => _scale switch
    {
        WeightNoiseScale.Weight => Math.Abs(w),
        WeightNoiseScale.Layer => _layerMax,
        _ => _tiles[o / _tileOutputs * _inputTiles + i / _tileInputs],
    };
}
