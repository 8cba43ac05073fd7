package dev.zerograd.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.nn.optim.Adam;
import dev.zerograd.nn.optim.AdamW;
import dev.zerograd.nn.optim.LinearWarmup;
import dev.zerograd.nn.optim.LrSchedule;
import dev.zerograd.nn.optim.Optimizer;
import dev.zerograd.nn.optim.SGD;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The zero-GC contract through the nn layer: a whole training step (step arena reset, tape, model forward,
 * cross-entropy, backward, gradient clipping, optimizer step with a schedule, zeroGrad) allocates no heap
 * bytes once warm, for an MLP and for a small CNN with batch norm, dropout and both kinds of pooling.
 */
class AllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static long allocated() {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
    }

    /**
     * Heap bytes allocated by a round of {@value #ROUND} steps once the JIT has compiled the step: rounds repeat
     * until one allocates nothing or {@value #DEADLINE_SECONDS} s have passed (compilation takes longer on a busy
     * machine; a steady allocation shows in every round), and the last round's bytes are returned.
     */
    private static long steadyStateBytes(Module model, Optimizer opt, TensorArena step, Tensor x, Tensor y) {
        return steadyStateBytes(model, opt, step, x, y, false);
    }

    private static long steadyStateBytes(Module model, Optimizer opt, TensorArena step, Tensor x, Tensor y, boolean setToNone) {
        long deadline = System.nanoTime() + DEADLINE_SECONDS * 1_000_000_000L;
        while (true) {
            long before = allocated();
            for (int i = 0; i < ROUND; i++) {
                TrainingTest.trainStep(model, opt, step, x, y, 1.0, setToNone);
            }
            long bytes = allocated() - before;
            if (bytes == 0 || System.nanoTime() > deadline) {
                return bytes;
            }
        }
    }

    private static final int ROUND = 200;
    private static final long DEADLINE_SECONDS = 90;

    @Test
    void mlpTrainingStepAllocatesNothing() {
        try (TensorArena params = TensorArena.ofConfined("params", 4 << 20);
             TensorArena step = TensorArena.ofConfined("step", 8 << 20)) {
            Parameters p = Parameters.of(params, 1);
            Sequential model = new Sequential(new Flatten(), new Linear(p, 64, 32), new ReLU(), new Linear(p, 32, 32), new GELU(),
                    new Linear(p, 32, 10));
            Tensor x = params.randn(new long[] {16, 1, 8, 8}, 2);
            Tensor y = params.empty(DType.I64, 16);
            for (int i = 0; i < 16; i++) {
                y.setDouble(i, i % 10);
            }
            AdamW opt = new AdamW(model.parameters(), 1e-3);
            opt.setSchedule(new LinearWarmup(100, 0.1, null), LrSchedule.Unit.STEP);
            assertEquals(0, steadyStateBytes(model, opt, step, x, y), "heap bytes per " + ROUND + " MLP training steps with AdamW");
            SGD sgd = new SGD(model.parameters(), 0.01, 0.9, 0, 1e-4, true);
            assertEquals(0, steadyStateBytes(model, sgd, step, x, y), "heap bytes per " + ROUND + " MLP training steps with SGD");
            long paramBytes = params.bytesInUse();
            assertEquals(0, steadyStateBytes(model, sgd, step, x, y, true),
                    "heap bytes per " + ROUND + " MLP training steps with SGD and released gradients");
            assertEquals(paramBytes, params.bytesInUse(), "released gradients' buffers are reused, not allocated again");
        }
    }

    @Test
    void cnnTrainingStepAllocatesNothing() {
        try (TensorArena params = TensorArena.ofConfined("params", 4 << 20);
             TensorArena step = TensorArena.ofConfined("step", 32 << 20)) {
            Parameters p = Parameters.of(params, 1);
            Sequential model = new Sequential(
                    new Conv2d(p, 1, 4, 3, 1, 1),
                    new BatchNorm2d(p, 4),
                    new ReLU(),
                    new MaxPool2d(2),
                    new Conv2d(p, 4, 8, 3, 1, 1),
                    new ReLU(),
                    new AvgPool2d(2),
                    new Flatten(),
                    new Dropout(p, 0.2),
                    new Linear(p, 8 * 2 * 2, 10));
            Tensor x = params.randn(new long[] {4, 1, 8, 8}, 2);
            Tensor y = params.empty(DType.I64, 4);
            for (int i = 0; i < 4; i++) {
                y.setDouble(i, i);
            }
            Adam opt = new Adam(model.parameters(), 1e-3);
            assertEquals(0, steadyStateBytes(model, opt, step, x, y), "heap bytes per " + ROUND + " CNN training steps with Adam");
            assertTrue(((BatchNorm2d) model.get(1)).numBatchesTracked() >= ROUND);
        }
    }
}
