/**
 * Locating and opening native libraries, and their bindings in jextract's shape.
 *
 * <p>The bindings are {@link dev.zerograd.bindings.Cblas} (OpenBLAS's {@code cblas.h}),
 * {@link dev.zerograd.bindings.CudaRuntime} (the CUDA runtime, {@code cuda_runtime_api.h}),
 * {@link dev.zerograd.bindings.Cublas} ({@code cublas_api.h}), {@link dev.zerograd.bindings.Dnnl}
 * (oneDNN's {@code dnnl.h}: its sgemm and queries) and {@link dev.zerograd.bindings.OpenMp} (two
 * functions of {@code omp.h}): one {@code static final} downcall
 * handle per C function, a thin static wrapper that calls it with {@code invokeExact}, the C
 * prototype as javadoc, and no logic. Everything else lives one layer up:
 * {@link dev.zerograd.bindings.OpenBlas}, {@link dev.zerograd.bindings.OneDnn} and
 * {@link dev.zerograd.bindings.Cuda} say whether a
 * library is available, where it was found ({@link dev.zerograd.bindings.LibrarySource}), and turn
 * its answers into strings and exceptions. There is no cuDNN binding yet.
 *
 * <p>OpenBLAS is searched in this order: the file named by {@code ZEROGRAD_OPENBLAS} (or
 * {@code -Dzerograd.openblas}); the system's {@code libopenblas.so.0}; the copy shipped inside
 * {@code org.bytedeco:openblas:0.3.28-1.5.11:linux-x86_64}, extracted once to a per-user cache.
 * The CUDA runtime: the file named by {@code ZEROGRAD_CUDART} (or {@code -Dzerograd.cudart});
 * {@code libcudart.so.13}, {@code .12}, {@code .so} through the dynamic loader; the toolkit's
 * directories ({@code $CUDA_HOME}, {@code /usr/local/cuda}, {@code /usr/local/cuda-<version>}).
 * cuBLAS likewise, with {@code ZEROGRAD_CUBLAS} and {@code libcublas}. Nothing is shipped for CUDA.
 * oneDNN, optional (it runs large single-precision GEMMs when present): the file named by
 * {@code ZEROGRAD_ONEDNN} (or {@code -Dzerograd.onednn}); {@code libdnnl.so.3}, {@code .so.2},
 * {@code .so} through the dynamic loader; the same names in the usual system library directories.
 * Nothing is shipped for it either; the launcher installs Debian's {@code libdnnl2} when it can.
 *
 * <p>Each library is opened once per JVM. When one is not found, its binding's functions throw a
 * {@link dev.zerograd.bindings.NativeLibraryException} that lists the places searched and how to
 * provide the library, and the capability queries ({@code OpenBlas.isAvailable()},
 * {@code OneDnn.isAvailable()}, {@code Cuda.isAvailable()}) answer {@code false}; the JVM never crashes.
 */
package dev.zerograd.bindings;
