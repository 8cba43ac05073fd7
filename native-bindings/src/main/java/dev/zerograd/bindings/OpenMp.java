// Written by hand in jextract's shape from GCC's omp.h; only the functions zerograd uses are bound.
package dev.zerograd.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Binding to the GNU OpenMP runtime ({@code libgomp}), which oneDNN's Debian build and OpenBLAS's
 * OpenMP build run their threads on. No logic. Both functions act on the calling thread's own
 * OpenMP setting ({@code nthreads-var}): every Java thread is an OpenMP initial thread of its own.
 * Both are short and take no locks, so the downcalls are critical (Note [Critical downcalls] in
 * {@link Cblas}).
 */
public final class OpenMp {
    private OpenMp() {}

    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    private static final class omp_set_num_threads {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = OneDnnLibraries.gomp().downcall("omp_set_num_threads", DESC, CRITICAL);
    }

    /** Function descriptor of {@code omp_set_num_threads}. */
    public static FunctionDescriptor omp_set_num_threads$descriptor() { return omp_set_num_threads.DESC; }

    /**
     * {@snippet lang=c :
     * void omp_set_num_threads(int num_threads)
     * }
     */
    public static void omp_set_num_threads(int numThreads) {
        try {
            omp_set_num_threads.HANDLE.invokeExact(numThreads);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class omp_get_max_threads {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = OneDnnLibraries.gomp().downcall("omp_get_max_threads", DESC, CRITICAL);
    }

    /** Function descriptor of {@code omp_get_max_threads}. */
    public static FunctionDescriptor omp_get_max_threads$descriptor() { return omp_get_max_threads.DESC; }

    /**
     * {@snippet lang=c :
     * int omp_get_max_threads(void)
     * }
     */
    public static int omp_get_max_threads() {
        try {
            return (int) omp_get_max_threads.HANDLE.invokeExact();
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }
}
