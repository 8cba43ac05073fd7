package dev.zerograd.kernels;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Device;
import dev.zerograd.memory.Shapes;
import dev.zerograd.memory.Tensor;

/**
 * Argument checks shared by the reduction, softmax, loss, indexing and matmul kernels. Each check costs a few
 * field reads on the happy path; only the exception messages allocate. Every message names the kernel, the
 * tensor ({@link Tensor#describe()}) and what was expected.
 */
final class TensorChecks {
    private TensorChecks() {}

    /** A CPU tensor whose handle is current; returns its dtype. */
    static DType cpu(String op, String name, Tensor t) {
        if (t == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
        t.checkValid();
        if (t.device() != Device.CPU) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " is on " + t.device()
                    + "; this kernel runs on cpu tensors");
        }
        return t.dtype();
    }

    /** A CPU tensor of dtype F32 or F64. */
    static DType floating(String op, String name, Tensor t) {
        DType d = cpu(op, name, t);
        if (d != DType.F32 && d != DType.F64) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " has dtype " + d
                    + "; expected f32 or f64");
        }
        return d;
    }

    /** A CPU tensor of dtype {@code expected}. */
    static void dtype(String op, String name, Tensor t, DType expected) {
        DType d = cpu(op, name, t);
        if (d != expected) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " has dtype " + d
                    + "; expected " + expected + " like the other operands");
        }
    }

    /** A CPU tensor of dtype I32 or I64 (indices and labels). */
    static void integer(String op, String name, Tensor t) {
        DType d = cpu(op, name, t);
        if (d != DType.I32 && d != DType.I64) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " has dtype " + d
                    + "; expected i32 or i64 indices");
        }
    }

    /** An output that must be laid out densely in row-major order. */
    static void contiguous(String op, String name, Tensor t) {
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(op + ": output " + name + " " + t.describe()
                    + " must be contiguous (row-major, dense)");
        }
    }

    /** An output written in place: no dim of size above 1 may have stride 0 (two indices, one location). */
    static void writable(String op, String name, Tensor t) {
        for (int d = 0; d < t.rank(); d++) {
            if (t.stride(d) == 0 && t.size(d) > 1) {
                throw new IllegalArgumentException(op + ": output " + name + " " + t.describe()
                        + " is a broadcast view (stride 0 at dim " + d + "); write into a tensor that owns its elements");
            }
        }
    }

    /** Normalises a dim of a rank-{@code rank} tensor (negative counts from the end). */
    static int dim(String op, String name, Tensor t, int dim) {
        int r = t.rank();
        int d = dim < 0 ? dim + r : dim;
        if (d < 0 || d >= r) {
            throw new IllegalArgumentException(op + ": dim " + dim + " is out of range for " + name + " " + t.describe()
                    + " (rank " + r + ", expected " + (-r) + ".." + (r - 1) + ")");
        }
        return d;
    }

    /** Checks that {@code t} has exactly {@code reference}'s shape. */
    static void sameShape(String op, String name, Tensor t, String refName, Tensor reference) {
        if (!t.sameShape(reference)) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.describe() + " must have the shape of "
                    + refName + " " + reference.describe());
        }
    }

    /** Checks that a value fits a BLAS {@code int} argument. */
    static int blasInt(String op, String what, long v) {
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + what + " = " + v + " exceeds the BLAS int range (" + Integer.MAX_VALUE + ")");
        }
        return (int) v;
    }

    /** Text of a shape for messages (allocates). */
    static String shape(long[] shape, int rank) {
        return Shapes.format(shape, rank);
    }
}
