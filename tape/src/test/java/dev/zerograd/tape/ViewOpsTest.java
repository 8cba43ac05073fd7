package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** permute/transpose, squeeze/unsqueeze, slice/narrow and flatten: values, sharing, derivatives, errors. */
class ViewOpsTest {
    private static final GradCheck.Options SECOND = GradCheck.Options.defaults().withSecondOrder(true);

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("view-ops-test", 16 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    /** 0, 1, 2, ... in the given shape and dtype. */
    private Tensor iota(DType dt, long... shape) {
        Tensor t = arena.empty(dt, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setDoubleFlat(i, i);
        }
        return t;
    }

    private Tensor rand(long seed, long... shape) {
        return GradCheck.uniform(arena, seed, -1, 1, shape);
    }

    /**
     * Gradchecks {@code f(x)^2} in reverse and forward mode, first and second order: the first order checks
     * f's rules through the square, the second differentiates f's VJP (itself recorded) once more.
     */
    static void check(String name, GradCheck.Fn f, Tensor... in) {
        GradCheck.check(name, SECOND, xs -> Ops.square(f.apply(xs)), in);
    }

    private static void assertMessage(Class<? extends Throwable> type, Executable e, String... parts) {
        Throwable t = assertThrows(type, e);
        for (String p : parts) {
            assertTrue(t.getMessage().contains(p), () -> "expected '" + p + "' in: " + t.getMessage());
        }
    }

    // ---------------------------------------------------------------- forward values

    @Test
    void permuteMatchesIndexingAndSharesBytes() {
        for (DType dt : new DType[] {DType.F32, DType.F64}) {
            Tensor x = iota(dt, 2, 3, 4);
            Tensor y = Ops.permute(x, 2, 0, -2);
            assertArrayEquals(new long[] {4, 2, 3}, y.shape());
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    for (int k = 0; k < 4; k++) {
                        assertEquals(x.getDouble(i, j, k), y.getDouble(k, i, j), 0);
                    }
                }
            }
            assertEquals(x.segment().address() + x.byteOffset(), y.segment().address() + y.byteOffset(), "a view, not a copy");
            x.setDouble(1, 2, 3, -5);
            assertEquals(-5, y.getDouble(3, 1, 2), 0);
            assertSame(x, Ops.permute(x, 0, 1, 2), "the identity permutation is x itself");
        }
    }

    @Test
    void transposeSwapsTwoDims() {
        Tensor x = iota(DType.F64, 2, 3, 4);
        Tensor t = Ops.transpose(x, 0, -1);
        assertArrayEquals(new long[] {4, 3, 2}, t.shape());
        assertFalse(t.isContiguous());
        assertEquals(x.getDouble(1, 2, 3), t.getDouble(3, 2, 1), 0);
        assertSame(x, Ops.transpose(x, 1, 1));
        Tensor s = arena.scalar(DType.F64, 3);
        assertSame(s, Ops.transpose(s, 0, -1), "rank 0: dims 0 and -1 name the tensor itself");
    }

    @Test
    void squeezeAndUnsqueezeMoveSizeOneDims() {
        Tensor x = iota(DType.F32, 1, 3, 1, 2);
        assertArrayEquals(new long[] {3, 2}, Ops.squeeze(x).shape());
        assertArrayEquals(new long[] {3, 1, 2}, Ops.squeeze(x, 0).shape());
        assertArrayEquals(new long[] {1, 3, 2}, Ops.squeeze(x, -2).shape());
        assertSame(x, Ops.squeeze(x, 1), "a dim of size 3 is not squeezed");
        assertArrayEquals(new double[] {0, 1, 2, 3, 4, 5}, Ops.squeeze(x).toDoubleArray(), 0);
        Tensor v = iota(DType.F64, 3);
        assertArrayEquals(new long[] {1, 3}, Ops.unsqueeze(v, 0).shape());
        assertArrayEquals(new long[] {3, 1}, Ops.unsqueeze(v, -1).shape());
        assertArrayEquals(new long[] {3, 1}, Ops.unsqueeze(v, 1).shape());
        assertTrue(Ops.unsqueeze(v, 1).isContiguous() && Ops.unsqueeze(v, 0).isContiguous());
        assertArrayEquals(new long[] {1}, Ops.unsqueeze(arena.scalar(DType.F64, 2), 0).shape());
        assertArrayEquals(new long[] {}, Ops.squeeze(Ops.unsqueeze(arena.scalar(DType.F64, 2), 0)).shape());
        // a strided input stays a view
        Tensor t = iota(DType.F64, 2, 3).transpose(0, 1);
        Tensor u = Ops.unsqueeze(t, 1);
        assertArrayEquals(new long[] {3, 1, 2}, u.shape());
        assertEquals(t.getDouble(2, 1), u.getDouble(2, 0, 1), 0);
    }

    @Test
    void sliceAndNarrowPickIndices() {
        Tensor x = iota(DType.F64, 3, 7);
        Tensor s = Ops.slice(x, 1, 1, 6, 2); // columns 1, 3, 5
        assertArrayEquals(new long[] {3, 3}, s.shape());
        assertArrayEquals(new double[] {1, 3, 5, 8, 10, 12, 15, 17, 19}, s.toDoubleArray(), 0);
        assertArrayEquals(new double[] {5, 6, 12, 13, 19, 20}, Ops.slice(x, -1, -2, 100).toDoubleArray(), 0, "end is clamped");
        assertArrayEquals(new double[] {7, 8, 9, 10, 11, 12, 13}, Ops.slice(x, 0, 1, 2).toDoubleArray(), 0);
        assertArrayEquals(new long[] {3, 0}, Ops.slice(x, 1, 4, 4).shape());
        Tensor n = Ops.narrow(x, 0, -2, 2);
        assertArrayEquals(new long[] {2, 7}, n.shape());
        assertEquals(7, n.getDouble(0, 0), 0);
        assertArrayEquals(new double[] {2, 16}, Ops.slice(Ops.narrow(x, 1, 2, 1), 0, 0, 3, 2).toDoubleArray(), 0);
    }

    @Test
    void flattenMergesARangeOfDims() {
        Tensor x = iota(DType.F32, 2, 3, 4);
        assertArrayEquals(new long[] {24}, Ops.flatten(x).shape());
        assertArrayEquals(new long[] {2, 12}, Ops.flatten(x, 1, -1).shape());
        assertArrayEquals(new long[] {6, 4}, Ops.flatten(x, 0, 1).shape());
        assertSame(x, Ops.flatten(x, 1, 1));
        assertArrayEquals(new long[] {1}, Ops.flatten(arena.scalar(DType.F32, 5)).shape());
        Tensor t = Ops.transpose(x, 0, 2); // strided: flatten copies
        double[] f = Ops.flatten(t).toDoubleArray();
        assertEquals(x.getDouble(1, 2, 3), f[3 * 6 + 2 * 2 + 1], 0);
    }

    // ---------------------------------------------------------------- derivatives

    @Test
    void permuteAndTransposeGradients() {
        check("permute", in -> Ops.permute(in[0], 1, -1, 0), rand(1, 2, 3, 2).requiresGrad());
        check("permute 4-D", in -> Ops.permute(in[0], 3, 1, 0, 2), rand(2, 2, 1, 3, 2).requiresGrad());
        check("transpose", in -> Ops.transpose(in[0], 0, 1), rand(3, 3, 2).requiresGrad());
        check("transpose of a strided input", in -> Ops.transpose(in[0], -1, 0), rand(4, 2, 3).transpose(0, 1).requiresGrad());
        // transpose then matmul: the permuted gradient meets a GEMM
        Tensor w = rand(5, 3, 2).requiresGrad();
        check("transpose into matmul", in -> Ops.matmul(Ops.transpose(in[0], 0, 1), in[1]), rand(6, 3, 4).requiresGrad(), w);
    }

    @Test
    void squeezeAndUnsqueezeGradients() {
        check("squeeze", in -> Ops.squeeze(in[0]), rand(7, 1, 3, 1).requiresGrad());
        check("squeeze dim", in -> Ops.squeeze(in[0], -1), rand(8, 2, 1).requiresGrad());
        check("unsqueeze", in -> Ops.unsqueeze(in[0], -2), rand(9, 2, 3).requiresGrad());
        check("unsqueeze rank 0", in -> Ops.unsqueeze(in[0], 0), rand(10).requiresGrad());
        check("unsqueeze strided", in -> Ops.unsqueeze(in[0], 1), rand(11, 3, 2).transpose(0, 1).requiresGrad());
        check("squeeze of unsqueeze", in -> Ops.mul(Ops.squeeze(Ops.unsqueeze(in[0], 0)), in[0]), rand(12, 3).requiresGrad());
    }

    @Test
    void sliceAndNarrowGradients() {
        check("slice", in -> Ops.slice(in[0], 1, 1, 5, 2), rand(13, 2, 6).requiresGrad());
        check("slice negative", in -> Ops.slice(in[0], -2, -3, 4), rand(14, 5, 2).requiresGrad());
        check("slice of a strided input", in -> Ops.slice(in[0], 0, 0, 3, 2), rand(15, 2, 4).transpose(0, 1).requiresGrad());
        check("slice size-1 dim", in -> Ops.slice(in[0], 0, 0, 1), rand(16, 1, 3).requiresGrad());
        check("narrow", in -> Ops.narrow(in[0], 0, 1, 2), rand(17, 4).requiresGrad());
        // overlapping slices accumulate into one gradient
        check("overlapping slices", in -> Ops.mul(Ops.slice(in[0], 0, 0, 3), Ops.slice(in[0], 0, 1, 4)), rand(18, 4).requiresGrad());
    }

    @Test
    void flattenGradients() {
        check("flatten", in -> Ops.flatten(in[0], 1, 2), rand(19, 2, 2, 3).requiresGrad());
        check("flatten strided", in -> Ops.flatten(in[0]), rand(20, 2, 3).transpose(0, 1).requiresGrad());
        check("flatten rank 0", in -> Ops.flatten(in[0]), rand(21).requiresGrad());
    }

    @Test
    void viewGradientsAreExactAndFlowThroughChains() {
        Tensor x = iota(DType.F64, 2, 3).requiresGrad();
        Tensor w = iota(DType.F64, 3, 1, 2);
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor y = Ops.unsqueeze(Ops.transpose(x, 0, 1), 1);  // [3, 1, 2]
            tape.backward(Ops.sum(Ops.mul(Ops.slice(y, 0, 1, 3), Ops.slice(w, 0, 1, 3))));
        }
        // d/dx[i][j] = w[j][0][i] for j >= 1, else 0
        assertArrayEquals(new double[] {0, 2, 4, 0, 3, 5}, x.grad().toDoubleArray(), 0);
    }

    // ---------------------------------------------------------------- errors

    @Test
    void badArgumentsNameTheOpAndShapes() {
        Tensor x = iota(DType.F64, 2, 3);
        assertMessage(IllegalArgumentException.class, () -> Ops.permute(x, 0, 0), "permute", "[0, 0]", "f64[2, 3]", "repeats");
        assertMessage(IllegalArgumentException.class, () -> Ops.permute(x, 0, 2), "permute", "out of range");
        assertMessage(IllegalArgumentException.class, () -> Ops.permute(x, 0), "permute", "1 dims given", "all 2 dims");
        assertMessage(IllegalArgumentException.class, () -> Ops.transpose(x, 0, 2), "transpose", "dim 2", "f64[2, 3]");
        assertMessage(IllegalArgumentException.class, () -> Ops.squeeze(x, -3), "squeeze", "dim -3");
        assertMessage(IllegalArgumentException.class, () -> Ops.unsqueeze(x, 3), "unsqueeze", "dim 3", "-3..2");
        assertMessage(IllegalArgumentException.class, () -> Ops.slice(arena.scalar(DType.F64, 1), 0, 0, 1), "slice", "rank >= 1");
        assertMessage(IllegalArgumentException.class, () -> Ops.slice(x, 1, 2, 1), "slice", "[2, 1)", "size 3");
        assertMessage(IllegalArgumentException.class, () -> Ops.slice(x, 1, 0, 3, 0), "slice", "step 0");
        assertMessage(IllegalArgumentException.class, () -> Ops.narrow(x, 1, 2, 2), "narrow", "length 2", "size 3");
        assertMessage(IllegalArgumentException.class, () -> Ops.flatten(x, 1, 0), "flatten", "start dim 1", "end dim 0");
        Tensor big = arena.zeros(DType.F32, 1, 1, 1, 1, 1, 1, 1, 1);
        assertMessage(IllegalArgumentException.class, () -> Ops.unsqueeze(big, 0), "unsqueeze", "maximum rank 8");
    }

    @Test
    void integerTensorsHaveViewsButNoGradients() {
        Tensor idx = arena.fromArray(new long[] {0, 1, 2, 3, 4, 5}, 2, 3);
        Tensor t = Ops.transpose(idx, 0, 1);
        assertEquals(DType.I64, t.dtype());
        assertEquals(3, t.getDouble(0, 1), 0);
        try (GradientTape tape = GradientTape.record(arena)) {
            assertFalse(Ops.slice(t, 0, 1, 3).needsGrad());
            assertEquals(0, tape.size());
        }
    }
}
