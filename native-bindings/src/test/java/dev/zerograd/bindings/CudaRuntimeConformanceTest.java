package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every function bound in {@link CudaRuntime} matches the real {@code cuda_runtime_api.h} and
 * exists in the loaded {@code libcudart}. Skipped, with the reason, only where the toolkit's
 * headers or the library are not installed.
 */
class CudaRuntimeConformanceTest {
    private static CHeader parsed;

    /** The headers, parsed once for the class. */
    private static synchronized CHeader header() {
        if (parsed != null) {
            return parsed;
        }
        Optional<Path> dir = CudaHeaders.find("cuda_runtime_api.h", "driver_types.h");
        assumeTrue(dir.isPresent(), () -> CudaHeaders.notInstalled("cuda_runtime_api.h"));
        parsed = CHeader.parse(CudaHeaders.RUNTIME, CudaHeaders.read(dir.get().resolve("driver_types.h")),
                CudaHeaders.read(dir.get().resolve("cuda_runtime_api.h")));
        return parsed;
    }

    @Test
    void bindsTheFunctionsZerogradNeeds() {
        assertEquals(new TreeSet<>(List.of("cudaGetDeviceCount", "cudaRuntimeGetVersion", "cudaDriverGetVersion",
                        "cudaGetErrorString", "cudaGetErrorName", "cudaGetLastError", "cudaSetDevice", "cudaGetDevice",
                        "cudaDeviceSynchronize", "cudaMalloc", "cudaFree", "cudaMemGetInfo", "cudaMemcpy",
                        "cudaMemcpyAsync", "cudaMemset", "cudaStreamCreate", "cudaStreamDestroy",
                        "cudaStreamSynchronize")),
                Bindings.descriptors(CudaRuntime.class).keySet());
    }

    @Test
    void everyDescriptorMatchesThePrototypeInCudaRuntimeApiH() {
        assertEquals(List.of(), Bindings.mismatches(header(), Bindings.descriptors(CudaRuntime.class)));
    }

    /**
     * A bound name must be the symbol itself: not a macro for a versioned one (as
     * {@code cudaGetDeviceProperties} is for {@code _v2}). The per-thread default stream variants
     * ({@code _ptds}, {@code _ptsz}) are used only when a program opts in with
     * {@code CUDA_API_PER_THREAD_DEFAULT_STREAM}, which zerograd does not.
     */
    @Test
    void noBoundNameIsAMacroForAnotherSymbol() {
        CHeader header = header();
        List<String> renamed = new ArrayList<>();
        for (String name : Bindings.descriptors(CudaRuntime.class).keySet()) {
            for (String body : header.defines(name)) {
                if (!body.matches("__CUDART_API_PT(DS|SZ)\\(\\s*" + name + "\\s*\\)")) {
                    renamed.add(name + " -> " + body);
                }
            }
        }
        assertEquals(List.of(), renamed);
    }

    @Test
    void constantsMatchTheHeaderEnums() {
        var constants = Bindings.intConstants(CudaRuntime.class, "cuda");
        assertEquals(18, constants.size(), constants.toString());
        assertEquals(List.of(), Bindings.constantMismatches(header(), constants));
    }

    @Test
    void parserReadsTheRuntimeHeadersDecorations() {
        CHeader header = header();
        // extern __host__ __cudart_builtin__ cudaError_t CUDARTAPI cudaMemcpyAsync(void *dst, const void *src,
        //     size_t count, enum cudaMemcpyKind kind, cudaStream_t stream __dv(0));
        CHeader.Prototype async = header.prototype("cudaMemcpyAsync");
        assertEquals("cudaError_t", async.returnType());
        assertEquals(List.of("void *", "void *", "size_t", "enum cudaMemcpyKind", "cudaStream_t"),
                async.parameterTypes());
        assertEquals(FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS), header.descriptor(async));
        assertEquals(ValueLayout.ADDRESS, header.layout("cudaStream_t").orElseThrow(), "typedef struct CUstream_st *");
        assertEquals(ValueLayout.JAVA_INT, header.layout("cudaError_t").orElseThrow(), "typedef enum cudaError");
        CHeader.Prototype name = header.prototype("cudaGetErrorName");
        assertEquals("char *", name.returnType());
        assertEquals(List.of("cudaError_t"), name.parameterTypes());
        assertEquals(List.of(), header.prototype("cudaDeviceSynchronize").parameterTypes());
        // Hex enumerators: cudaStreamSetCaptureDependencies = 0x1.
        assertEquals(1, header.enumConstant("cudaStreamSetCaptureDependencies"));
        assertEquals(100, header.enumConstant("cudaErrorNoDevice"));
    }

    @Test
    void aWrongDescriptorIsFlagged() {
        CHeader header = header();
        FunctionDescriptor malloc = header.descriptor(header.prototype("cudaMalloc"));
        List<MemoryLayout> arguments = new ArrayList<>(malloc.argumentLayouts());
        arguments.set(1, ValueLayout.JAVA_INT); // size_t is 64 bits
        List<String> wrongSize = CHeader.mismatches("cudaMalloc", malloc,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, arguments.toArray(MemoryLayout[]::new)));
        assertEquals(1, wrongSize.size(), wrongSize.toString());
        assertTrue(wrongSize.get(0).startsWith("cudaMalloc: argument 1 is "), wrongSize.get(0));
        FunctionDescriptor async = header.descriptor(header.prototype("cudaMemcpyAsync"));
        assertFalse(CHeader.mismatches("cudaMemcpyAsync", async, CudaRuntime.cudaMemcpy$descriptor()).isEmpty(),
                "the stream argument is missing");
        assertFalse(CHeader.mismatches("cudaGetErrorName", header.descriptor(header.prototype("cudaGetErrorName")),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT)).isEmpty());
    }

    @Test
    void everyBoundFunctionResolvesInTheLoadedLibrary() {
        Optional<LoadedLibrary> library = Cuda.runtimeLibrary();
        assumeTrue(library.isPresent(), () -> "the CUDA runtime is not installed: " + Cuda.describe());
        List<String> missing = new ArrayList<>();
        for (String name : Bindings.descriptors(CudaRuntime.class).keySet()) {
            if (library.get().lookup().find(name).isEmpty()) {
                missing.add(name);
            }
        }
        assertEquals(List.of(), missing, "not exported by " + library.get().path());
    }
}
