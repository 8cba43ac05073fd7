package dev.zerograd.kernels;

import dev.zerograd.bindings.AsyncSignals;
import dev.zerograd.bindings.Cblas;
import dev.zerograd.bindings.CblasAddress;
import dev.zerograd.bindings.Dnnl;
import dev.zerograd.bindings.NativeLibraryException;
import dev.zerograd.bindings.OneDnn;
import dev.zerograd.bindings.OpenBlas;

/**
 * Which library runs zerograd's single-precision GEMMs ({@link MatMul}, the convolutions' im2col products):
 * OpenBLAS's {@code cblas_sgemm} or oneDNN's {@code dnnl_sgemm}. Double precision always runs on OpenBLAS
 * (oneDNN has no dgemm), as do the BLAS-1 and BLAS-2 calls.
 *
 * <p>Note [GEMM backend]: both libraries take the same row-major arguments, so the choice is one branch per
 * call. It is made once, on first use, from {@code -Dzerograd.sgemm} or else {@code ZEROGRAD_SGEMM}:
 * <ul>
 * <li>{@code auto} (the default): oneDNN when it is installed, runs on OpenMP (or sequentially), and its
 * generated kernels use AVX-512 on this CPU; OpenBLAS otherwise. On the Sapphire Rapids machines zerograd is
 * measured on, Debian's oneDNN 2.6 ran the GEMMs of the benchmark workloads 10-40 % faster than OpenBLAS
 * 0.3.21 with its Cooper Lake kernels (a few large transposed-B products 5 % slower); on AVX2 machines it was
 * not measured, so OpenBLAS stays.</li>
 * <li>{@code openblas}: always OpenBLAS.</li>
 * <li>{@code onednn}: oneDNN; every GEMM fails, naming the places searched, when it cannot be loaded.</li>
 * </ul>
 * With oneDNN chosen, a product goes to it only when it is large enough (Note [Small GEMMs stay on OpenBLAS]) and
 * runs on the calling thread alone, with asynchronous signals held off that thread (Note [oneDNN and signals]);
 * a large product that would run on several threads is split over the pool instead, one single-threaded oneDNN
 * call per thread (Note [Split GEMMs] in {@link GemmSplit}); every other product runs on OpenBLAS.
 *
 * <p>Note [oneDNN and signals]: Debian's oneDNN 2.6.3 corrupts the C heap when a signal handler runs on a thread
 * that is inside its {@code dnnl_sgemm} (glibc then aborts: "corrupted size vs. prev_size", "free(): invalid
 * pointer"). Reproduced from C with an empty SIGPROF handler every 200 us, on one thread and on two, for some
 * shapes (128 x 256 x 784 N-N, 64 x 288 x 1000 T-N, 256 x 2048 x 1024 N-T on two threads) and not others; OpenBLAS
 * under the same signals is fine. In a JVM the signals come from JFR's method sampling (which signals a thread in
 * native code to sample it: a recording with 1 ms native sampling crashed MlpStep within seconds), from profilers,
 * and from {@code kill -3}. A call made with asynchronous signals blocked on the calling thread never failed: the
 * signals wait until the call returns ({@link AsyncSignals}, two system calls, about 1 us). That protects only the
 * calling thread, and oneDNN's OpenMP workers are threads zerograd cannot mask (OpenBLAS's OpenMP build may have
 * created them), so oneDNN only ever runs on one thread per call: the calling thread alone (its OpenMP thread
 * count there is 1, as in the conv slots), or each pool thread for its block of a split product, each with its
 * own mask.
 * {@link #use} switches at run time (tests, in-JVM A/B runs). The results of the two differ by rounding only;
 * each is deterministic for a given thread count.
 *
 * <p>Threads: with Debian's packages both libraries run on the same GNU OpenMP runtime, whose thread count
 * is a per-thread setting. {@link #setThreads} sets OpenBLAS's (process-wide for its pthreads build, the
 * caller's for its OpenMP build) and oneDNN's (the caller's); a pool thread that makes GEMM calls of its own
 * sets both on itself first (Note [Conv slots]).
 */
public final class GemmBackend {
    private GemmBackend() {}

    /** The libraries that can run single-precision GEMMs. */
    public enum Kind {
        OPENBLAS("OpenBLAS"), ONEDNN("oneDNN");

        private final String title;

        Kind(String title) {
            this.title = title;
        }

        /** The library's name, e.g. {@code "oneDNN"}. */
        public String title() {
            return title;
        }
    }

    static final String ENV = "ZEROGRAD_SGEMM";
    static final String PROP = "zerograd.sgemm";

