namespace CimSim.Common.Units;

/// <summary>Unit conversions kept in one place; names carry the unit (EnergyPicojoules, AreaSquareMillimetres).</summary>
public static class UnitConversions
{
    public const double PicojoulesPerJoule = 1e12;
    public const double FemtojoulesPerPicojoule = 1e3;
    public static double PicojoulesToJoules(double pj) => pj / PicojoulesPerJoule;
    public static double JoulesToPicojoules(double j) => j * PicojoulesPerJoule;
    public static double SquareMicrometresToSquareMillimetres(double um2) => um2 * 1e-6;
}
