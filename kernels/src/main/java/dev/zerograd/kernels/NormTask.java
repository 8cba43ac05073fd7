package dev.zerograd.kernels;

import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The loops of {@link Norm} as a unit task: over channels for batch norm (each channel reads its slice of
 * every image), over rows for layer norm, over blocks of columns for layer norm's affine gradients. One
 * instance per calling thread holds the operands of the current call; the pool's workers read them and
 * keep their accumulators in their own per-thread {@code Scratch}.
 *
 * <p>Statistics are computed in double with two passes (the mean, then the sum of squared deviations
 * from it), which avoids the cancellation of {@code E[x^2] - E[x]^2}; they are rounded to the dtype only
 * when saved.
 */
final class NormTask extends UnitTask {
    static final int BN_TRAIN = 0;
    static final int BN_EVAL = 1;
    static final int BN_BACKWARD = 2;
    static final int CHANNEL_SUM = 3;
    static final int LN_FORWARD = 4;
    static final int LN_BACKWARD = 5;
    static final int LN_AFFINE = 6;

    /** Columns per unit of {@link #LN_AFFINE}: two blocks of double accumulators (4 KiB) stay in L1. */
    static final int BLOCK = 256;

    private static final ThreadLocal<NormTask> LOCAL = ThreadLocal.withInitial(NormTask::new);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    static NormTask get() {
        return LOCAL.get();
    }

    /** Per-thread accumulators of a worker: two column blocks and two sums. */
    private static final class Scratch {
        final double[] dw = new double[BLOCK];
        final double[] db = new double[BLOCK];
        final double[] sums = new double[2];
    }

    int mode;
    boolean f32;
    /** Reduced elements per statistic: N * prod(spatial) for batch norm, prod(normalized dims) for layer norm. */
    long m;
    double eps, momentum;
    /** Layer norm: leading (row) dims of x. */
    int lead;

    // Operands; null when absent. x/y for forward, gy/x/dx for backward; per-channel or per-row statistics.
    Tensor x, y, gy, dx, gamma, beta, runMean, runVar, mean, invstd, dgamma, dbeta;
    final BlockRuns runs = new BlockRuns();

    private NormTask() {}

    /** Drops the operand handles after a call. */
    /** CHANNEL_SUM: dbeta is contiguous with C elements in any shape (element c at offset c), not a [C] vector. */
    boolean flatOut;

    void clear() {
        x = y = gy = dx = gamma = beta = runMean = runVar = mean = invstd = dgamma = dbeta = null;
        flatOut = false;
        runs.clear();
    }

    @Override
    void runUnits(long from, long to) {
        for (long u = from; u < to; u++) {
            switch (mode) {
                case BN_TRAIN -> batchTrain(u);
                case BN_EVAL -> batchEval(u);
                case BN_BACKWARD, CHANNEL_SUM -> batchBackward(u);
                case LN_FORWARD -> layerForward(u);
                case LN_BACKWARD -> layerBackward(u);
                default -> layerAffine(u);
            }
        }
    }

    private int esz() {
        return f32 ? 4 : 8;
    }

    private static double at(Tensor t, long i, boolean f32) {
        return SpatialRows.get(t.segment(), f32, t.byteOffset() + i * t.stride(0) * (f32 ? 4 : 8));
    }

    private static void put(Tensor t, long i, double v, boolean f32) {
        SpatialRows.set(t.segment(), f32, t.byteOffset() + i * t.stride(0) * (f32 ? 4 : 8), v);
    }

    // ---------------------------------------------------------------- batch norm: one channel per unit

    /** Byte offset of the block (image n, channel c) of a [N, C, ...] tensor. */
    private long block(Tensor t, long n, long c) {
        return t.byteOffset() + (n * t.stride(0) + c * t.stride(1)) * esz();
    }

    private double channelSum(Tensor t, int k, long c, double mu, boolean squares) {
        MemorySegment s = t.segment();
        int esz = esz();
        double acc = 0;
        for (long n = 0, nn = t.size(0); n < nn; n++) {
            long base = block(t, n, c);
            for (long r = 0; r < runs.runs; r++) {
                long at = base + runs.offset(k, r) * esz;
                acc += squares ? SpatialRows.sqdev(s, at, runs.stride[k], runs.len, mu, f32)
                        : SpatialRows.sum(s, at, runs.stride[k], runs.len, f32);
            }
        }
        return acc;
    }

    /** mean, biased variance, invstd of channel c; y = (x - mean) invstd gamma + beta; running stats. */
    private void batchTrain(long c) {
        double mu = channelSum(x, 0, c, 0, false) / m;
        double var = channelSum(x, 0, c, mu, true) / m;
        double inv = 1.0 / Math.sqrt(var + eps);
        put(mean, c, mu, f32);
        put(invstd, c, inv, f32);
        if (runMean != null) {
            put(runMean, c, (1 - momentum) * at(runMean, c, f32) + momentum * mu, f32);
        }
        if (runVar != null) {
            // The running variance uses the unbiased estimate, as PyTorch does (m >= 2 is checked).
            put(runVar, c, (1 - momentum) * at(runVar, c, f32) + momentum * var * m / (m - 1), f32);
        }
        normalizeChannel(c, mu, inv);
    }

