package dev.zerograd.bindings;

/** Where a native library was found, in the order the locators try them. */
public enum LibrarySource {
    /**
     * The file named by an environment variable or system property: {@code ZEROGRAD_OPENBLAS}
     * ({@code -Dzerograd.openblas}), {@code ZEROGRAD_CUDART}, {@code ZEROGRAD_CUBLAS}, {@code ZEROGRAD_ONEDNN}.
     */
    ENV,
    /** The system library, found by the dynamic loader or at a distribution's or toolkit's usual path. */
    SYSTEM,
    /** The copy shipped in a jar on the classpath, extracted to the per-user cache (OpenBLAS only). */
    BUNDLED
}
