using System.Numerics.Tensors;

namespace CimSim.Common.Numerics;

/// <summary>
/// max|W| per crossbar tile of a weight matrix W stored [out, in] row-major (the Hugging Face layout): a tile
/// spans <c>tileInputs</c> input features (crossbar rows, columns of W) by <c>tileOutputs</c> output features
/// (crossbar columns, rows of W), as the RRAM array holds it (docs/devices.md, "Weight noise"). The one
/// implementation shared by the device's weight noise and the noise profile; the trainer's tensor version
/// (Training/Noise/GaussianWeightNoise.Scale) is tested against it.
/// </summary>
public static class TileMaxAbs
{
    /// <summary>Tiles along the outputs and along the inputs.</summary>
    public static (int OutputTiles, int InputTiles) Grid(int outF, int inF, int tileInputs, int tileOutputs) =>
        ((outF + tileOutputs - 1) / tileOutputs, (inF + tileInputs - 1) / tileInputs);

    /// <summary>max|W| of every tile, [outputTiles, inputTiles] row-major.</summary>
    public static float[] PerTile(ReadOnlySpan<float> w, int outF, int inF, int tileInputs, int tileOutputs)
    {
        if (outF < 1 || inF < 1 || tileInputs < 1 || tileOutputs < 1 || w.Length != (long)outF * inF)
            throw new ArgumentException($"matrix {outF} x {inF} ({w.Length} values), tile {tileInputs} x {tileOutputs}");
        var (to, ti) = Grid(outF, inF, tileInputs, tileOutputs);
        var result = new float[to * ti];
        // Each row of tiles (tileOutputs rows of W, fewer in the last) on one task, rows of tiles on all cores.
        ParallelRows.For(w, tileOutputs * inF, (bo, tileRows) =>
        {
            for (int o = 0; o < tileRows.Length / inF; o++)
            {
                var row = tileRows.Slice(o * inF, inF);
                for (int bi = 0; bi < ti; bi++)
                {
                    int i0 = bi * tileInputs, n = Math.Min(tileInputs, inF - i0);
                    float m = Math.Abs(TensorPrimitives.MaxMagnitude(row.Slice(i0, n)));
                    ref float slot = ref result[bo * ti + bi];
                    if (m > slot) slot = m;
                }
            }
        });
        return result;
    }

    /// <summary>The max|W| of each weight's tile, one value per weight ([out, in]).</summary>
    public static float[] PerWeight(ReadOnlySpan<float> w, int outF, int inF, int tileInputs, int tileOutputs)
    {
        var tiles = PerTile(w, outF, inF, tileInputs, tileOutputs);
        var (_, ti) = Grid(outF, inF, tileInputs, tileOutputs);
        var result = new float[w.Length];
        for (int o = 0; o < outF; o++)
            for (int bi = 0; bi < ti; bi++)
            {
                int i0 = bi * tileInputs, n = Math.Min(tileInputs, inF - i0);
                result.AsSpan(o * inF + i0, n).Fill(tiles[o / tileOutputs * ti + bi]);
            }
        return result;
    }
}