    /** A backend and why it was chosen. */
    record Choice(Kind kind, String reason) {}

    /** What {@link #choose} needs to know about oneDNN; {@link #installed()} asks the real library. */
    interface OneDnnProbe {
        /** Null when oneDNN is loaded; otherwise why not (the places searched). */
        String failure();

        /** For example {@code "oneDNN 2.6.3 (omp, avx512_core_bf16)"}. */
        String describe();

        boolean threadCountSettable();

        boolean avx512();
    }

    private static volatile Choice choice; // null until first use

    /**
     * Note [Small GEMMs stay on OpenBLAS]: with oneDNN chosen, a product of fewer than this many multiply-adds
     * ({@code m * n * k}) still runs on OpenBLAS. oneDNN wakes its OpenMP team for small products that OpenBLAS
     * runs on the calling thread alone; with the passive wait policy the launcher sets, that cost 10-40 us per
     * call on the measured machine (two threads: 64^3 took 14x OpenBLAS's time, [10 x 128] x [128 x 256] 11x).
     * From 128^3 = 2^21 up, oneDNN matched or beat OpenBLAS at every shape measured, on one thread and on two.
     * {@code -Dzerograd.sgemm.minWork} overrides it (0 sends every product to oneDNN).
     */
    static volatile long minWork = Long.getLong("zerograd.sgemm.minWork", 1L << 21);

    /** The backend in use, choosing it on first call (Note [GEMM backend]). */
    public static Kind current() {
        return choice().kind();
    }

    /** Why {@link #current()} was chosen, e.g. {@code "auto: oneDNN 2.6.3 (omp, avx512_core_bf16)"}. */
    public static String reason() {
        return choice().reason();
    }

    /**
     * Switches the backend for every later call, from any thread; for tests and in-JVM comparisons.
     *
     * @throws IllegalStateException when {@code kind} is {@link Kind#ONEDNN} and oneDNN cannot be used; the
     *                               message says why
     */
    public static synchronized void use(Kind kind) {
        if (kind == Kind.ONEDNN) {
            choice = choose("onednn", "GemmBackend.use", installed());
        } else {
            choice = new Choice(Kind.OPENBLAS, "GemmBackend.use(OPENBLAS)");
        }
    }

    /** The current choice, for tests that switch the backend and put it back with {@link #restore}. */
    static Choice snapshot() {
        return choice();
    }

    /** Puts back a choice {@link #snapshot()} returned. */
    static synchronized void restore(Choice saved) {
        choice = saved;
    }

    /** Whether oneDNN is installed and usable here (loaded, and its thread count can be set). */
    public static boolean oneDnnUsable() {
        OneDnnProbe probe = installed();
        return probe.failure() == null && probe.threadCountSettable();
    }

    /**
     * Row-major {@code c = alpha * op(a) @ op(b) + beta * c}: op(a) {@code [m, k]}, op(b) {@code [k, n]},
     * c {@code [m, n]}, leading dimensions as for {@code cblas_sgemm} with {@code CblasRowMajor}. With
     * {@code beta == 0}, c is not read. Pointers are raw addresses (Note [Address downcalls] in
     * {@link CblasAddress}) that the caller has checked against live segments. Runs on the threads of the
     * backend; callers outside a parallel region call {@link Parallel#quiesce()} first.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b,
            int ldb, float beta, long c, int ldc) {
        Choice ch = choice;
        if (ch == null) {
            ch = choice();
        }
        if (ch.kind() == Kind.ONEDNN) {
            long work = (long) m * n * k;
            int threads = OneDnn.numThreadsOnThisThread();
            if (splits(work, threads)) {
                GemmSplit.run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Math.min(threads, Parallel.threads()));
                return;
            }
            if (takesOneDnn(work, threads)) {
                oneDnnSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                return;
            }
        }
        CblasAddress.cblas_sgemm(Cblas.CblasRowMajor, transA ? Cblas.CblasTrans : Cblas.CblasNoTrans,
                transB ? Cblas.CblasTrans : Cblas.CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * One {@code dnnl_sgemm} call (arguments as for {@link #sgemm}) with this thread's asynchronous signals held for
     * its length (Note [oneDNN and signals]); the caller makes sure it runs on this thread alone.
     *
     * @throws IllegalStateException when oneDNN returns a failed status
     */
    static void oneDnnSgemm(boolean transA, boolean transB, long m, long n, long k, float alpha, long a, long lda, long b,
            long ldb, float beta, long c, long ldc) {
        int status;
        AsyncSignals.block();
        try {
            status = Dnnl.dnnl_sgemm(transA ? Dnnl.TRANS : Dnnl.NO_TRANS, transB ? Dnnl.TRANS : Dnnl.NO_TRANS, m, n, k,
                    alpha, a, lda, b, ldb, beta, c, ldc);
        } finally {
            AsyncSignals.restore();
        }
        if (status != Dnnl.dnnl_success) {
            throw new IllegalStateException("GemmBackend.sgemm: dnnl_sgemm failed with status " + status + " for "
                    + (transA ? "T" : "N") + (transB ? "T" : "N") + " m=" + m + " n=" + n + " k=" + k + " lda=" + lda
                    + " ldb=" + ldb + " ldc=" + ldc);
        }
    }

