package dev.zerograd.tape;

import dev.zerograd.kernels.MatMul;
import dev.zerograd.memory.Tensor;

/**
 * Matrix products through OpenBLAS: {@code C = op(A) op(B)} with {@code op} the identity or the transpose of
 * the last two dims (attributes 0 and 1), batch dims broadcast NumPy-style.
 *
 * <p>Note [Transpose flags]: the rule of a product is two more products with flipped flags, never a
 * transposed copy: for C = op(A) op(B), dA is g op(B)^T (or op(B) g^T when A enters transposed) and dB is
 * op(A)^T g (or g^T op(A)). The flags travel to GEMM as {@code CblasTrans}, so backward costs exactly two
 * GEMMs, and since the rule is written with the same op, it records in create-graph mode.
 */
final class MatMulOps {
    private MatMulOps() {}

    static final Op MATMUL = new Op("matmul") {
        @Override public void vjp(Node n, Tensor g, Grads grads) {
            Tensor a = n.input(0);
            Tensor b = n.input(1);
            boolean ta = n.attr(0) != 0;
            boolean tb = n.attr(1) != 0;
            if (n.needsGrad(0) && !gemmInto(grads, 0, a, g, ta ? b : g, ta ? tb : false, ta ? g : b, ta || !tb)) {
                grads.addReduced(0, ta ? matmul(b, tb, g, true) : matmul(g, false, b, !tb));
            }
            if (n.needsGrad(1) && !gemmInto(grads, 1, b, g, tb ? g : a, tb || !ta, tb ? a : g, tb ? ta : false)) {
                grads.addReduced(1, tb ? matmul(g, true, a, ta) : matmul(a, !ta, g, false));
            }
        }
        @Override public Tensor jvp(Node n) {
            boolean ta = n.attr(0) != 0;
            boolean tb = n.attr(1) != 0;
            Tensor da = n.tangent(0);
            Tensor db = n.tangent(1);
            return ArithOps.toResult(ArithOps.plus(
                    da == null ? null : matmul(da, ta, n.input(1), tb),
                    db == null ? null : matmul(n.input(0), ta, db, tb)), n);
        }
    };

    /**
     * Sums {@code op(p) op(q)} straight into the leaf gradient of {@code input} when the tape offers its buffer
     * (Note [Direct leaf accumulation] in {@link GradientTape}): plain 2-D products only, whose result has the
     * input's shape without a batch reduction. Returns false when the rule must hand a tensor to the tape.
     */
    private static boolean gemmInto(Grads grads, int i, Tensor input, Tensor g, Tensor p, boolean tp, Tensor q, boolean tq) {
        if (input.rank() != 2 || g.rank() != 2 || !gemmReadable(p) || !gemmReadable(q)) {
            return false;
        }
        Tensor acc = grads.direct(i);
        if (acc == null) {
            return false;
        }
        MatMul.gemm(p, tp, q, tq, 1.0, grads.directBeta(), acc);
        return true;
    }

    /** True when GEMM can read the last two dims of {@code t} directly (row- or column-major, any leading dim). */
    private static boolean gemmReadable(Tensor t) {
        int r = t.rank();
        long rows = t.size(r - 2);
        long cols = t.size(r - 1);
        long s0 = t.stride(r - 2);
        long s1 = t.stride(r - 1);
        return (s1 == 1 || cols == 1) && s0 >= Math.max(cols, 1) || (s0 == 1 || rows == 1) && s1 >= Math.max(rows, 1);
    }

