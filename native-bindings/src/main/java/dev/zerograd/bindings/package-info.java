/**
 * Locating and opening native libraries, and their bindings in jextract's shape.
 *
 * <p>{@link dev.zerograd.bindings.Cblas} is the binding to OpenBLAS's {@code cblas.h}: one
 * {@code static final} downcall handle per C function, a thin static wrapper that calls it with
 * {@code invokeExact}, the C prototype as javadoc, and no logic. Everything else lives one layer
 * up: {@link dev.zerograd.bindings.OpenBlas} says whether the library is available, where it was
 * found ({@link dev.zerograd.bindings.LibrarySource}) and reads its configuration strings.
 *
 * <p>OpenBLAS is searched in this order: the file named by {@code ZEROGRAD_OPENBLAS} (or
 * {@code -Dzerograd.openblas}); the system's {@code libopenblas.so.0}; the copy shipped inside
 * {@code org.bytedeco:openblas:0.3.28-1.5.11:linux-x86_64}, extracted once to a per-user cache.
 * When none is found, every entry point throws a {@link dev.zerograd.bindings.NativeLibraryException}
 * that lists the places searched and how to provide the library; the JVM never crashes.
 */
package dev.zerograd.bindings;
