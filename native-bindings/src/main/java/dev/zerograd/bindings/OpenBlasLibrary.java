package dev.zerograd.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Optional;

/**
 * The process's OpenBLAS, located and opened once in this class's static initializer. A failure is
 * caught there and remembered, never left to surface as {@code ExceptionInInitializerError}: every
 * accessor, and every downcall handle made from here, throws a fresh {@link NativeLibraryException}
 * with the same message and the first failure as its cause.
 *
 * <p>Note [Failing handles]: when the library or one of its symbols is missing, {@link #downcall}
 * returns a handle of the same type that throws instead of calling. Binding classes can then keep
 * jextract's shape (a {@code static final} handle per symbol in a holder class, invoked with
 * {@code invokeExact}) without a check on the call path, and without their holders failing to
 * initialise.
 */
@SuppressWarnings("restricted") // opening libraries and linking them is what this module is for
final class OpenBlasLibrary {
    private static final LoadedLibrary LIBRARY;
    private static final NativeLibraryException FAILURE;

    static {
        LoadedLibrary library = null;
        NativeLibraryException failure = null;
        try {
            library = OpenBlasLocator.locate(OpenBlasLocator.Inputs.fromEnvironment());
        } catch (NativeLibraryException e) {
            failure = e;
        } catch (RuntimeException e) { // e.g. IllegalCallerException when native access is denied
            failure = new NativeLibraryException("OpenBLAS could not be loaded: " + e
                    + "\nRun the JVM with --enable-native-access=ALL-UNNAMED (or the module using zerograd).", e);
        }
        LIBRARY = library;
        FAILURE = failure;
    }

    private static final MethodHandle NEW_FAILURE;

    static {
        try {
            NEW_FAILURE = MethodHandles.lookup().findStatic(OpenBlasLibrary.class, "newFailure",
                    MethodType.methodType(NativeLibraryException.class, String.class, Throwable.class));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private OpenBlasLibrary() {}

    /** The opened library, if one was found. */
    static Optional<LoadedLibrary> find() {
        return Optional.ofNullable(LIBRARY);
    }

    /** The opened library; throws the remembered failure when none was found. */
    static LoadedLibrary get() {
        if (FAILURE != null) {
            throw newFailure(FAILURE.getMessage(), FAILURE);
        }
        return LIBRARY;
    }

    /** Whether the opened library exports {@code name}; false when no library was found. */
    static boolean exports(String name) {
        return LIBRARY != null && LIBRARY.lookup().find(name).isPresent();
    }

    /**
     * A downcall handle for {@code name}, or a handle of the same type that throws a
     * {@link NativeLibraryException} when the library or the symbol is missing; see
     * Note [Failing handles].
     */
    static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (FAILURE != null) {
            return failing(descriptor.toMethodType(), FAILURE.getMessage(), FAILURE);
        }
        Optional<MemorySegment> symbol = LIBRARY.lookup().find(name);
        if (symbol.isEmpty()) {
            return failing(descriptor.toMethodType(), name + " is not exported by " + LIBRARY.path()
                    + " (" + LIBRARY.source() + "); it needs a newer OpenBLAS, such as the bundled "
                    + BundledOpenBlas.COORDINATES, null);
        }
        return Linker.nativeLinker().downcallHandle(symbol.get(), descriptor, options);
    }

    private static NativeLibraryException newFailure(String message, Throwable cause) {
        return new NativeLibraryException(message, cause);
    }

    /** {@code (params) -> throw newFailure(message, cause)}, typed as {@code type}. */
    private static MethodHandle failing(MethodType type, String message, Throwable cause) {
        MethodHandle create = MethodHandles.insertArguments(NEW_FAILURE, 0, message, cause);
        MethodHandle thrower = MethodHandles.throwException(type.returnType(), NativeLibraryException.class);
        MethodHandle ignoringArguments = MethodHandles.dropArguments(thrower, 1, type.parameterList());
        return MethodHandles.foldArguments(ignoringArguments, create);
    }
}
