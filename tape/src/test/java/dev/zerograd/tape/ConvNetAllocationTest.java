package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.kernels.Elementwise;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The zero-GC contract for convolutional steps: forward, backward and an in-place SGD update of a small
 * conv net (conv, relu, max pool, conv, relu, global average pool, reshape, matmul, mean loss), and of one
 * with batch norm, average pooling, dropout and layer norm, allocate nothing on the Java heap once warm.
 */
class ConvNetAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static final int BATCH = 4;

    private final long[] flat = {BATCH, 8};
    private Tensor x;
    private Tensor target;
    private Tensor w1;
    private Tensor b1;
    private Tensor w2;
    private Tensor b2;
    private Tensor w3;
    private Tensor gamma;
    private Tensor beta;
    private Tensor runningMean;
    private Tensor runningVar;
    private Tensor lnGamma;
    private Tensor[] params;
    private long step;

    private void init(TensorArena arena) {
        x = arena.randn(DType.F32, new long[] {BATCH, 1, 10, 10}, 1);
        target = arena.randn(DType.F32, new long[] {BATCH, 10}, 2);
        w1 = scaled(arena.randn(DType.F32, new long[] {4, 1, 3, 3}, 3), 0.3);
        b1 = arena.zeros(DType.F32, 4);
        w2 = scaled(arena.randn(DType.F32, new long[] {8, 4, 3, 3}, 4), 0.2);
        b2 = arena.zeros(DType.F32, 8);
        w3 = scaled(arena.randn(DType.F32, new long[] {8, 10}, 5), 0.3);
        gamma = arena.ones(DType.F32, 4);
        beta = arena.zeros(DType.F32, 4);
        runningMean = arena.zeros(DType.F32, 4);
        runningVar = arena.ones(DType.F32, 4);
        lnGamma = arena.ones(DType.F32, 10);
        params = new Tensor[] {w1, b1, w2, b2, w3, gamma, beta, lnGamma};
        for (Tensor p : params) {
            p.requiresGrad();
        }
    }

    private static Tensor scaled(Tensor t, double s) {
        Elementwise.affine(t, s, 0, t);
        return t;
    }

    /** conv -> relu -> max pool -> conv -> relu -> global avg pool -> reshape -> matmul -> mean squared error. */
    private double plainStep(TensorArena arena) {
        arena.reset();
        double loss;
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor h = Ops.relu(Ops.conv2d(x, w1, b1, 1, 1));
            h = Ops.maxPool2d(h, 2, 2);
            h = Ops.relu(Ops.conv2d(h, w2, b2, 1, 1));
            h = Ops.reshape(Ops.adaptiveAvgPool2d1x1(h), flat, 2);
            Tensor l = Ops.mean(Ops.square(Ops.sub(Ops.matmul(h, w3), target)));
            tape.backward(l);
            loss = l.item();
        }
        update();
        return loss;
    }

    /** The same net with batch norm after the first conv, average pooling, dropout and a final layer norm. */
    private double normalizedStep(TensorArena arena) {
        arena.reset();
        double loss;
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor h = Ops.conv2d(x, w1, null, 1, 1, 1, 1, 1, 1, 1);
            h = Ops.relu(Ops.batchNorm(h, gamma, beta, runningMean, runningVar, true, 0.1, 1e-5));
            h = Ops.avgPool2d(h, 3, 3, 2, 2, 1, 1, false);
            h = Ops.dropout(h, 0.2, 42, (int) (step++ & 0xffff), true);
            h = Ops.relu(Ops.conv2d(h, w2, b2, 2, 1));
            h = Ops.reshape(Ops.adaptiveAvgPool2d1x1(h), flat, 2);
            Tensor out = Ops.layerNorm(Ops.matmul(h, w3), 1, lnGamma, null, 1e-5);
            Tensor l = Ops.mean(Ops.square(Ops.sub(out, target)));
            tape.backward(l);
            loss = l.item();
        }
        update();
        return loss;
    }

    private void update() {
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g != null) {
                Elementwise.axpyInPlace(-0.05, g, p);
                g.fill(0);
            }
        }
    }

    private static long allocated() {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    private interface Step {
        double run(TensorArena arena);
    }

    /**
     * Heap bytes per step once warm: rounds of 50 steps until one allocates nothing or 30 s pass. Code still
     * waiting for C2 (on a busy machine, for a while) allocates where compiled code does not; a real leak
     * allocates in every round and fails at the deadline.
     */
    private static long bytesPerStep(Step s, TensorArena arena) {
        for (int i = 0; i < 300; i++) {
            s.run(arena);
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        long bytes;
        do {
            long before = allocated();
            for (int i = 0; i < 50; i++) {
                s.run(arena);
            }
            bytes = (allocated() - before) / 50;
        } while (bytes != 0 && System.nanoTime() < deadline);
        return bytes;
    }

    @Test
    void convNetStepAllocatesNothingAndLearns() {
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 20);
             TensorArena arena = TensorArena.ofConfined("step", 8 << 20)) {
            init(params);
            double first = plainStep(arena);
            assertEquals(0, bytesPerStep(this::plainStep, arena), "heap bytes per steady-state conv net step");
            double last = plainStep(arena);
            assertTrue(last < first, "loss should fall: first " + first + ", last " + last);
        }
    }

    @Test
    void normalizedConvNetStepAllocatesNothing() {
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 20);
             TensorArena arena = TensorArena.ofConfined("step", 8 << 20)) {
            init(params);
            double first = normalizedStep(arena);
            assertEquals(0, bytesPerStep(this::normalizedStep, arena), "heap bytes per steady-state step with batch norm, dropout, layer norm");
            assertTrue(Double.isFinite(first) && Double.isFinite(normalizedStep(arena)));
        }
    }
}
