using System.Globalization;

namespace CimSim.Common.Units;

/// <summary>
/// Human-readable quantities for reports, plots and log lines (one place, so a Markdown table, a plot label and
/// the console agree): up to three decimals in the largest prefix below the value, invariant culture.
/// </summary>
public static class UnitFormat
{
    /// <summary>Joules as J, mJ or uJ.</summary>
    public static string Joules(double j) => Math.Abs(j) >= 1 ? F(j) + " J" : Math.Abs(j) >= 1e-3 ? F(j * 1e3) + " mJ" : F(j * 1e6) + " uJ";

    /// <summary>Seconds as s, ms or us.</summary>
    public static string Seconds(double s) => Math.Abs(s) >= 1 ? F(s) + " s" : Math.Abs(s) >= 1e-3 ? F(s * 1e3) + " ms" : F(s * 1e6) + " us";

    private static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
