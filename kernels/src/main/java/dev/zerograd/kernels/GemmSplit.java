package dev.zerograd.kernels;

import dev.zerograd.bindings.AsyncSignals;
import dev.zerograd.bindings.OneDnn;

/**
 * Note [Split GEMMs]: a multi-threaded product cannot run on oneDNN's own threads (Note [oneDNN and signals]), so
 * with oneDNN chosen a large one is cut into one block of C per pool thread, rows of C when it has enough of
 * them and columns otherwise, and each pool thread multiplies its block with a single-threaded oneDNN call, its
 * own asynchronous signals held. The blocks change oneDNN's own blocking, so the sums round differently from one
 * call's; for a given pool size the result is the same every time. Timed from C on the Sapphire Rapids guest against OpenBLAS on two threads:
 * 0.84-0.99 of the time at the MLP benchmarks' shapes (weight gradients and square products most, forward
 * products with a transposed B least), since the two halves share nothing. Below {@link GemmBackend#minSplitWork}
 * multiply-adds the wake-up of the pool is not worth it and OpenBLAS takes the product.
 */
final class GemmSplit extends UnitTask {
    private static final ThreadLocal<GemmSplit> LOCAL = ThreadLocal.withInitial(GemmSplit::new);

    private boolean transA, transB, byRows;
    private int m, n, k, lda, ldb, ldc, parts;
    private float alpha, beta;
    private long a, b, c;
    private Thread caller;

    private GemmSplit() {}

    /**
     * Runs the product split over {@code parts} pool threads (at least 2); the caller's oneDNN thread count is
     * 1 for the call and restored after it.
     */
    static void run(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
            float beta, long c, int ldc, int parts) {
        GemmSplit t = LOCAL.get();
        AsyncSignals.prepare(); // the caller runs units too: its buffer before the region, not in some later step
        t.transA = transA;
        t.transB = transB;
        t.m = m;
        t.n = n;
        t.k = k;
        t.alpha = alpha;
        t.beta = beta;
        t.a = a;
        t.b = b;
        t.c = c;
        t.lda = lda;
        t.ldb = ldb;
        t.ldc = ldc;
        t.byRows = m >= 16L * parts || m >= n;
        t.parts = (int) Math.min(parts, t.byRows ? m : n);
        t.caller = Thread.currentThread();
        int own = OneDnn.numThreadsOnThisThread();
        OneDnn.setNumThreadsOnThisThread(1);
        try {
            t.forUnits(t.parts, Long.MAX_VALUE / 4);
        } finally {
            OneDnn.setNumThreadsOnThisThread(own);
            t.caller = null;
        }
    }

    @Override
    void runUnits(long from, long to) {
        if (Thread.currentThread() != caller && OneDnn.numThreadsOnThisThread() != 1) {
            OneDnn.setNumThreadsOnThisThread(1); // a pool worker: once, it keeps the setting
        }
        for (long p = from; p < to; p++) {
            if (byRows) {
                rows(p);
            } else {
                columns(p);
            }
        }
    }

    /** Rows {@code [m0, m1)} of C: op(A)'s rows m0.., all of op(B). */
    private void rows(long p) {
        long m0 = m * p / parts, m1 = m * (p + 1) / parts;
        long ap = a + 4 * (transA ? m0 : m0 * lda);
        GemmBackend.oneDnnSgemm(transA, transB, m1 - m0, n, k, alpha, ap, lda, b, ldb, beta, c + 4 * m0 * ldc, ldc);
    }

    /** Columns {@code [n0, n1)} of C: all of op(A), op(B)'s columns n0... */
    private void columns(long p) {
        long n0 = n * p / parts, n1 = n * (p + 1) / parts;
        long bp = b + 4 * (transB ? n0 * ldb : n0);
        GemmBackend.oneDnnSgemm(transA, transB, m, n1 - n0, k, alpha, a, lda, bp, ldb, beta, c + 4 * n0, ldc);
    }
}
