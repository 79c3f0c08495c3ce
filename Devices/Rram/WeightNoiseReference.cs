using System.Numerics.Tensors;
using CimSim.Common.Noise;
using CimSim.Common.Numerics;
using CimSim.Devices.Config;

namespace CimSim.Devices.Rram;

/// <summary>
/// The max|W| that the weight-noise sigma of a <see cref="NoiseModel"/> is relative to (docs/devices.md, section 7.5):
/// of the weight's tile (tile inputs x tile outputs, <see cref="TileMaxAbs"/>), of the layer, or |w| itself. Holds one
/// value per tile, not per weight, so programming a large matrix (a 128k-vocabulary lm_head) needs no second copy.
/// </summary>
public sealed class WeightNoiseReference
{
    private readonly NoiseScale _scale;
    private readonly float _layerMax;
    private readonly float[] _tiles = [];
    private readonly int _tileInputs = 1, _tileOutputs = 1, _inputTiles = 1;

    private WeightNoiseReference(NoiseScale scale, float layerMax, float[] tiles, int tileInputs, int tileOutputs, int inputTiles)
    {
        (_scale, _layerMax, _tiles, _tileInputs, _tileOutputs, _inputTiles) = (scale, layerMax, tiles, tileInputs, tileOutputs, inputTiles);
    }

    public static WeightNoiseReference Of(ReadOnlySpan<float> w, int outF, int inF, NoiseModel model) => model.Scale switch
    {
        NoiseScale.Weight => new(model.Scale, 0, [], 1, 1, 1),
        NoiseScale.Layer => new(model.Scale, Math.Abs(TensorPrimitives.MaxMagnitude(w)), [], 1, 1, 1),
        _ => new(model.Scale, 0, TileMaxAbs.PerTile(w, outF, inF, model.TileInputs, model.TileOutputs), model.TileInputs, model.TileOutputs,
            TileMaxAbs.Grid(outF, inF, model.TileInputs, model.TileOutputs).InputTiles),
    };

    /// <summary>
    /// The reference of a matrix from those of its blocks of rows, in order (<see cref="Of"/> of each block; every block
    /// but the last holds whole tiles): the same values as <see cref="Of"/> of the whole matrix, since each is a maximum.
    /// </summary>
    public static WeightNoiseReference Join(IReadOnlyList<WeightNoiseReference> blocks)
    {
        if (blocks.Count == 0) throw new ArgumentException("no blocks", nameof(blocks));
        var first = blocks[0];
        if (blocks.Any(b => b._scale != first._scale || b._tileInputs != first._tileInputs || b._tileOutputs != first._tileOutputs || b._inputTiles != first._inputTiles))
            throw new ArgumentException("blocks of different references", nameof(blocks));
        return new(first._scale, blocks.Max(b => b._layerMax), blocks.SelectMany(b => b._tiles).ToArray(), first._tileInputs, first._tileOutputs, first._inputTiles);
    }

    /// <summary><see cref="At"/> of every weight of output row <paramref name="o"/> ([in] weights) into <paramref name="destination"/>.</summary>
    public void FillRow(ReadOnlySpan<float> row, int o, Span<float> destination)
    {
        switch (_scale)
        {
            case NoiseScale.Weight:
                TensorPrimitives.Abs(row, destination);
                break;
            case NoiseScale.Layer:
                destination[..row.Length].Fill(_layerMax);
                break;
            default:
                var tiles = _tiles.AsSpan(o / _tileOutputs * _inputTiles, _inputTiles);
                for (int t = 0, i0 = 0; i0 < row.Length; t++, i0 += _tileInputs)
                    destination.Slice(i0, Math.Min(_tileInputs, row.Length - i0)).Fill(tiles[t]);
                break;
        }
    }

    /// <summary>The reference of weight <paramref name="w"/> at output <paramref name="o"/>, input <paramref name="i"/>.</summary>
    public float At(float w, int o, int i) => _scale switch
    {
        NoiseScale.Weight => Math.Abs(w),
        NoiseScale.Layer => _layerMax,
        _ => _tiles[o / _tileOutputs * _inputTiles + i / _tileInputs],
    };
}