    /** C = op(A) op(B) for tensors of rank >= 2. */
    static Tensor matmul(Tensor a, boolean ta, Tensor b, boolean tb) {
        Context c = Context.get();
        Checks.floating("matmul", a, b);
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul: expected tensors of rank >= 2 here, got " + a.describe() + " and " + b.describe());
        }
        if (!gemmReadable(a)) {
            a = Ops.contiguous(a);
        }
        if (!gemmReadable(b)) {
            b = Ops.contiguous(b);
        }
        int ra = a.rank();
        int rb = b.rank();
        long m = ta ? a.size(ra - 1) : a.size(ra - 2);
        long ka = ta ? a.size(ra - 2) : a.size(ra - 1);
        long kb = tb ? b.size(rb - 1) : b.size(rb - 2);
        long n = tb ? b.size(rb - 2) : b.size(rb - 1);
        if (ka != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: " + a.describe() + (ta ? "^T" : "") + " @ "
                    + b.describe() + (tb ? "^T" : "") + " contracts " + ka + " with " + kb);
        }
        // batch dims: broadcast a[:-2] with b[:-2]
        int batch = Math.max(ra, rb) - 2;
        long[] s = c.shapeA;
        for (int i = 0; i < batch; i++) {
            int da = i - (batch - (ra - 2));
            int db = i - (batch - (rb - 2));
            long sa = da >= 0 ? a.size(da) : 1;
            long sb = db >= 0 ? b.size(db) : 1;
            if (sa != sb && sa != 1 && sb != 1) {
                throw new IllegalArgumentException("matmul: batch dims of " + a.describe() + " and " + b.describe()
                        + " do not broadcast: dim " + i + " has sizes " + sa + " and " + sb);
            }
            s[i] = sa == 1 ? sb : sa;
        }
        s[batch] = m;
        s[batch + 1] = n;
        Tensor out = c.result(a, a.dtype(), s, batch + 2);
        if (batch == 0) {
            MatMul.gemm(a, ta, b, tb, 1.0, 0.0, out);
        } else {
            MatMul.bmm(batchView(c, a, out, batch), ta, batchView(c, b, out, batch), tb, 1.0, 0.0, out);
        }
        if (c.tracks(a, b)) {
            c.begin(MATMUL).in(a).in(b).attr(0, ta ? 1 : 0).attr(1, tb ? 1 : 0).commit(out);
        }
        return out;
    }

    /** {@code t} with its batch dims broadcast (stride 0) to those of {@code out}; a kernel-level view, not recorded. */
    private static Tensor batchView(Context c, Tensor t, Tensor out, int batch) {
        int r = t.rank();
        if (r - 2 == batch) {
            boolean same = true;
            for (int i = 0; i < batch; i++) {
                same &= t.size(i) == out.size(i);
            }
            if (same) {
                return t;
            }
        }
        long[] shape = c.shapeB;
        long[] strides = c.stridesA;
        int lead = batch - (r - 2);
        for (int i = 0; i < batch; i++) {
            int d = i - lead;
            shape[i] = out.size(i);
            strides[i] = d < 0 || t.size(d) == 1 ? 0 : t.stride(d);
        }
        shape[batch] = t.size(r - 2);
        shape[batch + 1] = t.size(r - 1);
        strides[batch] = t.stride(r - 2);
        strides[batch + 1] = t.stride(r - 1);
        return c.resultArena(t).view(t, batch + 2, shape, strides, 0);
    }

    /** NumPy matmul: 1-D operands are promoted to a row (left) or a column (right) and the added dim dropped. */
    static Tensor matmul(Tensor a, Tensor b) {
        a.checkValid();
        b.checkValid();
        if (a.rank() >= 2 && b.rank() >= 2) {
            return matmul(a, false, b, false);
        }
        if (a.rank() == 0 || b.rank() == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least one dim, got " + a.describe() + " and " + b.describe());
        }
        Context c = Context.get();
        Tensor a2 = a;
        Tensor b2 = b;
        if (a.rank() == 1) {
            c.matmulShape[0] = 1;
            c.matmulShape[1] = a.size(0);
            a2 = Ops.reshape(a, c.matmulShape, 2);
        }
        if (b.rank() == 1) {
            c.matmulShape[0] = b.size(0);
            c.matmulShape[1] = 1;
            b2 = Ops.reshape(b, c.matmulShape, 2);
        }
        Tensor out = matmul(a2, false, b2, false);
        int r = out.shapeInto(c.matmulShape);
        int k = 0;
        for (int i = 0; i < r; i++) {
            boolean drop = (a.rank() == 1 && i == r - 2) || (b.rank() == 1 && i == r - 1);
            if (!drop) {
                c.matmulShape[k++] = c.matmulShape[i];
            }
        }
        return Ops.reshape(out, c.matmulShape, k);
    }

}
