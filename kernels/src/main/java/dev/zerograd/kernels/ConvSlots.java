package dev.zerograd.kernels;

import dev.zerograd.bindings.AsyncSignals;

import dev.zerograd.kernels.ConvBlas.Operand;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batched kernels of {@link Conv} with each pool thread running whole chunks of images: im2col and/or the
 * gradient gather, the chunk's GEMMs on one OpenBLAS thread, then the scatter into y, col2im into dx or the
 * sum into dw, in a workspace slot of its own.
 *
 * <p>Note [Conv slots]: with chunks run one after another, every chunk is three handoffs between the two
 * thread pools (Note [Thread pools] in {@link Parallel}): an im2col region on zerograd's pool, GEMMs on
 * OpenBLAS's threads, a scatter region on zerograd's pool again. On 2 cores the handoffs cost more than
 * OpenBLAS's second thread gave: the CNN step took the same wall time with OpenBLAS on one thread as on
 * two (22.7 against 21.8 ms median), and 10 ms of CPU per step less, the difference being the threads
 * waking, spinning and yielding at every handoff. Here the workspace after the weight stage is cut into
 * {@code S = min(threads, chunks)} equal slots and the slots run as one region of S units, each on one
 * thread from its first chunk to its last (forward and input gradient: the next unclaimed chunk, so a slot
 * whose thread started late takes fewer; weight gradient: chunks i, i + S, ...), while OpenBLAS is held to
 * one thread ({@code openblas_set_num_threads(1)} for the region, restored after, and set again by every
 * thread that runs a slot: the OpenMP build takes a call's thread count from the calling thread's own
 * OpenMP setting). The kernels' own regions inside a slot run inline (Note [Region protocol]: a region
 * started inside another runs on its caller). In one JVM, alternating both paths on Debian's OpenMP
 * OpenBLAS, the CNN step took 0.86 of the serial chunks' time.
 *
 * <p>In the forward and input-gradient kernels every output element is written by one chunk, with the same
 * GEMM calls as on the serial path, so results do not depend on the thread count. The weight gradient sums
 * over chunks: each slot sums its own chunks (i, i + S, ...) and the slots' sums are added in slot order, so
 * it is the same from run to run for a given slot count and differs from the serial sum by rounding only.
 * Each slot has an {@link Im2Col} of its own, which receives the call's geometry from the caller's before
 * the region starts. The OpenBLAS setting is process-wide: a GEMM that another application thread makes
 * during the region runs on one thread too, and two application threads running batched convolutions at
 * once can leave OpenBLAS at one thread (each restores what it read).
 */
final class ConvSlots extends UnitTask {
    static final int FORWARD = 0;
    static final int BACKWARD_INPUT = 1;
    static final int BACKWARD_WEIGHT = 2;

    /**
     * False: the serial chunk path always ({@code -Dzerograd.conv.slots=false}, or set by a test or a
     * measurement), for comparisons. Not final, so one JVM can alternate the two paths.
     */
    static volatile boolean enabled = !"false".equals(System.getProperty("zerograd.conv.slots"));
    /** Which kernels take the slot path: bit 0 forward, bit 1 input gradient, bit 2 weight gradient. */
    static volatile int modes = Integer.getInteger("zerograd.conv.slotModes", 7);

    private static final ThreadLocal<ConvSlots> LOCAL = ThreadLocal.withInitial(ConvSlots::new);

    static ConvSlots get() {
        return LOCAL.get();
    }

    /** The next chunk to claim (forward and input gradient). */
    private final AtomicLong next = new AtomicLong();

    /** One Im2Col per slot; grows, never shrinks (allocates only when the pool grew). */
    private Im2Col[] cols = new Im2Col[0];

    // The call: set by run, read by the slots.
    private int mode, slots;
    private String op;
    private boolean f32;
    private long images, chunks, og, k, p, slotBytes;
    private Operand wm;
    private MemorySegment ws, outSeg;
    private long stageBase, outBase, partialBase, partialElements;
    private Tensor x, gy, dx;

