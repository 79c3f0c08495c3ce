using CimSim.Training.Train;
using static TorchSharp.torch;

namespace CimSim.Training.Tests.Train;

public class LoraRegularizerTests
{
    private static double FiniteDifferenceCheck(RegNorm kind)
    {
        using var g = new Generator(11);
        var a = randn(new long[] { 4, 12 }, dtype: ScalarType.Float64, generator: g).requires_grad_(true);
        var b = randn(new long[] { 10, 4 }, dtype: ScalarType.Float64, generator: g).requires_grad_(true);
        var loss = LoraRegularizer.ModuleTerm(a, b, kind);
        loss.backward();
        var analytic = cat(new[] { a.grad!.flatten(), b.grad!.flatten() }).data<double>().ToArray();
        var numeric = new List<double>();
        const double h = 1e-6;
        foreach (var t in new[] { a, b })
        {
            var flat = t.detach().flatten();
            for (var i = 0; i < flat.shape[0]; i++)
            {
                var plus = t.detach().clone().flatten();
                plus[i] = plus[i] + h;
                var minus = t.detach().clone().flatten();
                minus[i] = minus[i] - h;
                double F(Tensor p) => (t.Equals(a)
                    ? LoraRegularizer.ModuleTerm(p.view(a.shape), b.detach(), kind)
                    : LoraRegularizer.ModuleTerm(a.detach(), p.view(b.shape), kind)).item<double>();
                numeric.Add((F(plus) - F(minus)) / (2 * h));
            }
        }
        double maxRel = 0;
        for (var i = 0; i < analytic.Length; i++)
        {
            maxRel = Math.Max(maxRel, Math.Abs(analytic[i] - numeric[i]) / Math.Max(1.0, Math.Abs(numeric[i])));
        }
        return maxRel;
    }

    [TestCase(RegNorm.Spectral)]
    [TestCase(RegNorm.SpectralPower)]
    [TestCase(RegNorm.Frobenius)]
    public void ModuleTerm_Gradient_MatchesFiniteDifferences(RegNorm kind)
    {
        Assert.That(FiniteDifferenceCheck(kind), Is.LessThan(1e-5));
    }

    [Test]
    public void GramNorm_Spectral_EqualsSquaredTopSingularValue()
    {
        using var g = new Generator(3);
        var a = randn(new long[] { 4, 20 }, dtype: ScalarType.Float64, generator: g);
        var sigma = linalg.svdvals(a).max().item<double>();
        var exact = LoraRegularizer.GramNorm(a.matmul(a.t()), RegNorm.Spectral).item<double>();
        var power = LoraRegularizer.GramNorm(a.matmul(a.t()), RegNorm.SpectralPower).item<double>();
        Assert.That(exact, Is.EqualTo(sigma * sigma).Within(1e-9 * sigma * sigma));
        Assert.That(power, Is.EqualTo(sigma * sigma).Within(1e-6 * sigma * sigma));
    }

    [Test]
    public void ModuleTerm_ZeroB_HasFiniteGradient()
    {
        // PEFT starts B at zero: the spectral norm of the zero Gram matrix must still give a usable gradient.
        var a = ones(4, 8).requires_grad_(true);
        var b = zeros(6, 4).requires_grad_(true);
        LoraRegularizer.ModuleTerm(a, b, RegNorm.Spectral).backward();
        Assert.That(isfinite(b.grad!).all().item<bool>() && isfinite(a.grad!).all().item<bool>(), Is.True);
    }
}
