package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The zero-GC contract for the views, joins and the max/var reductions: once warm, a step that records them,
 * runs backward and resets its arena allocates nothing on the Java heap.
 */
class ReduceViewJoinAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final Tensor[] pair = new Tensor[2];
    private final Tensor[] pieces = new Tensor[4];
    private final long[] sizes = {4, 8};
    private final int[] perm = {1, 2, 0};
    private final int[] dims = {0, 2};

    /** One step over every op of the three families; x is [8, 12, 16], w is [12, 16]. */
    private void step(TensorArena arena, Tensor x, Tensor w) {
        arena.reset();
        try (GradientTape tape = GradientTape.record(arena)) {
            Tensor p = Ops.permute(x, perm);                             // [12, 16, 8]
            Tensor t = Ops.transpose(w, 0, 1);                           // [16, 12]
            Tensor s = Ops.slice(x, 0, 1, 8, 2);                         // [4, 12, 16]
            Tensor q = Ops.squeeze(Ops.narrow(Ops.unsqueeze(t, 0), 1, 0, 4)); // [4, 12]
            Tensor f = Ops.flatten(s, 1, 2);                             // [4, 192]
            pieces[0] = q;
            pieces[1] = Ops.max(s, 2, false);                            // [4, 12]
            pieces[0] = Ops.concat(pieces, 2, 0);                        // [8, 12]
            pieces[1] = Ops.slice(t, 0, 0, 8);                           // [8, 12]
            Tensor st = Ops.stack(pieces, 2, -1);                        // [8, 12, 2]
            int k = Ops.split(st, sizes, 1, pieces);                     // [8, 4, 2], [8, 8, 2]
            Tensor m = Ops.maxWithIndices(pieces[k - 1], 1, true, pair); // [8, 1, 2]
            Tensor v = Ops.var(x, dims, true, 1);                        // [1, 12, 1]
            Tensor loss = Ops.add(Ops.add(Ops.sum(Ops.mul(m, pieces[0])), Ops.max(f)),
                    Ops.add(Ops.std(p), Ops.sum(Ops.mul(v, Ops.amin(x, dims, true)))));
            Ops.chunk(x, 2, 0, pieces);
            tape.backward(Ops.add(loss, Ops.sum(pieces[1])));
        }
    }

    @Test
    void steadyStateForwardAndBackwardAllocateNothing() {
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 20);
             TensorArena arena = TensorArena.ofConfined("step", 4 << 20)) {
            Tensor x = params.randn(DType.F32, new long[] {8, 12, 16}, 1).requiresGrad();
            Tensor w = params.randn(DType.F32, new long[] {12, 16}, 2).requiresGrad();
            // Strided and mixed-mask calls run the Vector API kernels, which allocate until C2 has compiled them;
            // keep stepping until a round of steps allocates nothing (a real leak allocates in every round and
            // still fails at the deadline).
            long deadline = System.nanoTime() + 120_000_000_000L;
            long best = Long.MAX_VALUE;
            do {
                for (int i = 0; i < 500; i++) {
                    step(arena, x, w);
                }
                long before = THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
                for (int i = 0; i < 50; i++) {
                    step(arena, x, w);
                }
                best = Math.min(best, (THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before) / 50);
            } while (best != 0 && System.nanoTime() < deadline);
            assertEquals(0, best, "heap bytes per step");
        }
    }
}