    /**
     * Whether a product of {@code work} multiply-adds, called with oneDNN chosen from a thread whose oneDNN thread
     * count is {@code threads}, runs on oneDNN: large enough (Note [Small GEMMs stay on OpenBLAS]) and on that thread
     * alone (Note [oneDNN and signals]).
     */
    static boolean takesOneDnn(long work, int threads) {
        return work >= minWork && threads == 1;
    }

    /**
     * Whether a product of {@code work} multiply-adds, called with oneDNN chosen from a thread whose oneDNN thread
     * count is {@code threads}, is split over the pool's threads, one single-threaded oneDNN call each (Note [Split
     * GEMMs] in {@link GemmSplit}): that thread's GEMMs would run on more than one thread, the pool has more than
     * one and is free, and the product is at least {@link #minSplitWork}.
     */
    static boolean splits(long work, int threads) {
        return work >= minSplitWork && threads > 1 && Parallel.threads() > 1 && Parallel.idle();
    }

    /**
     * The least multiply-adds for a split product (Note [Split GEMMs]): below it waking the pool costs more than
     * oneDNN gains, and OpenBLAS runs the product on its own threads. {@code -Dzerograd.sgemm.minSplitWork}.
     */
    static volatile long minSplitWork = Long.getLong("zerograd.sgemm.minSplitWork", 1L << 24);

