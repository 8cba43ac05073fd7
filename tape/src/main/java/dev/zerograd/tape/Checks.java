package dev.zerograd.tape;

import dev.zerograd.kernels.BinaryOp;
import dev.zerograd.kernels.Copy;
import dev.zerograd.kernels.Elementwise;
import dev.zerograd.memory.Shapes;
import dev.zerograd.memory.Tensor;

/**
 * Argument checks shared by the forward functions, with messages that name the op, the tensors' dtypes,
 * shapes and devices, and what was expected; plus the few raw kernel calls the tape itself makes.
 * Nothing here allocates unless it throws.
 */
final class Checks {
    private Checks() {}

    /** A valid, floating-point tensor. */
    static void floating(String op, Tensor a) {
        a.checkValid();
        if (!a.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected a floating-point tensor (f32 or f64), got " + a.describe());
        }
    }

    /** Two valid floating-point tensors of one dtype on one device. */
    static void floating(String op, Tensor a, Tensor b) {
        a.checkValid();
        b.checkValid();
        if (a.dtype() != b.dtype() || !a.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(op + ": expected two floating-point tensors of one dtype, got "
                    + a.describe() + " and " + b.describe());
        }
        if (a.device() != b.device()) {
            throw new IllegalArgumentException(op + ": tensors are on different devices: " + a.describe() + " and " + b.describe());
        }
    }

    /** Same shape and dtype. */
    static void sameShapeAndDtype(String op, Tensor expected, Tensor actual) {
        if (!expected.sameShape(actual) || expected.dtype() != actual.dtype()) {
            throw new IllegalArgumentException(op + ": expected " + expected.describe() + ", got " + actual.describe());
        }
    }

    /**
     * Writes the NumPy broadcast shape of {@code a} and {@code b} into {@code out} and returns its rank: trailing
     * dims align, and each pair of sizes must be equal or contain a 1.
     */
    static int broadcast(String op, Tensor a, Tensor b, long[] out) {
        int ra = a.rank();
        int rb = b.rank();
        int r = Math.max(ra, rb);
        for (int i = 0; i < r; i++) {
            int da = i - (r - ra);
            int db = i - (r - rb);
            long sa = da >= 0 ? a.size(da) : 1;
            long sb = db >= 0 ? b.size(db) : 1;
            if (sa == sb || sb == 1) {
                out[i] = sa;
            } else if (sa == 1) {
                out[i] = sb;
            } else {
                throw new IllegalArgumentException(op + ": shapes " + a.describe() + " and " + b.describe()
                        + " do not broadcast: dim " + i + " has sizes " + sa + " and " + sb + " (expected equal sizes or a 1)");
            }
        }
        return r;
    }

    /** Like {@link #broadcast(String, Tensor, Tensor, long[])} for a shape already in {@code out} of rank {@code r}. */
    static int broadcastInto(String op, long[] out, int r, Tensor c) {
        int rc = c.rank();
        int rr = Math.max(r, rc);
        // shift the existing shape right when c has more dims
        if (rr > r) {
            System.arraycopy(out, 0, out, rr - r, r);
            for (int i = 0; i < rr - r; i++) {
                out[i] = 1;
            }
        }
        for (int i = 0; i < rr; i++) {
            int dc = i - (rr - rc);
            long sc = dc >= 0 ? c.size(dc) : 1;
            long so = out[i];
            if (so == sc || sc == 1) {
                continue;
            }
            if (so == 1) {
                out[i] = sc;
            } else {
                throw new IllegalArgumentException(op + ": " + c.describe() + " does not broadcast to " + Shapes.format(out, rr)
                        + ": dim " + i + " has size " + sc + ", expected 1 or " + so);
            }
        }
        return rr;
    }

    /** Normalises a possibly negative dim of a rank-{@code rank} tensor, naming the op when it is out of range. */
    static int dim(String op, Tensor t, int d, int rank) {
        int r = d < 0 ? d + Math.max(rank, 1) : d; // a rank-0 tensor takes dim 0 or -1, like one of size 1
        if (r < 0 || r >= Math.max(rank, 1) || (rank == 0 && d != 0 && d != -1)) {
            throw new IllegalArgumentException(op + ": dim " + d + " is out of range for " + t.describe()
                    + " (expected " + (rank == 0 ? "0 or -1" : "-" + rank + ".." + (rank - 1)) + ")");
        }
        return r;
    }

    static boolean hasNonFinite(Tensor t) {
        return Elementwise.hasNonFinite(t);
    }

    static void copy(Tensor src, Tensor dst) {
        Copy.copy(src, dst);
    }

    /** acc += g (same shape). */
    static void addInPlace(Tensor acc, Tensor g) {
        Elementwise.axpyInPlace(1.0, g, acc);
    }

    static void add(Tensor a, Tensor b, Tensor out) {
        Elementwise.binary(BinaryOp.ADD, a, b, out);
    }
}
