package dev.zerograd.bindings;

/**
 * The process's oneDNN and the OpenMP runtime it runs on, each located and opened once, on first
 * use, in its own holder class. A failure is remembered and rethrown by every downcall handle (see
 * {@link NativeLibrary}).
 */
final class OneDnnLibraries {
    private OneDnnLibraries() {}

    private static final class Dnnl {
        static final NativeLibrary LIBRARY = NativeLibrary.open("oneDNN",
                () -> LibraryLocator.locate(LibraryLocator.Inputs.fromEnvironment(LibraryLocator.ONEDNN,
                        LibraryLocator.SYSTEM_DIRECTORIES)),
                "it needs oneDNN 2.x or 3.x");
    }

    private static final class Gomp {
        static final NativeLibrary LIBRARY = NativeLibrary.open("libgomp",
                () -> LibraryLocator.locate(LibraryLocator.Inputs.fromEnvironment(LibraryLocator.GOMP,
                        LibraryLocator.SYSTEM_DIRECTORIES)),
                "it needs the GNU OpenMP runtime 4.0 or later");
    }

    /** {@code libdnnl}, bound by {@link Dnnl}. */
    static NativeLibrary dnnl() {
        return Dnnl.LIBRARY;
    }

    /** {@code libgomp}, bound by {@link OpenMp}. */
    static NativeLibrary gomp() {
        return Gomp.LIBRARY;
    }
}