    private ConvSlots() {}

    /**
     * How many slots a batched call of t over a workspace of {@code wsElements} elements takes (each slot after
     * the first also holding {@code extra} elements of its own: the weight gradient's partial sums); 0 when
     * the serial path should run: one pool thread, fewer than two chunks, or no room for two slots.
     */
    static int slotsFor(int mode, Im2Col t, long wsElements, long weightStage, long perImage, long extra) {
        int threads = Parallel.threads();
        if (!enabled || (modes & (1 << mode)) == 0 || threads < 2 || t.n < 2) {
            return 0;
        }
        for (long s = Math.min(threads, t.n); s >= 2; s--) {
            long perSlot = room(wsElements, weightStage, extra, s) / s;
            if (perSlot >= perImage && Math.ceilDiv(t.n, Conv.chunk(t.n, perSlot / perImage)) >= s) {
                return (int) s;
            }
        }
        return 0;
    }

    private static long room(long wsElements, long weightStage, long extra, long s) {
        return wsElements - weightStage - (s - 1) * extra;
    }

    /**
     * Runs the forward ({@code y = w @ cols(x)} scattered into y plus bias, t's ys/bs fields set), the input
     * gradient ({@code dx = col2im(w^T @ gy)}) or the weight gradient ({@code dw = sum over chunks of
     * gy @ cols(x)^T}, into dw contiguous) over {@code s} slots of the workspace after the weight stage. The
     * weight gradient's slot 0 sums its chunks into dw, slot i > 0 into partial sums after the slots, which are
     * then added to dw in slot order: the result depends on the slot count, not on which thread ran a slot.
     */
    void run(int mode, int s, String op, Im2Col t, Operand wm, long k, long perImage, MemorySegment ws, long stageBase,
             long wsElements, long weightStage, Tensor x, Tensor gy, Tensor dx, Tensor dw) {
        this.mode = mode;
        this.op = op;
        this.slots = s;
        this.f32 = t.f32;
        int esz = f32 ? 4 : 8;
        long extra = mode == BACKWARD_WEIGHT ? dw.numel() : 0;
        long room = room(wsElements, weightStage, extra, s);
        this.images = Conv.chunk(t.n, room / s / perImage);
        this.chunks = Math.ceilDiv(t.n, images);
        this.og = t.cout / t.groups;
        this.k = k;
        this.p = t.ho * t.wo;
        this.slotBytes = room / s * esz;
        this.partialBase = stageBase + s * slotBytes;
        this.partialElements = extra;
        if (mode == BACKWARD_WEIGHT) {
            outSeg = dw.segment();
            outBase = dw.byteOffset();
        } else {
            outSeg = null;
            outBase = t.yBase;
        }
        this.wm = wm;
        this.ws = ws;
        this.stageBase = stageBase;
        this.x = x;
        this.gy = gy;
        this.dx = dx;
        if (cols.length < s) {
            Im2Col[] grown = new Im2Col[s];
            System.arraycopy(cols, 0, grown, 0, cols.length);
            for (int i = cols.length; i < s; i++) {
                grown[i] = Im2Col.detached();
            }
            cols = grown;
        }
        for (int i = 0; i < s; i++) {
            cols[i].copyCall(t);
        }
        long blas = GemmBackend.savedThreads();
        try {
            GemmBackend.singleThreadedOnThisThread(blas);
            next.set(0);
            AsyncSignals.prepare(); // this thread may run slots' oneDNN calls (Note [oneDNN and signals])
            forUnits(s, Long.MAX_VALUE / 2);
            if (mode == BACKWARD_WEIGHT) {
                for (int i = 1; i < s && i < chunks; i++) {
                    SpatialRows.addInto(outSeg, outBase, 1, ws, partialBase + (i - 1) * partialElements * esz, 1,
                            partialElements, f32);
                }
            }
        } finally {
            GemmBackend.restoreThreads(blas);
            for (int i = 0; i < s; i++) {
                cols[i].clear();
            }
            this.wm = null;
            this.ws = null;
            outSeg = null;
            this.x = this.gy = this.dx = null;
        }
    }