    private void batchEval(long c) {
        double inv = 1.0 / Math.sqrt(at(runVar, c, f32) + eps);
        normalizeChannel(c, at(runMean, c, f32), inv);
    }

    private void normalizeChannel(long c, double mu, double inv) {
        double a = gamma == null ? inv : inv * at(gamma, c, f32);
        double b = beta == null ? 0 : at(beta, c, f32);
        MemorySegment xs = x.segment(), ys = y.segment();
        int esz = esz();
        for (long n = 0, nn = x.size(0); n < nn; n++) {
            long xb = block(x, n, c), yb = block(y, n, c);
            for (long r = 0; r < runs.runs; r++) {
                SpatialRows.normalize(xs, xb + runs.offset(0, r) * esz, runs.stride[0], mu, a, null, 0, 0, null, 0, 0, b,
                        ys, yb + runs.offset(1, r) * esz, runs.stride[1], runs.len, f32);
            }
        }
    }

    /**
     * sum(gy) and sum(gy (x - mean)) over channel c; then dbeta, dgamma and
     * {@code dx = gamma invstd (gy - sum(gy) / M) - gamma invstd^3 sum(gy (x - mean)) / M (x - mean)},
     * which is the standard {@code gamma invstd / M (M gy - sum(gy) - xhat sum(gy xhat))}. CHANNEL_SUM stops
     * after the first sum (x is null) and writes it to dbeta.
     */
    private void batchBackward(long c) {
        double[] sums = SCRATCH.get().sums;
        sums[0] = 0;
        sums[1] = 0;
        double mu = x == null ? 0 : at(mean, c, f32);
        MemorySegment gs = gy.segment(), xs = x == null ? null : x.segment();
        int esz = esz();
        double sumG = 0;
        for (long n = 0, nn = gy.size(0); n < nn; n++) {
            long gb = block(gy, n, c), xb = x == null ? 0 : block(x, n, c);
            for (long r = 0; r < runs.runs; r++) {
                long go = gb + runs.offset(0, r) * esz;
                if (x == null) {
                    sumG += SpatialRows.sum(gs, go, runs.stride[0], runs.len, f32);
                } else {
                    SpatialRows.gradSums(gs, go, runs.stride[0], xs, xb + runs.offset(1, r) * esz, runs.stride[1], null, 0, 0,
                            runs.len, mu, f32, sums);
                }
            }
        }
        if (x == null) {
            if (flatOut) {
                SpatialRows.set(dbeta.segment(), f32, dbeta.byteOffset() + c * esz, sumG);
            } else {
                put(dbeta, c, sumG, f32);
            }
            return;
        }
        double sg = sums[0], sgx = sums[1];
        double inv = at(invstd, c, f32);
        if (dbeta != null) {
            put(dbeta, c, sg, f32);
        }
        if (dgamma != null) {
            put(dgamma, c, sgx * inv, f32);
        }
        if (dx == null) {
            return;
        }
        double a = gamma == null ? inv : inv * at(gamma, c, f32);
        double cx = -a * inv * inv * sgx / m, k = -a * sg / m;
        MemorySegment ds = dx.segment();
        for (long n = 0, nn = gy.size(0); n < nn; n++) {
            long gb = block(gy, n, c), xb = block(x, n, c), db = block(dx, n, c);
            for (long r = 0; r < runs.runs; r++) {
                SpatialRows.gradInput(gs, gb + runs.offset(0, r) * esz, runs.stride[0], null, 0, 0, xs,
                        xb + runs.offset(1, r) * esz, runs.stride[1], mu, a, cx, k, ds, db + runs.offset(2, r) * esz,
                        runs.stride[2], runs.len, f32);
            }
        }
    }

    // ---------------------------------------------------------------- layer norm: one row per unit

    /** Statistics of row i and {@code y = (x - mean) invstd gamma + beta}. Runs: x 0, y 1, gamma 2, beta 3. */
    private void layerForward(long i) {
        int esz = esz();
        MemorySegment xs = x.segment(), ys = y.segment();
        long xb = x.byteOffset() + BlockRuns.leadingOffset(x, lead, i) * esz;
        long yb = y.byteOffset() + BlockRuns.leadingOffset(y, lead, i) * esz;
        double sum = 0;
        for (long r = 0; r < runs.runs; r++) {
            sum += SpatialRows.sum(xs, xb + runs.offset(0, r) * esz, runs.stride[0], runs.len, f32);
        }
        double mu = sum / m;
        double sq = 0;
        for (long r = 0; r < runs.runs; r++) {
            sq += SpatialRows.sqdev(xs, xb + runs.offset(0, r) * esz, runs.stride[0], runs.len, mu, f32);
        }
        double inv = 1.0 / Math.sqrt(sq / m + eps);
        SpatialRows.set(mean.segment(), f32, mean.byteOffset() + i * esz, mu);
        SpatialRows.set(invstd.segment(), f32, invstd.byteOffset() + i * esz, inv);
        MemorySegment gs = gamma == null ? null : gamma.segment(), bs = beta == null ? null : beta.segment();
        long gb = gamma == null ? 0 : gamma.byteOffset(), bb = beta == null ? 0 : beta.byteOffset();
        for (long r = 0; r < runs.runs; r++) {
            SpatialRows.normalize(xs, xb + runs.offset(0, r) * esz, runs.stride[0], mu, inv, gs, gb + runs.offset(2, r) * esz,
                    runs.stride[2], bs, bb + runs.offset(3, r) * esz, runs.stride[3], 0, ys, yb + runs.offset(1, r) * esz,
                    runs.stride[1], runs.len, f32);
        }
    }

