package dev.zerograd.bindings;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A native library located and opened once, typically in a binding's static initializer. A failure
 * is caught there and remembered, never left to surface as {@code ExceptionInInitializerError}:
 * {@link #get()}, and every downcall handle made from here, throws a fresh
 * {@link NativeLibraryException} with the same message, the same places searched and the first
 * failure as its cause.
 *
 * <p>Note [Failing handles]: when the library or one of its symbols is missing, or a symbol cannot
 * be linked, {@link #downcall} returns a handle of the same type that throws instead of calling.
 * Binding classes can then keep jextract's shape (a {@code static final} handle per symbol in a
 * holder class, invoked with {@code invokeExact}) without a check on the call path, and without
 * their holders failing to initialise.
 */
@SuppressWarnings("restricted") // opening libraries and linking them is what this module is for
final class NativeLibrary {
    private static final MethodHandle NEW_FAILURE;

    static {
        try {
            NEW_FAILURE = MethodHandles.lookup().findStatic(NativeLibrary.class, "newFailure",
                    MethodType.methodType(NativeLibraryException.class, NativeLibraryException.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private final LoadedLibrary library;
    private final NativeLibraryException failure;
    private final String missingSymbolHint;

    private NativeLibrary(LoadedLibrary library, NativeLibraryException failure, String missingSymbolHint) {
        this.library = library;
        this.failure = failure;
        this.missingSymbolHint = missingSymbolHint;
    }

    /**
     * Runs {@code locate} now and remembers its library or its failure; never throws.
     *
     * @param title             the library's name in messages, e.g. {@code "OpenBLAS"}
     * @param missingSymbolHint what a missing symbol means, appended to its message
     */
    static NativeLibrary open(String title, Supplier<LoadedLibrary> locate, String missingSymbolHint) {
        try {
            return new NativeLibrary(locate.get(), null, missingSymbolHint);
        } catch (NativeLibraryException e) {
            return new NativeLibrary(null, e, missingSymbolHint);
        } catch (RuntimeException e) { // e.g. IllegalCallerException when native access is denied
            return new NativeLibrary(null, new NativeLibraryException(title + " could not be loaded: " + e
                    + "\nRun the JVM with --enable-native-access=ALL-UNNAMED (or the module using zerograd).", e),
                    missingSymbolHint);
        }
    }

    /** The opened library, if one was found. */
    Optional<LoadedLibrary> find() {
        return Optional.ofNullable(library);
    }

    /** Why no library was found; empty when one was. */
    Optional<NativeLibraryException> failure() {
        return Optional.ofNullable(failure);
    }

    /** The opened library; throws the remembered failure, afresh, when none was found. */
    LoadedLibrary get() {
        if (failure != null) {
            throw newFailure(failure, failure.getMessage());
        }
        return library;
    }

    /** Whether the opened library exports {@code name}; false when no library was found. */
    boolean exports(String name) {
        return library != null && library.lookup().find(name).isPresent();
    }

    /**
     * A downcall handle for {@code name}, or a handle of the same type that throws a
     * {@link NativeLibraryException} when the library or the symbol is missing or cannot be
     * linked; see Note [Failing handles].
     */
    MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (failure != null) {
            return failing(descriptor.toMethodType(), failure, failure.getMessage());
        }
        Optional<MemorySegment> symbol = library.lookup().find(name);
        if (symbol.isEmpty()) {
            return failing(descriptor.toMethodType(), null, name + " is not exported by " + library.path()
                    + " (" + library.source() + "); " + missingSymbolHint);
        }
        try {
            return Linker.nativeLinker().downcallHandle(symbol.get(), descriptor, options);
        } catch (RuntimeException e) { // IllegalCallerException when native access is denied
            return failing(descriptor.toMethodType(), null, name + " in " + library.path() + " could not be linked: "
                    + e + "\nRun the JVM with --enable-native-access=ALL-UNNAMED (or the module using zerograd).");
        }
    }

    /** The file mapped at {@code symbol}'s address, read from {@code /proc/self/maps}. */
    static Optional<Path> mappedFile(MemorySegment symbol) {
        long address = symbol.address();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                String[] fields = line.trim().split("\\s+", 6);
                int dash = fields[0].indexOf('-');
                if (fields.length < 6 || dash < 0 || !fields[5].startsWith("/")) {
                    continue;
                }
                long start = Long.parseUnsignedLong(fields[0], 0, dash, 16);
                long end = Long.parseUnsignedLong(fields[0], dash + 1, fields[0].length(), 16);
                if (Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0) {
                    return Optional.of(Path.of(fields[5]));
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** A fresh exception for each failed call, carrying the first failure's places searched. */
    private static NativeLibraryException newFailure(NativeLibraryException first, String message) {
        return first == null ? new NativeLibraryException(message)
                : new NativeLibraryException(message, first.searched(), first);
    }

    /** {@code (params) -> throw newFailure(first, message)}, typed as {@code type}. */
    private static MethodHandle failing(MethodType type, NativeLibraryException first, String message) {
        MethodHandle create = MethodHandles.insertArguments(NEW_FAILURE, 0, first, message);
        MethodHandle thrower = MethodHandles.throwException(type.returnType(), NativeLibraryException.class);
        MethodHandle ignoringArguments = MethodHandles.dropArguments(thrower, 1, type.parameterList());
        return MethodHandles.foldArguments(ignoringArguments, create);
    }
}
