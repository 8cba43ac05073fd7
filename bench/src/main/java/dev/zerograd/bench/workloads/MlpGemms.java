package dev.zerograd.bench.workloads;

import dev.zerograd.kernels.GemmBackend;
import dev.zerograd.kernels.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The bare GEMMs of one {@link Mlp} step, called straight through {@link GemmBackend} (the library zerograd's
 * matmuls use, OpenBLAS or oneDNN) with no framework around them: the reference the MLP step's GFLOP/s is
 * compared to ("reaches X % of bare sgemm at the same sizes"). Same shapes, same transpose flags, same order as the tape runs them (Note [Transpose flags] in {@code MatMulOps}):
 * <pre>
 * forward,  layer l:  Y_l  = X_l W_l^T      sgemm(N, T)  [batch, out] = [batch, in] [out, in]^T
 * backward, layer l:  dW_l = G_l^T X_l      sgemm(T, N)  [out, in]    = [batch, out]^T [batch, in]
 *                     G_l-1 = G_l W_l       sgemm(N, N)  [batch, in]  = [batch, out] [out, in]   (not for l = 0)
 * </pre>
 * where {@code X_0} is the input and {@code X_l = Y_l-1}. Parameters: {@code batch}, {@code sizes}; the FLOPs
 * per step are {@link Mlp#work}'s.
 */
final class MlpGemms implements Workload {
    private final int batch;
    private final int[] sizes;
    private final Arena arena;
    /** X_0 .. X_L (X_L is the output). */
    private final long[] x;
    /** W_0 .. W_L-1. */
    private final long[] w;
    /** G_0 .. G_L-1, the gradient of each layer's output; G_L-1 holds fixed data. */
    private final long[] g;
    private final long[] dw;
    private final MemorySegment out;

    MlpGemms(Params p) {
        batch = p.integer("batch");
        sizes = p.integers("sizes");
        int layers = sizes.length - 1;
        arena = Arena.ofShared();
        x = new long[layers + 1];
        w = new long[layers];
        g = new long[layers];
        dw = new long[layers];
        MemorySegment last = null;
        for (int l = 0; l <= layers; l++) {
            last = filled((long) batch * sizes[l], l);
            x[l] = last.address();
        }
        out = last;
        for (int l = 0; l < layers; l++) {
            w[l] = filled((long) sizes[l + 1] * sizes[l], 100 + l).address();
            g[l] = filled((long) batch * sizes[l + 1], 200 + l).address();
            dw[l] = filled((long) sizes[l + 1] * sizes[l], 300 + l).address();
        }
    }

    private MemorySegment filled(long elements, int salt) {
        MemorySegment s = arena.allocate(4 * elements, 64);
        for (long i = 0; i < elements; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, Inputs.value(i + salt) * 0.1f);
        }
        return s;
    }

    @Override
    public double step() {
        Parallel.quiesce();
        int layers = sizes.length - 1;
        for (int l = 0; l < layers; l++) {
            int in = sizes[l], o = sizes[l + 1];
            GemmBackend.sgemm(false, true, batch, o, in, 1.0f, x[l], in, w[l], in, 0.0f, x[l + 1], o);
        }
        for (int l = layers - 1; l >= 0; l--) {
            int in = sizes[l], o = sizes[l + 1];
            GemmBackend.sgemm(true, false, o, in, batch, 1.0f, g[l], o, x[l], in, 0.0f, dw[l], in);
            if (l > 0) {
                GemmBackend.sgemm(false, false, batch, in, o, 1.0f, g[l], o, w[l], in, 0.0f, g[l - 1], in);
            }
        }
        return out.getAtIndex(ValueLayout.JAVA_FLOAT, 0);
    }

    @Override
    public void close() {
        arena.close();
    }
}