    @Override
    void runUnits(long from, long to) {
        // Again on this thread: OpenBLAS's OpenMP build and oneDNN take a call's thread count from the calling
        // thread's OpenMP setting (omp_get_max_threads), which openblas_set_num_threads and omp_set_num_threads
        // set for their caller only; a worker that skipped this ran its GEMMs with an OpenMP team of its own,
        // 3 threads on 2 cores.
        GemmBackend.singleThreadedOnThisThread(GemmBackend.ALL_THREADED);
        for (long s = from; s < to; s++) {
            Im2Col u = cols[(int) s];
            long slotBase = stageBase + s * slotBytes;
            if (mode == BACKWARD_WEIGHT) {
                for (long c = s; c < chunks; c += slots) {
                    backwardWeight(u, slotBase, c * images, s, c < slots);
                }
                continue;
            }
            // Every output element comes from one chunk: the chunks go to whichever slot asks first.
            for (long c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                if (mode == FORWARD) {
                    forward(u, slotBase, c * images);
                } else {
                    backwardInput(u, slotBase, c * images);
                }
            }
        }
    }

    private void forward(Im2Col u, long slotBase, long n0) {
        int esz = f32 ? 4 : 8;
        long b = Math.min(images, u.n - n0), bp = b * p;
        long colsAt = Conv.columns(u, x, n0, b, slotBase + u.cout * bp * esz, ws);
        for (long g = 0; g < u.groups; g++) {
            ConvBlas.gemmOnThread(op, f32, false, wm.ld, og, bp, k, wm.s, wm.at(g * og, esz), false, bp, ws,
                    colsAt + g * k * bp * esz, 0, ws, slotBase + g * og * bp * esz, bp);
        }
        Conv.stage(u, ws, slotBase, b);
        u.yBase = outBase + n0 * u.cout * p * esz;
        u.runImages(Im2Col.SCATTER, b);
    }

    /** dw (slot 0) or the slot's partial sums {@code += gy_g @ cols_g^T} over the chunk; {@code first}: overwrite. */
    private void backwardWeight(Im2Col u, long slotBase, long n0, long slot, boolean first) {
        int esz = f32 ? 4 : 8;
        long b = Math.min(images, u.n - n0), bp = b * p;
        Conv.gatherGrad(u, gy, n0, b, ws, slotBase);
        long colsAt = Conv.columns(u, x, n0, b, slotBase + u.cout * bp * esz, ws);
        MemorySegment out = slot == 0 ? outSeg : ws;
        long outAt = slot == 0 ? outBase : partialBase + (slot - 1) * partialElements * esz;
        for (long g = 0; g < u.groups; g++) {
            ConvBlas.gemmOnThread(op, f32, false, bp, og, k, bp, ws, slotBase + g * og * bp * esz, true, bp, ws,
                    colsAt + g * k * bp * esz, first ? 0 : 1, out, outAt + g * og * k * esz, k);
        }
    }

    private void backwardInput(Im2Col u, long slotBase, long n0) {
        int esz = f32 ? 4 : 8;
        long b = Math.min(images, u.n - n0), bp = b * p;
        Conv.gatherGrad(u, gy, n0, b, ws, slotBase);
        long colsAt = slotBase + u.cout * bp * esz;
        for (long g = 0; g < u.groups; g++) {
            ConvBlas.gemmOnThread(op, f32, true, wm.ld, k, bp, og, wm.s, wm.at(g * og, esz), false, bp, ws,
                    slotBase + g * og * bp * esz, 0, ws, colsAt + g * k * bp * esz, bp);
        }
        Conv.setImage(u, dx.segment(), dx.byteOffset() + n0 * u.cin * u.h * u.w * esz, dx);
        Conv.layout(u, ws, colsAt, b);
        u.runImages(Im2Col.COL2IM, b);
    }
}
