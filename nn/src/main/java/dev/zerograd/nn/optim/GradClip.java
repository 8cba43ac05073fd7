package dev.zerograd.nn.optim;

import dev.zerograd.kernels.Elementwise;
import dev.zerograd.kernels.Reduce;
import dev.zerograd.memory.Tensor;
import java.util.List;

/**
 * Gradient clipping in place, as PyTorch's {@code clip_grad_norm_} and {@code clip_grad_value_}. Parameters
 * whose gradient is absent are ignored. Allocation-free.
 */
public final class GradClip {
    private GradClip() {}

    /** PyTorch's guard against dividing by a zero norm. */
    private static final double EPS = 1e-6;

    /**
     * Scales every gradient by {@code min(1, maxNorm / (norm + 1e-6))}, where {@code norm} is the L2 norm of all
     * gradients together (accumulated in double), and returns {@code norm}. When the norm is NaN or infinite the
     * gradients are left as they are (check the result, e.g. to skip the step); PyTorch would scale them to NaN.
     * Modifies the gradients.
     */
    public static double clipGradNorm(Tensor[] params, double maxNorm) {
        checkMax("clipGradNorm", maxNorm);
        double sum = 0;
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g != null) {
                sum += Reduce.sumSquares(g);
            }
        }
        double norm = Math.sqrt(sum);
        double coef = maxNorm / (norm + EPS);
        if (coef < 1 && Double.isFinite(norm)) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g != null) {
                    Elementwise.affine(g, coef, 0, g);
                }
            }
        }
        return norm;
    }

    /** {@link #clipGradNorm(Tensor[], double)} over a list (a module's {@code parameters()}). */
    public static double clipGradNorm(List<Tensor> params, double maxNorm) {
        checkMax("clipGradNorm", maxNorm);
        double sum = 0;
        for (int i = 0; i < params.size(); i++) {
            Tensor g = params.get(i).grad();
            if (g != null) {
                sum += Reduce.sumSquares(g);
            }
        }
        double norm = Math.sqrt(sum);
        double coef = maxNorm / (norm + EPS);
        if (coef < 1 && Double.isFinite(norm)) {
            for (int i = 0; i < params.size(); i++) {
                Tensor g = params.get(i).grad();
                if (g != null) {
                    Elementwise.affine(g, coef, 0, g);
                }
            }
        }
        return norm;
    }

    /** Clamps every gradient element into {@code [-clipValue, clipValue]}. Modifies the gradients. */
    public static void clipGradValue(List<Tensor> params, double clipValue) {
        checkMax("clipGradValue", clipValue);
        for (int i = 0; i < params.size(); i++) {
            Tensor g = params.get(i).grad();
            if (g != null) {
                Elementwise.clamp(g, -clipValue, clipValue, g);
            }
        }
    }

    private static void checkMax(String op, double v) {
        if (!(v >= 0) || Double.isNaN(v)) {
            throw new IllegalArgumentException("GradClip." + op + ": the limit " + v + " must be >= 0");
        }
    }
}
