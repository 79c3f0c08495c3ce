using TorchSharp;
using CimSim.Training.Model;
using static TorchSharp.torch;

namespace CimSim.Training.Train;

/// <summary>How ||.|| in HaLoRA's L_reg is computed.</summary>
public enum RegNorm
{
    /// <summary>Spectral norm (largest singular value), exact, via torch.linalg.matrix_norm(ord = 2) (an SVD of an r x r matrix).</summary>
    Spectral,

    /// <summary>Spectral norm estimated by power iteration on the r x r Gram matrix (a few matrix-vector products).</summary>
    SpectralPower,

    /// <summary>Frobenius norm: the documented alternative reading of the paper's norm.</summary>
    Frobenius,
}

/// <summary>
/// HaLoRA's regulariser (Wu et al., arXiv 2502.19747, REFERENCES.md section 1):
/// L_reg = sum over adapted modules of ||A A^T||_2 + ||B^T B||_2, with A [r x In] and B [Out x r], so both Gram
/// matrices are r x r. It bounds the gain of the LoRA branch and so how far it amplifies the deviation of the
/// noisy W0 path. Note ||A A^T||_2 = sigma_max(A)^2.
/// </summary>
public static class LoraRegularizer
{
    /// <summary>Power-iteration steps for <see cref="RegNorm.SpectralPower"/>: r is tiny (4..64), so this converges to float precision.</summary>
    public const int PowerIterations = 30;

    public static RegNorm Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "spectral" or "2" => RegNorm.Spectral,
        "spectral-power" or "power" => RegNorm.SpectralPower,
        "frobenius" or "fro" => RegNorm.Frobenius,
        _ => throw new CimSim.Common.Errors.UserInputException($"--reg-norm: found '{text}', expected spectral, spectral-power or frobenius"),
    };

    /// <summary>||M|| of one square Gram matrix M (differentiable).</summary>
    public static Tensor GramNorm(Tensor gram, RegNorm kind)
    {
        switch (kind)
        {
            case RegNorm.Spectral:
                return linalg.matrix_norm(gram, 2.0);
            case RegNorm.Frobenius:
                return linalg.matrix_norm(gram, "fro");
            case RegNorm.SpectralPower:
                {
                    // Iterate v <- M v / |M v| on the detached matrix, then lambda = v^T M v with gradient through
                    // M only (the Rayleigh quotient at the top eigenvector of a symmetric PSD matrix).
                    Tensor v;
                    using (no_grad())
                    {
                        var m = gram.detach();
                        v = ones(m.shape[0], 1, dtype: m.dtype) / Math.Sqrt(m.shape[0]);
                        for (var i = 0; i < PowerIterations; i++)
                        {
                            var mv = m.matmul(v);
                            var n = mv.norm();
                            if (n.ToDouble() == 0) break;
                            v = mv / n;
                        }
                    }
                    return v.t().matmul(gram).matmul(v).reshape(Array.Empty<long>());
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>||A A^T|| + ||B^T B|| of one module.</summary>
    public static Tensor ModuleTerm(Tensor a, Tensor b, RegNorm kind)
        => GramNorm(a.matmul(a.t()), kind) + GramNorm(b.t().matmul(b), kind);

    /// <summary>L_reg summed over every LoRA module of the model.</summary>
    public static Tensor Compute(CausalLm model, RegNorm kind)
    {
        Tensor? sum = null;
        foreach (var (_, linear) in model.LoraModules())
        {
            var term = ModuleTerm(linear.LoraA!, linear.LoraB!, kind);
            sum = sum is null ? term : sum + term;
        }
        return sum ?? zeros(Array.Empty<long>(), dtype: model.Dtype);
    }
}
