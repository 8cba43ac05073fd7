package dev.zerograd.tape;

import static dev.zerograd.tape.Ops.add;
import static dev.zerograd.tape.Ops.exp;
import static dev.zerograd.tape.Ops.mul;
import static dev.zerograd.tape.Ops.sqrt;
import static dev.zerograd.tape.Ops.sum;
import static dev.zerograd.tape.Ops.tanh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GradientTapeTest {
    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("tape-test", 8 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor vec(double... v) {
        return arena.fromArray(v, v.length);
    }

    @Test
    void backwardAccumulatesAcrossCallsAndZeroGradResets() {
        Tensor x = vec(1, 2, 3).requiresGrad();
        for (int i = 0; i < 2; i++) {
            try (GradientTape tape = GradientTape.record(arena)) {
                tape.backward(sum(mul(x, x)));
            }
        }
        assertArrayEquals(new double[] {4, 8, 12}, x.grad().toDoubleArray(), 0);
        GradientTape.zeroGrad(x);
        assertArrayEquals(new double[] {0, 0, 0}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void matmulSumsStraightIntoLeafGradsLikeTheGradientPath() {
        // backward writes matmul's leaf gradients with GEMM into grad() (beta 0 into a new buffer, then beta 1);
        // gradient() takes the ordinary path: both must agree, for every transpose flag and a leaf used twice
        for (int flags = 0; flags < 4; flags++) {
            boolean ta = (flags & 1) != 0;
            boolean tb = (flags & 2) != 0;
            Tensor a = arena.randn(DType.F64, ta ? new long[] {4, 5} : new long[] {5, 4}, 10 + flags).requiresGrad();
            Tensor b = arena.randn(DType.F64, tb ? new long[] {3, 4} : new long[] {4, 3}, 20 + flags).requiresGrad();
            Tensor c = arena.randn(DType.F64, new long[] {3, 3}, 30 + flags);
            long mark = arena.mark();
            arena.empty(DType.F64, 1 << 16).fill(Double.NaN); // what follows, the new grad buffers included, lands on NaN
            arena.reset(mark);
            Tensor[] ref;
            try (GradientTape tape = GradientTape.record(arena)) {
                Tensor[] g = tape.gradient(loss(a, ta, b, tb, c), a, b);
                ref = new Tensor[] {g[0], g[1]};
            }
            for (int pass = 1; pass <= 2; pass++) {
                try (GradientTape tape = GradientTape.record(arena)) {
                    tape.backward(loss(a, ta, b, tb, c));
                }
                assertClose(ref[0], pass, a.grad(), "a, flags " + flags + ", pass " + pass);
                assertClose(ref[1], pass, b.grad(), "b, flags " + flags + ", pass " + pass);
            }
        }
    }

    @Test
    void releasedGradsAreWrittenIntoTheSameBuffersNotAddedTo() {
        // Note [Released gradients]: a is a matmul leaf (direct GEMM path), x an elementwise leaf (copy path).
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 16)) {
            Tensor a = params.randn(DType.F64, new long[] {5, 4}, 3).requiresGrad();
            Tensor b = params.randn(DType.F64, new long[] {4, 3}, 4);
            Tensor c = params.randn(DType.F64, new long[] {3, 3}, 5);
            Tensor x = params.fromArray(new double[] {1, 2, 3}, 3).requiresGrad();
            Runnable backward = () -> {
                arena.reset();
                try (GradientTape tape = GradientTape.record(arena)) {
                    tape.backward(add(loss(a, false, b, false, c), sum(mul(x, x))));
                }
            };
            backward.run();
            Tensor ga = a.grad(), gx = x.grad();
            double[] refA = ga.toDoubleArray();
            long used = params.bytesInUse();
            for (int pass = 0; pass < 2; pass++) {
                a.releaseGrad();
                x.releaseGrad();
                assertNull(a.grad());
                assertNull(x.grad());
                ga.fill(Double.NaN); // an add would keep the NaN
                gx.fill(Double.NaN);
                backward.run();
                assertSame(ga, a.grad(), "a's buffer is reused");
                assertSame(gx, x.grad(), "x's buffer is reused");
                assertArrayEquals(refA, a.grad().toDoubleArray(), 0, "pass " + pass);
                assertArrayEquals(new double[] {2, 4, 6}, x.grad().toDoubleArray(), 0, "pass " + pass);
                assertEquals(used, params.bytesInUse(), "no gradient buffer was allocated again, pass " + pass);
            }
            // Not released: the next pass adds.
            backward.run();
            assertArrayEquals(new double[] {4, 8, 12}, x.grad().toDoubleArray(), 0);
        }
    }

    /** sum(tanh(op(a) op(b)) + tanh(op(a) op(b) c)): b enters two products, the upstream gradient is dense. */
    private static Tensor loss(Tensor a, boolean ta, Tensor b, boolean tb, Tensor c) {
        Tensor p = Ops.matmul(a, ta, b, tb);
        return sum(add(tanh(p), tanh(Ops.matmul(Ops.matmul(a, ta, b, tb), false, c, false))));
    }

    private static void assertClose(Tensor ref, int times, Tensor actual, String what) {
        double[] r = ref.toDoubleArray();
        double[] v = actual.toDoubleArray();
        assertEquals(r.length, v.length, what);
        for (int i = 0; i < r.length; i++) {
            assertEquals(times * r[i], v[i], 1e-12 * Math.max(1, Math.abs(r[i])), what + " element " + i);
        }
    }

    @Test
    void gradientLeavesGradUntouchedAndReturnsPerSource() {
        Tensor x = vec(1, 2).requiresGrad();
        Tensor y = vec(3, 5).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor[] g = tape.gradient(sum(mul(x, y)), x, y);
            assertArrayEquals(new double[] {3, 5}, g[0].toDoubleArray(), 0);
            assertArrayEquals(new double[] {1, 2}, g[1].toDoubleArray(), 0);
        }
        assertNull(x.grad());
        assertNull(y.grad());
    }

    @Test
    void gradientOfIntermediateAndUnreachedSource() {
        Tensor x = vec(0.5, -1).requiresGrad();
        Tensor unused = vec(7, 7).requiresGrad();
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor h = mul(x, 3.0);
            Tensor z = sum(tanh(h));
            Tensor dh = tape.gradient(z, h);
            double[] hv = h.toDoubleArray();
            for (int i = 0; i < 2; i++) {
                double t = Math.tanh(hv[i]);
                assertEquals(1 - t * t, dh.getDoubleFlat(i), 1e-12);
            }
            Tensor du = tape.gradient(z, unused);
            assertArrayEquals(new double[] {0, 0}, du.toDoubleArray(), 0);
        }
    }

    @Test
    void nonPersistentTapeRefusesSecondGradient() {
        Tensor x = vec(1).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor z = sum(exp(x));
            tape.gradient(z, x);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> tape.gradient(z, x));
            assertTrue(e.getMessage().contains("persistent"), e.getMessage());
        }
    }

    @Test
    void persistentTapeGivesSameGradientTwice() {
        Tensor x = vec(1, 2).requiresGrad();
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor z = sum(exp(x));
            double[] a = tape.gradient(z, x).toDoubleArray();
            double[] b = tape.gradient(z, x).toDoubleArray();
            assertArrayEquals(a, b, 0);
            assertEquals(Math.exp(2), b[1], 1e-12);
        }
    }

    @Test
    void nonScalarTargetNeedsSeed() {
        Tensor x = vec(1, 2).requiresGrad();
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor y = mul(x, x);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tape.backward(y));
            assertTrue(e.getMessage().contains("seed"), e.getMessage());
            tape.backward(y, vec(1, 10));
        }
        assertArrayEquals(new double[] {2, 40}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void noGradAndInferenceModeRecordNothing() {
        Tensor x = vec(1, 2).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            try (Tape.Guard g = Tape.noGrad()) {
                Tensor y = mul(x, x);
                assertFalse(y.needsGrad());
                assertFalse(Tape.isRecording());
                try (Tape.Guard e = Tape.enableGrad()) {
                    assertTrue(mul(x, x).needsGrad());
                }
            }
            try (Tape.Guard g = Tape.inferenceMode()) {
                assertFalse(mul(x, x).needsGrad());
            }
            assertEquals(1, tape.size());
            assertTrue(Tape.isRecording());
        }
        assertFalse(Tape.isRecording());
    }

    @Test
    void detachCutsTheGraph() {
        Tensor x = vec(2).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor y = mul(x, x);
            Tensor z = mul(Ops.detach(y), x); // d/dx = y = 4, not 3 x^2 = 12
            tape.backward(sum(z));
        }
        assertEquals(4, x.grad().item(), 0);
    }

    @Test
    void capacityExceededNamesCapacityAndHowToRaiseIt() {
        Tensor x = vec(1).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena, 4)) {
            Tensor y = x;
            for (int i = 0; i < 4; i++) {
                y = mul(y, 1.0);
            }
            Tensor last = y;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> mul(last, 1.0));
            assertTrue(e.getMessage().contains("capacity exceeded") && e.getMessage().contains("4 records")
                    && e.getMessage().contains("zerograd.tape.capacity"), e.getMessage());
        }
    }

    @Test
    void secondTapeOnSameThreadIsRefused() {
        try (GradientTape tape = GradientTape.record(arena)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> GradientTape.record(arena));
            assertTrue(e.getMessage().contains("already recording"), e.getMessage());
        }
    }

    @Test
    void tapeIsConfinedToItsThread() throws Exception {
        Tensor x = vec(1).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor z = sum(mul(x, x));
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    tape.backward(z);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            }, "intruder");
            t.start();
            t.join();
            assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
            assertTrue(thrown.get().getMessage().contains("confined to thread") && thrown.get().getMessage().contains("intruder"),
                    thrown.get().getMessage());
        }
    }

    @Test
    void anomalyModeNamesTheOpThatProducedNaN() {
        Tensor x = vec(0, 1).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena).anomalyMode(true)) {
            Tensor z = sum(sqrt(x)); // d sqrt / dx at 0 is infinite
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> tape.backward(z));
            assertTrue(e.getMessage().contains("'sqrt'") && e.getMessage().contains("record 0"), e.getMessage());
        }
        // without anomaly mode the infinity flows through silently, as IEEE arithmetic says
        Tensor y = vec(0, 1).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            tape.backward(sum(sqrt(y)));
        }
        assertTrue(Double.isInfinite(y.grad().getDoubleFlat(0)));
    }

    @Test
    void intermediateFromAClosedRecordingIsRejected() {
        Tensor x = vec(1).requiresGrad();
        Tensor y;
        try (GradientTape tape = GradientTape.record(arena)) {
            y = mul(x, x);
        }
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor yy = y;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> mul(yy, x));
            assertTrue(e.getMessage().contains("earlier recording"), e.getMessage());
        }
    }

    @Test
    void tapeObjectIsReusedAcrossSteps() {
        GradientTape first;
        try (GradientTape tape = GradientTape.record(arena)) {
            first = tape;
        }
        try (GradientTape tape = GradientTape.record(arena)) {
            assertSame(first, tape);
        }
    }

    @Test
    void targetNotRecordedIsRejectedWithReason() {
        Tensor x = vec(1);
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor z = sum(x);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tape.backward(z));
            assertTrue(e.getMessage().contains("does not require a gradient"), e.getMessage());
        }
    }

    @Test
    void gradientsAccumulateOverSharedSubexpressions() {
        Tensor x = vec(1.5).requiresGrad();
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor y = mul(x, x);          // y = x^2
            Tensor z = add(add(y, y), y);  // z = 3 x^2, y reaches z along three paths
            tape.backward(sum(z));
        }
        assertEquals(9, x.grad().item(), 1e-12);
    }

    @Test
    void customOpClipsGradients() {
        final class ClipGrad extends CustomOp {
            ClipGrad() {
                super("clip_grad");
            }

            @Override
            protected Tensor forward(Tensor[] in, int n) {
                return Ops.copy(in[0]);
            }

            @Override
            protected void backward(Node node, Tensor g, Grads grads) {
                grads.add(0, Ops.clamp(g, -1, 1));
            }
        }
        ClipGrad clip = new ClipGrad();
        Tensor x = arena.fromArray(new double[] {1, 2, 3}, 3).requiresGrad();
        Tensor scale = arena.fromArray(new double[] {100, -0.5, -7}, 3);
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor y = clip.apply(x);
            assertArrayEquals(x.toDoubleArray(), y.toDoubleArray(), 0);
            tape.backward(sum(mul(y, scale)));
        }
        assertArrayEquals(new double[] {1, -0.5, -1}, x.grad().toDoubleArray(), 0);
    }

    @Test
    void integerTensorsCannotRequireGrad() {
        Tensor i = arena.zeros(DType.I64, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, i::requiresGrad);
        assertTrue(e.getMessage().contains("i64"), e.getMessage());
    }
}
