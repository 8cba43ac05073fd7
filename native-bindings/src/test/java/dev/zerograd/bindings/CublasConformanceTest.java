package dev.zerograd.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every function bound in {@link Cublas} matches the real {@code cublas_api.h} and exists in the
 * loaded {@code libcublas}. cuBLAS is not part of the CUDA runtime: where its header or library is
 * not installed, the test that needs it is skipped and says so.
 */
class CublasConformanceTest {
    private static CHeader parsed;

    /** The headers, parsed once for the class. */
    private static synchronized CHeader header() {
        if (parsed != null) {
            return parsed;
        }
        Optional<Path> dir = CudaHeaders.find("cublas_api.h");
        assumeTrue(dir.isPresent(), () -> CudaHeaders.notInstalled("cublas_api.h"));
        // cublas_api.h takes cudaStream_t from driver_types.h, normally in the same directory.
        Optional<Path> types = CudaHeaders.find("cublas_api.h", "driver_types.h")
                .or(() -> CudaHeaders.find("driver_types.h"));
        assumeTrue(types.isPresent(), () -> CudaHeaders.notInstalled("driver_types.h"));
        parsed = CHeader.parse(CudaHeaders.CUBLAS, CudaHeaders.read(types.get().resolve("driver_types.h")),
                CudaHeaders.read(dir.get().resolve("cublas_api.h")));
        return parsed;
    }

    @Test
    void bindsTheFunctionsZerogradNeeds() {
        assertEquals(new TreeSet<>(List.of("cublasCreate_v2", "cublasDestroy_v2", "cublasSetStream_v2",
                        "cublasSetMathMode", "cublasSgemm_v2", "cublasDgemm_v2")),
                Bindings.descriptors(Cublas.class).keySet());
    }

    @Test
    void everyDescriptorMatchesThePrototypeInCublasApiH() {
        assertEquals(List.of(), Bindings.mismatches(header(), Bindings.descriptors(Cublas.class)));
    }

    /** The _v2 names are the exported symbols; cublas_v2.h defines the unsuffixed names as them, not the reverse. */
    @Test
    void noBoundNameIsAMacroForAnotherSymbol() {
        CHeader header = header();
        List<String> renamed = new ArrayList<>();
        for (String name : Bindings.descriptors(Cublas.class).keySet()) {
            for (String body : header.defines(name)) {
                renamed.add(name + " -> " + body);
            }
        }
        assertEquals(List.of(), renamed);
    }

    @Test
    void constantsMatchTheHeaderEnums() {
        var constants = Bindings.intConstants(Cublas.class, "CUBLAS_");
        assertEquals(17, constants.size(), constants.toString());
        assertEquals(List.of(), Bindings.constantMismatches(header(), constants));
    }

    @Test
    void everyBoundFunctionResolvesInTheLoadedLibrary() {
        Optional<LoadedLibrary> library = Cuda.cublasLibrary();
        assumeTrue(library.isPresent(), () -> "cuBLAS is not installed: "
                + CudaLibraries.cublas().failure().map(Throwable::getMessage).orElse(""));
        List<String> missing = new ArrayList<>();
        for (String name : Bindings.descriptors(Cublas.class).keySet()) {
            if (library.get().lookup().find(name).isEmpty()) {
                missing.add(name);
            }
        }
        assertEquals(List.of(), missing, "not exported by " + library.get().path());
    }
}