    /**
     * Sets the number of threads both libraries use for a GEMM: OpenBLAS's count, and oneDNN's for calls from
     * this thread when oneDNN is usable.
     *
     * @param threads at least 1
     */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("GemmBackend.setThreads: threads must be >= 1, got " + threads);
        }
        OpenBlas.setNumThreads(threads);
        if (oneDnnUsable()) {
            OneDnn.setNumThreadsOnThisThread(threads);
        }
    }

    /** The number of threads the current backend uses for a GEMM called from this thread. */
    public static int threads() {
        return current() == Kind.ONEDNN ? OneDnn.numThreadsOnThisThread() : OpenBlas.numThreads();
    }

    /**
     * Both thread counts of this thread, packed for {@link #restoreThreads}: OpenBLAS's in the high half,
     * oneDNN's (0 when it is not usable) in the low half.
     */
    static long savedThreads() {
        int dnnl = oneDnnUsable() ? OneDnn.numThreadsOnThisThread() : 0;
        return ((long) OpenBlas.numThreads() << 32) | dnnl;
    }

    /**
     * A {@link #savedThreads()} value for which {@link #singleThreadedOnThisThread} sets both counts whatever they
     * are. A pool worker passes it: OpenBLAS's OpenMP build reports its process-wide count, which the calling
     * thread may already have set to 1, while the worker's own OpenMP setting is still the default.
     */
    static final long ALL_THREADED = -1L;

    /**
     * Sets both libraries to one thread on this thread (a pool thread's own GEMMs, Note [Conv slots]), skipping
     * a library whose count in {@code saved} is already 1 (or, for oneDNN, 0: not usable).
     */
    static void singleThreadedOnThisThread(long saved) {
        if ((int) (saved >>> 32) != 1) {
            OpenBlas.setNumThreads(1);
        }
        if (saved == ALL_THREADED ? oneDnnUsable() : (int) saved > 1) {
            OneDnn.setNumThreadsOnThisThread(1);
        }
    }

    /** Undoes {@link #singleThreadedOnThisThread} with the counts {@link #savedThreads()} returned. */
    static void restoreThreads(long saved) {
        int blas = (int) (saved >>> 32), dnnl = (int) saved;
        if (blas != 1) {
            OpenBlas.setNumThreads(blas);
        }
        if (dnnl > 1) {
            OneDnn.setNumThreadsOnThisThread(dnnl);
        }
    }

    /** A line for reports: {@code "oneDNN (auto: oneDNN 2.6.3 (omp, avx512_core_bf16))"}. */
    public static String describe() {
        Choice ch = choice();
        return ch.kind().title() + " (" + ch.reason() + ")";
    }

    private static Choice choice() {
        Choice ch = choice;
        if (ch == null) {
            synchronized (GemmBackend.class) {
                ch = choice;
                if (ch == null) {
                    String prop = System.getProperty(PROP);
                    boolean fromProp = prop != null && !prop.isBlank();
                    String setting = fromProp ? prop : System.getenv(ENV);
                    ch = choose(setting, fromProp ? "-D" + PROP : ENV, installed());
                    choice = ch;
                }
            }
        }
        return ch;
    }

    /**
     * The backend for {@code setting} ({@code auto}, {@code openblas}, {@code onednn}, any case; null or blank
     * means {@code auto}), named by {@code origin} in messages.
     *
     * @throws IllegalArgumentException for any other setting
     * @throws IllegalStateException    for {@code onednn} when oneDNN cannot be used
     */
    static Choice choose(String setting, String origin, OneDnnProbe probe) {
        String s = setting == null || setting.isBlank() ? "auto" : setting.trim().toLowerCase(java.util.Locale.ROOT);
        switch (s) {
            case "openblas":
                return new Choice(Kind.OPENBLAS, origin + "=openblas");
            case "onednn": {
                String failure = probe.failure();
                if (failure != null) {
                    throw new IllegalStateException(origin + "=" + setting + " asks for oneDNN's sgemm, but oneDNN could not be"
                            + " loaded; set " + ENV + "=auto or openblas to use OpenBLAS.\n" + failure);
                }
                if (!probe.threadCountSettable()) {
                    throw new IllegalStateException(origin + "=" + setting + " asks for oneDNN's sgemm, but " + probe.describe()
                            + " does not run on OpenMP, so zerograd cannot coordinate its threads with its own;"
                            + " install an OpenMP build (Debian's libdnnl2) or set " + ENV + "=openblas");
                }
                return new Choice(Kind.ONEDNN, origin + "=onednn: " + probe.describe());
            }
            case "auto": {
                if (probe.failure() != null) {
                    return new Choice(Kind.OPENBLAS, "auto: oneDNN is not installed");
                }
                if (!probe.threadCountSettable()) {
                    return new Choice(Kind.OPENBLAS, "auto: " + probe.describe() + " does not run on OpenMP");
                }
                if (!probe.avx512()) {
                    return new Choice(Kind.OPENBLAS, "auto: " + probe.describe() + " has no AVX-512 kernels here");
                }
                return new Choice(Kind.ONEDNN, "auto: " + probe.describe());
            }
            default:
                throw new IllegalArgumentException(origin + "=" + setting + ": expected auto, openblas or onednn");
        }
    }

    /** The installed oneDNN, asked once per call of this method (the library itself is opened once per JVM). */
    static OneDnnProbe installed() {
        return InstalledOneDnn.PROBE;
    }

    private static final class InstalledOneDnn implements OneDnnProbe {
        static final InstalledOneDnn PROBE = new InstalledOneDnn();

        private final String failure;
        private final String describe;
        private final boolean settable;
        private final boolean avx512;

        private InstalledOneDnn() {
            String why = null;
            String text = null;
            boolean threads = false, wide = false;
            try {
                OneDnn.load();
                text = "oneDNN " + OneDnn.version() + " (" + OneDnn.cpuRuntime() + ", " + OneDnn.cpuIsaName() + ")";
                threads = OneDnn.threadCountSettable();
                if (threads && OneDnn.cpuRuntimeCode() == Dnnl.DNNL_RUNTIME_OMP) {
                    OneDnn.numThreadsOnThisThread(); // opens libgomp now: a failure here means oneDNN is not usable
                }
                wide = OneDnn.hasAvx512Core();
                if (!AsyncSignals.supported()) { // Note [oneDNN and signals]: no call without the mask
                    throw new IllegalStateException("oneDNN is not used here: its calls need signal masks"
                            + " (pthread_sigmask), which this C library does not provide");
                }
            } catch (NativeLibraryException | IllegalStateException e) {
                why = e.getMessage();
            }
            failure = why;
            describe = text;
            settable = threads;
            avx512 = wide;
        }

        @Override
        public String failure() {
            return failure;
        }

        @Override
        public String describe() {
            return describe;
        }

        @Override
        public boolean threadCountSettable() {
            return settable;
        }

        @Override
        public boolean avx512() {
            return avx512;
        }
    }
}
