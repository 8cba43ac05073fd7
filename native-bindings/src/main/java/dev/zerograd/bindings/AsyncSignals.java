package dev.zerograd.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Holds asynchronous signals off the calling thread for the length of a native call that must not be interrupted
 * by a signal handler: every signal but those a faulting instruction raises (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP, SIGSYS, which the JVM needs and which a correct call never raises). Signals that arrive meanwhile stay
 * pending and are delivered when the mask is restored. Allocates nothing after a thread's first use.
 *
 * <p>Why: Note [oneDNN and signals] in {@code GemmBackend}.
 */
public final class AsyncSignals {
    private AsyncSignals() {}

    /** The set to block, made on first use (a holder, so that {@link #supported()} can answer false). */
    private static final class Async {
        static final MemorySegment SET = asyncSet();
    }
    /** The mask each thread had before {@link #block()}; one buffer per thread, freed with the thread. */
    private static final ThreadLocal<MemorySegment> SAVED =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Signals.SIGSET_BYTES, 8));

    private static MemorySegment asyncSet() {
        MemorySegment set = Arena.global().allocate(Signals.SIGSET_BYTES, 8);
        check("sigfillset", Signals.sigfillset(set));
        for (int sync : new int[] {Signals.SIGILL, Signals.SIGTRAP, Signals.SIGBUS, Signals.SIGFPE, Signals.SIGSEGV,
                Signals.SIGSYS}) {
            check("sigdelset", Signals.sigdelset(set, sync));
        }
        return set;
    }

    /** Whether the C library has the functions (Linux with glibc); when false, {@link #block()} throws. */
    public static boolean supported() {
        try {
            return Async.SET != null;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * Makes this thread's buffer for the saved mask now (about 1 KB on the Java heap, once per thread), so that the
     * first {@link #block()} on it allocates nothing. Threads that run parallel units (which thread runs which unit
     * is up to the scheduler) call it when they start, and callers of a region before it starts: otherwise a
     * thread's first block could come at any later step and allocate there. Does nothing where signal masks are
     * not supported.
     */
    public static void prepare() {
        if (supported()) {
            SAVED.get();
        }
    }

    /** Blocks every asynchronous signal on this thread, remembering the previous mask for {@link #restore()}. */
    public static void block() {
        check("pthread_sigmask(SIG_BLOCK)", Signals.pthread_sigmask(Signals.SIG_BLOCK, Async.SET, SAVED.get()));
    }

    /** Puts back the mask {@link #block()} found on this thread; pending signals are delivered now. */
    public static void restore() {
        check("pthread_sigmask(SIG_SETMASK)", Signals.pthread_sigmask(Signals.SIG_SETMASK, SAVED.get(), MemorySegment.NULL));
    }

    private static void check(String what, int rc) {
        if (rc != 0) {
            throw new IllegalStateException("AsyncSignals: " + what + " failed with error " + rc);
        }
    }
}
