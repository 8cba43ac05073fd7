package dev.zerograd.bindings;

/** Where a native library was found, in the order the locator tries them. */
public enum LibrarySource {
    /** The file named by the {@code ZEROGRAD_OPENBLAS} environment variable or {@code -Dzerograd.openblas}. */
    ENV,
    /** The system library, found by the dynamic loader or at a distribution's usual path. */
    SYSTEM,
    /** The copy shipped in a jar on the classpath, extracted to the per-user cache. */
    BUNDLED
}
