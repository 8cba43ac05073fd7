// Written by hand in jextract's shape from glibc's signal.h (x86-64 and AArch64 Linux); only the functions
// zerograd uses are bound.
package dev.zerograd.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;

/**
 * Binding to the C library's signal-mask functions. No logic: {@link AsyncSignals} builds on it. Every function
 * is short and does not block (a system call at most), so the downcalls are critical (Note [Critical downcalls]
 * in {@link Cblas}). Where the C library lacks a symbol (not Linux with glibc), the function throws
 * {@link NativeLibraryException}.
 */
@SuppressWarnings("restricted") // linking the C library is what this module is for
public final class Signals {
    private Signals() {}

    /** {@code how} of {@code pthread_sigmask}. */
    public static final int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
    /** Signal numbers of Linux on x86-64 and AArch64 that are raised by the faulting instruction itself. */
    public static final int SIGILL = 4, SIGTRAP = 5, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11, SIGSYS = 31;
    /** Asynchronous signals the JVM and profilers send to threads. */
    public static final int SIGUSR2 = 12, SIGPROF = 27, SIGQUIT = 3;
    /** {@code sizeof(sigset_t)} in glibc: 1024 bits. */
    public static final long SIGSET_BYTES = 128;

    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    /**
     * The C library, through the linker's default lookup; a missing symbol gets a failing handle (Note [Failing
     * handles] in {@link NativeLibrary}).
     */
    private static final NativeLibrary LIBC = NativeLibrary.open("the C library",
            () -> new LoadedLibrary(LibrarySource.SYSTEM, Path.of("libc"), Linker.nativeLinker().defaultLookup(), List.of()),
            "zerograd's signal masks need Linux with glibc, and this is " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch"));

    private static MethodHandle downcall(String name, FunctionDescriptor d) {
        return LIBC.downcall(name, d, CRITICAL);
    }

    private static final class sigfillset {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = downcall("sigfillset", DESC);
    }

    /**
     * {@snippet lang=c :
     * int sigfillset(sigset_t *set)
     * }
     */
    public static int sigfillset(MemorySegment set) {
        try {
            return (int) sigfillset.HANDLE.invokeExact(set);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class sigdelset {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = downcall("sigdelset", DESC);
    }

    /**
     * {@snippet lang=c :
     * int sigdelset(sigset_t *set, int signum)
     * }
     */
    public static int sigdelset(MemorySegment set, int signum) {
        try {
            return (int) sigdelset.HANDLE.invokeExact(set, signum);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class sigismember {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT);
        static final MethodHandle HANDLE = downcall("sigismember", DESC);
    }

    /**
     * {@snippet lang=c :
     * int sigismember(const sigset_t *set, int signum)
     * }
     */
    public static int sigismember(MemorySegment set, int signum) {
        try {
            return (int) sigismember.HANDLE.invokeExact(set, signum);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }

    private static final class pthread_sigmask {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        static final MethodHandle HANDLE = downcall("pthread_sigmask", DESC);
    }

    /**
     * {@snippet lang=c :
     * int pthread_sigmask(int how, const sigset_t *set, sigset_t *oldset)
     * }
     * Returns 0 or an error number.
     */
    public static int pthread_sigmask(int how, MemorySegment set, MemorySegment oldset) {
        try {
            return (int) pthread_sigmask.HANDLE.invokeExact(how, set, oldset);
        } catch (Error | RuntimeException ex) {
            throw ex;
        } catch (Throwable ex) {
            throw new AssertionError("should not reach here", ex);
        }
    }
}
