using System.Globalization;

namespace CimSim.Training.Train;

/// <summary>One row of the training log (loss.csv).</summary>
public sealed record StepRecord(int Step, double LearningRate, double Loss, double Reg, double Total, double GradNorm, long Tokens, double TokensPerSecond)
{
    public const string Header = "step,lr,loss,l_reg,total,grad_norm,tokens,tokens_per_s";

    public string ToCsv() => string.Join(",",
        Step.ToString(CultureInfo.InvariantCulture), F(LearningRate), F(Loss), F(Reg), F(Total), F(GradNorm),
        Tokens.ToString(CultureInfo.InvariantCulture), TokensPerSecond.ToString("F1", CultureInfo.InvariantCulture));

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static StepRecord Parse(string line)
    {
        var f = line.Split(',');
        double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
        return new StepRecord(int.Parse(f[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), D(5), long.Parse(f[6], CultureInfo.InvariantCulture), D(7));
    }
}
