using CimSim.Devices.Config;

namespace CimSim.Mapping;

/// <summary>
/// The tiles of one chip on a 2-D mesh (docs/mapping.md "Topology"): tile t sits at row y = t / cols and column
/// x = t mod cols, snaking (odd rows run right to left) so that consecutive tiles, which hold consecutive units of
/// one matrix, are neighbours. The hub (global buffer and digital unit) is attached to the router at the middle
/// node ((cols - 1) / 2, (rows - 1) / 2). A transfer between the hub and tile t crosses |x - hx| + |y - hy| links
/// plus the router into the tile: hops = Manhattan distance + 1. On a bus every transfer is one hop.
/// </summary>
public sealed record MeshTopology(InterconnectTopology Kind, int Columns, int Rows)
{
    /// <summary>The mesh of a chip with <paramref name="tiles"/> tiles: interconnect.mesh_cols columns, or ceil(sqrt(tiles)).</summary>
    public static MeshTopology For(InterconnectSpec spec, long tiles)
    {
        var t = Math.Max(1, tiles);
        var cols = spec.MeshColumns > 0 ? spec.MeshColumns : (int)Math.Ceiling(Math.Sqrt(t) - 1e-9);
        cols = (int)Math.Max(1, Math.Min(cols, t));
        return new MeshTopology(spec.Topology, cols, (int)Tiling.CeilDiv(t, cols));
    }

    /// <summary>(x, y) of tile <paramref name="tile"/> (serpentine row-major order).</summary>
    public (int X, int Y) Coordinate(int tile)
    {
        var y = tile / Columns;
        var i = tile % Columns;
        return (y % 2 == 0 ? i : Columns - 1 - i, y);
    }

    /// <summary>Coordinate of the hub router.</summary>
    public (int X, int Y) Hub => ((Columns - 1) / 2, (Rows - 1) / 2);

    /// <summary>Hops between the hub and tile <paramref name="tile"/>.</summary>
    public int HopsFromHub(int tile) => Kind == InterconnectTopology.Bus ? 1 : Distance(Coordinate(tile), Hub) + 1;

    /// <summary>Hops between two tiles (X-Y routing: Manhattan distance, at least the one router into the target).</summary>
    public int HopsBetween(int a, int b) => Kind == InterconnectTopology.Bus ? 1 : Distance(Coordinate(a), Coordinate(b)) + 1;

    private static int Distance((int X, int Y) a, (int X, int Y) b) => Math.Abs(a.X - b.X) + Math.Abs(a.Y - b.Y);
}
