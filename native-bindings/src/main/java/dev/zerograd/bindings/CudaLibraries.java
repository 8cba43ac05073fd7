package dev.zerograd.bindings;

/**
 * The process's CUDA libraries, each located and opened once, on first use, in its own holder
 * class: using the runtime does not load cuBLAS. A failure is remembered and rethrown by every
 * downcall handle (see {@link NativeLibrary}).
 */
final class CudaLibraries {
    private CudaLibraries() {}

    private static final class Runtime {
        static final NativeLibrary LIBRARY = NativeLibrary.open("the CUDA runtime",
                () -> LibraryLocator.locate(LibraryLocator.Inputs.fromEnvironment(LibraryLocator.CUDART)),
                "it needs a newer CUDA runtime (12 or later)");
    }

    private static final class Blas {
        static final NativeLibrary LIBRARY = NativeLibrary.open("cuBLAS",
                () -> LibraryLocator.locate(LibraryLocator.Inputs.fromEnvironment(LibraryLocator.CUBLAS)),
                "it needs a newer cuBLAS (12 or later)");
    }

    /** {@code libcudart}, bound by {@link CudaRuntime}. */
    static NativeLibrary runtime() {
        return Runtime.LIBRARY;
    }

    /** {@code libcublas}, bound by {@link Cublas}. */
    static NativeLibrary cublas() {
        return Blas.LIBRARY;
    }
}
