package dev.zerograd.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The process's OpenBLAS, located and opened once in this class's static initializer; a failure is
 * remembered and rethrown by every accessor and downcall handle (see {@link NativeLibrary}).
 */
final class OpenBlasLibrary {
    private static final NativeLibrary LIBRARY = NativeLibrary.open("OpenBLAS",
            () -> OpenBlasLocator.locate(OpenBlasLocator.Inputs.fromEnvironment()),
            "it needs a newer OpenBLAS, such as the bundled " + BundledOpenBlas.COORDINATES);

    private OpenBlasLibrary() {}

    /** The opened library, if one was found. */
    static Optional<LoadedLibrary> find() {
        return LIBRARY.find();
    }

    /** The opened library; throws the remembered failure when none was found. */
    static LoadedLibrary get() {
        return LIBRARY.get();
    }

    /** Whether the opened library exports {@code name}; false when no library was found. */
    static boolean exports(String name) {
        return LIBRARY.exports(name);
    }

    /** A downcall handle for {@code name}; see Note [Failing handles] in {@link NativeLibrary}. */
    static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LIBRARY.downcall(name, descriptor, options);
    }
}