    /**
     * {@code dx = invstd (g - sum(g) / D) - invstd^3 sum(g (x - mean)) / D (x - mean)} with g = gy gamma, over
     * row i. Runs: gy 0, x 1, dx 2, gamma 3.
     */
    private void layerBackward(long i) {
        int esz = esz();
        double[] sums = SCRATCH.get().sums;
        sums[0] = 0;
        sums[1] = 0;
        MemorySegment gs = gy.segment(), xs = x.segment(), ds = dx.segment();
        MemorySegment ws = gamma == null ? null : gamma.segment();
        long gb = gy.byteOffset() + BlockRuns.leadingOffset(gy, lead, i) * esz;
        long xb = x.byteOffset() + BlockRuns.leadingOffset(x, lead, i) * esz;
        long db = dx.byteOffset() + BlockRuns.leadingOffset(dx, lead, i) * esz;
        long wb = gamma == null ? 0 : gamma.byteOffset();
        double mu = SpatialRows.get(mean.segment(), f32, mean.byteOffset() + i * esz);
        double inv = SpatialRows.get(invstd.segment(), f32, invstd.byteOffset() + i * esz);
        for (long r = 0; r < runs.runs; r++) {
            SpatialRows.gradSums(gs, gb + runs.offset(0, r) * esz, runs.stride[0], xs, xb + runs.offset(1, r) * esz,
                    runs.stride[1], ws, wb + runs.offset(3, r) * esz, runs.stride[3], runs.len, mu, f32, sums);
        }
        double cx = -inv * inv * inv * sums[1] / m, k = -inv * sums[0] / m;
        for (long r = 0; r < runs.runs; r++) {
            SpatialRows.gradInput(gs, gb + runs.offset(0, r) * esz, runs.stride[0], ws, wb + runs.offset(3, r) * esz,
                    runs.stride[3], xs, xb + runs.offset(1, r) * esz, runs.stride[1], mu, inv, cx, k, ds,
                    db + runs.offset(2, r) * esz, runs.stride[2], runs.len, f32);
        }
    }

    /**
     * Columns {@code [u * BLOCK, (u + 1) * BLOCK)} of the affine gradients, summed over all rows in double:
     * {@code dgamma[j] = sum_i gy[i, j] (x[i, j] - mean_i) invstd_i}, {@code dbeta[j] = sum_i gy[i, j]}.
     * Runs: gy 0, x 1. Outputs contiguous.
     */
    private void layerAffine(long u) {
        Scratch sc = SCRATCH.get();
        double[] dw = sc.dw, db = sc.db;
        long j0 = u * BLOCK, j1 = Math.min(m, j0 + BLOCK);
        int width = (int) (j1 - j0);
        for (int j = 0; j < width; j++) {
            dw[j] = 0;
            db[j] = 0;
        }
        int esz = esz();
        MemorySegment gs = gy.segment(), xs = x.segment();
        long rows = 1;
        for (int d = 0; d < lead; d++) {
            rows *= gy.size(d);
        }
        for (long i = 0; i < rows; i++) {
            long gb = gy.byteOffset() + BlockRuns.leadingOffset(gy, lead, i) * esz;
            long xb = x.byteOffset() + BlockRuns.leadingOffset(x, lead, i) * esz;
            double mu = SpatialRows.get(mean.segment(), f32, mean.byteOffset() + i * esz);
            double inv = SpatialRows.get(invstd.segment(), f32, invstd.byteOffset() + i * esz);
            long j = j0;
            while (j < j1) {
                long r = j / runs.len, pos = j % runs.len;
                int cnt = (int) Math.min(j1 - j, runs.len - pos);
                SpatialRows.accumulateAffine(gs, gb + (runs.offset(0, r) + pos * runs.stride[0]) * esz, runs.stride[0], xs,
                        xb + (runs.offset(1, r) + pos * runs.stride[1]) * esz, runs.stride[1], mu, inv, dw, db,
                        (int) (j - j0), cnt, f32);
                j += cnt;
            }
        }
        for (int j = 0; j < width; j++) {
            if (dgamma != null) {
                SpatialRows.set(dgamma.segment(), f32, dgamma.byteOffset() + (j0 + j) * esz, dw[j]);
            }
            if (dbeta != null) {
                SpatialRows.set(dbeta.segment(), f32, dbeta.byteOffset() + (j0 + j) * esz, db[j]);
            }
        }
    }
}
