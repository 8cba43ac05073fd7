package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The zero-GC contract for Reduce, Softmax, Losses and Index: after warm-up, a call allocates 0 bytes on the
 * Java heap (ThreadMXBean.getCurrentThreadAllocatedBytes), on the vector and the scalar paths; likewise
 * MatMul's gemm and bmm.
 */
class ReductionKernelsAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final TensorArena arena = TensorArena.ofConfined(16 << 20);

    @AfterEach
    void close() {
        BlockMath.simd = true;
        arena.close();
    }

    private record Case(String name, Runnable call) {}

    private List<Case> cases(DType dt) {
        List<Case> cs = new ArrayList<>();
        Tensor x = arena.rand(dt, new long[] {8, 37}, 1);
        Tensor xt = arena.rand(dt, new long[] {37, 8}, 2).transpose(0, 1);
        Tensor rowOut = arena.empty(dt, 8, 1), colOut = arena.empty(dt, 1, 37), all = arena.empty(dt, 1, 1);
        Tensor idx = arena.empty(DType.I64, 8, 1);
        Tensor bias = arena.empty(dt, 37);
        cs.add(new Case("sum rows", () -> Reduce.sum(x, 0b10, rowOut)));
        cs.add(new Case("sum cols (blocked)", () -> Reduce.sum(x, 0b01, colOut)));
        cs.add(new Case("sum strided", () -> Reduce.sum(xt, 0b10, rowOut)));
        cs.add(new Case("mean", () -> Reduce.mean(x, 0b11, all)));
        cs.add(new Case("var rows", () -> Reduce.var(x, 0b10, 1, rowOut)));
        cs.add(new Case("var cols", () -> Reduce.var(x, 0b01, 1, colOut)));
        cs.add(new Case("max", () -> Reduce.max(x, 1, rowOut, idx)));
        cs.add(new Case("min", () -> Reduce.min(xt, 1, rowOut, null)));
        cs.add(new Case("maxAll", () -> Reduce.maxAll(x, 0b10, rowOut)));
        cs.add(new Case("minAll", () -> Reduce.minAll(x, 0b01, colOut)));
        cs.add(new Case("sumTo", () -> Reduce.sumTo(x, bias)));
        // A convolution's bias gradient: the per-channel pool path (Note [Channel sums] in Reduce).
        Tensor gy = arena.rand(dt, new long[] {16, 8, 24, 24}, 4), channels = arena.empty(dt, 1, 8, 1, 1);
        cs.add(new Case("sum per channel", () -> Reduce.sum(gy, 0b1101, channels)));
        // A Linear layer's bias gradient: column sums on the pool (Note [Column sums] in ColumnSums).
        Tensor rowsByCols = arena.rand(dt, new long[] {128, 600}, 5), columns = arena.empty(dt, 600);
        cs.add(new Case("column sums", () -> Reduce.sumTo(rowsByCols, columns)));
        cs.add(new Case("sumAll", () -> Reduce.sumAll(xt)));
        cs.add(new Case("sumSquares", () -> Reduce.sumSquares(x)));

        Tensor sm = arena.empty(dt, 8, 37), smt = arena.empty(dt, 8, 37), g = arena.rand(dt, new long[] {8, 37}, 3);
        cs.add(new Case("softmax", () -> Softmax.softmax(x, 1, sm)));
        cs.add(new Case("softmax dim 0", () -> Softmax.softmax(x, 0, smt)));
        cs.add(new Case("logSoftmax", () -> Softmax.logSoftmax(xt, 1, sm)));
        cs.add(new Case("softmaxBackward", () -> Softmax.softmaxBackward(g, sm, 1, smt)));
        cs.add(new Case("logSoftmaxBackward", () -> Softmax.logSoftmaxBackward(g, sm, 0, smt)));

        Tensor labels = arena.fromArray(new long[] {1, 5, -100, 36, 0, 3, 3, 7}, 8);
        Tensor lp = arena.empty(dt, 8, 37), loss = arena.empty(dt), gl = arena.scalar(dt, 1), grad = arena.empty(dt, 8, 37);
        cs.add(new Case("crossEntropy", () -> Losses.crossEntropy(x, labels, 0.1, -100, Losses.REDUCTION_MEAN, lp, loss)));
        cs.add(new Case("crossEntropyBackward", () -> Losses.crossEntropyBackward(gl, lp, labels, 0.1, -100, Losses.REDUCTION_MEAN, grad)));

        Tensor gi = arena.fromArray(new int[] {0, 3, 2, 1, 1, 0, 3, 2}, 8, 1);
        Tensor gOut = arena.empty(dt, 8, 1), target = arena.zeros(dt, 8, 37);
        Tensor rows = arena.fromArray(new long[] {4, 0, 7}, 3), sel = arena.empty(dt, 3, 37), emb = arena.zeros(dt, 8, 37);
        Tensor hot = arena.empty(dt, 8, 37), hotLabels = arena.fromArray(new int[] {0, 1, 2, 3, 4, 5, 6, 36}, 8);
        cs.add(new Case("gather", () -> Index.gather(x, 1, gi, gOut)));
        cs.add(new Case("scatterAddInPlace", () -> Index.scatterAddInPlace(target, 1, gi, gOut)));
        cs.add(new Case("indexSelect", () -> Index.indexSelect(x, 0, rows, sel)));
        cs.add(new Case("indexAddInPlace", () -> Index.indexAddInPlace(emb, 0, rows, sel)));
        cs.add(new Case("oneHot", () -> Index.oneHot(hotLabels, 37, hot)));

        return cs;
    }

    @Test
    void everyKernelAllocatesNothingAfterWarmUp() {
        List<Case> all = new ArrayList<>();
        for (Case c : cases(DType.F32)) {
            all.add(new Case(c.name + " f32", c.call));
        }
        // F64 runs the same block loops; only the staging differs (bulk copies instead of widening).
        for (Case c : cases(DType.F64)) {
            if (c.name.startsWith("sum") || c.name.startsWith("softmax") || c.name.startsWith("crossEntropy")
                    || c.name.startsWith("index") || c.name.equals("max")) {
                all.add(new Case(c.name + " f64", c.call));
            }
        }
        String failures = steadyStateFailures(all);
        // The scalar references (same staging and walks, scalar block loops), on a few kernels.
        BlockMath.simd = false;
        List<Case> scalar = new ArrayList<>();
        for (Case c : cases(DType.F64)) {
            if (c.name.startsWith("var") || c.name.equals("softmax") || c.name.equals("crossEntropyBackward")
                    || c.name.startsWith("indexAdd") || c.name.startsWith("maxAll")) {
                scalar.add(new Case(c.name + " f64 scalar", c.call));
            }
        }
        failures += steadyStateFailures(scalar);
        if (!failures.isEmpty()) {
            fail("kernels allocate on the Java heap:" + failures);
        }
    }

    /**
     * Runs every case until C2 has compiled the shared row loops with the profile of the whole set (see
     * Note [Vector compile units] in BlockMath), then measures each; returns the cases that still allocate.
     */
    private static String steadyStateFailures(List<Case> all) {
        // C2 compiles in the background; on a busy machine it may not have finished after a fixed warm-up, so
        // warm up and measure again until nothing allocates or the deadline passes (a real leak allocates in
        // every round and still fails).
        long deadline = System.nanoTime() + 120_000_000_000L;
        String failures;
        do {
            for (int round = 0; round < 3; round++) {
                for (Case c : all) {
                    for (int i = 0; i < 1500; i++) {
                        c.call.run();
                    }
                }
            }
            StringBuilder sb = new StringBuilder();
            for (Case c : all) {
                double perCall = bytesPerCall(c.call);
                if (perCall != 0) {
                    sb.append(String.format("%n  %s: %.1f bytes/call", c.name, perCall));
                }
            }
            failures = sb.toString();
        } while (!failures.isEmpty() && System.nanoTime() < deadline);
        return failures;
    }

    /** MatMul passes BLAS raw addresses (CblasAddress), so no segment is made per call. */
    @Test
    void gemmAndBmmAllocateNothing() {
        for (DType dt : RefTensors.FLOATS) {
            arena.reset();
            Tensor a = arena.rand(dt, new long[] {8, 16}, 4), b = arena.rand(dt, new long[] {16, 12}, 5).transpose(0, 1);
            Tensor c = arena.empty(dt, 8, 12);
            Tensor ba = arena.rand(dt, new long[] {8, 16}, 6).reshape(1, 8, 16).expand(3, 8, 16);
            Tensor bb = arena.rand(dt, new long[] {3, 16, 12}, 7), bc = arena.empty(dt, 3, 8, 12);
            double gemm = bytesPerCall(() -> MatMul.gemm(a, false, b, true, 1, 0.5, c));
            double bmm = bytesPerCall(() -> MatMul.bmm(ba, false, bb, false, 1, 0, bc));
            if (gemm != 0 || bmm != 0) {
                fail(dt + ": gemm allocates " + gemm + " bytes/call, bmm " + bmm);
            }
        }
    }

    /** Warm up until a measured batch allocates nothing (JIT escape analysis needs C2), at most a few rounds. */
    static double bytesPerCall(Runnable call) {
        double perCall = 0;
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 3000; i++) {
                call.run();
            }
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 500; i++) {
                call.run();
            }
            long after = THREADS.getCurrentThreadAllocatedBytes();
            perCall = (after - before) / 500.0;
            if (perCall == 0) {
                return 0;
            }
        }
        return perCall;
    }
}
