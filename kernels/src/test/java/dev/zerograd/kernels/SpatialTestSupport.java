package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.lang.management.ManagementFactory;
import java.util.Random;

/** Inputs in several layouts, comparisons and the allocation probe for the conv, pool, norm and dropout tests. */
final class SpatialTestSupport {
    private SpatialTestSupport() {}

    static final DType[] FLOATS = {DType.F32, DType.F64};

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** How a 4-D input is laid out; its logical values are the same either way. */
    enum Layout {
        CONTIGUOUS,
        /** NHWC memory viewed as NCHW (channels last). */
        CHANNELS_LAST,
        /** Every other element of a wider last dim. */
        STRIDED
    }

    /** Random values in [-2, 2) with the given logical shape and layout. */
    static Tensor make(TensorArena arena, DType dt, Layout layout, long[] shape, Random rnd) {
        Tensor t = switch (layout) {
            case CONTIGUOUS -> arena.empty(dt, shape);
            case CHANNELS_LAST -> {
                if (shape.length != 4) {
                    throw new IllegalArgumentException("channels last needs 4 dims");
                }
                yield arena.empty(dt, shape[0], shape[2], shape[3], shape[1]).permute(0, 3, 1, 2);
            }
            case STRIDED -> {
                long[] big = shape.clone();
                big[big.length - 1] = 2 * shape[shape.length - 1] + 1;
                yield arena.empty(dt, big).slice(big.length - 1, 1, big[big.length - 1], 2);
            }
        };
        fill(t, rnd);
        return t;
    }

    static void fill(Tensor t, Random rnd) {
        for (long i = 0; i < t.numel(); i++) {
            t.setDoubleFlat(i, rnd.nextDouble() * 4 - 2);
        }
    }

    static Tensor make(TensorArena arena, DType dt, Random rnd, long... shape) {
        return make(arena, dt, Layout.CONTIGUOUS, shape, rnd);
    }

    /** Tolerance relative to max(1, |expected|): F32 results of sums of a few hundred products. */
    static double tol(DType dt) {
        return dt == DType.F32 ? 2e-5 : 1e-11;
    }

    static void assertClose(String what, double[] expected, double[] actual, double tol) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) || Double.isNaN(a)) {
                if (Double.isNaN(e) != Double.isNaN(a)) {
                    fail(what + ": at " + i + " expected " + e + " but was " + a);
                }
                continue;
            }
            if (e == a) {
                continue;
            }
            if (!(Math.abs(e - a) <= tol * Math.max(1, Math.abs(e)))) {
                fail(what + ": at " + i + " expected " + e + " but was " + a + " (tol " + tol + ")");
            }
        }
    }

    /** The call throws IllegalArgumentException whose message contains every part. */
    static void assertMessage(Runnable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
        }
    }

    /**
     * Heap bytes per call after warm-up: C2 must have compiled the call (for escape analysis and the Vector
     * API intrinsics) before it allocates nothing, so up to 20 rounds of warm-up and measurement.
     */
    static double bytesPerCall(Runnable call) {
        double perCall = 0;
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < (round == 0 ? 200 : 1000); i++) {
                call.run();
            }
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200; i++) {
                call.run();
            }
            perCall = (THREADS.getCurrentThreadAllocatedBytes() - before) / 200.0;
            if (perCall == 0) {
                return 0;
            }
        }
        return perCall;
    }
}
