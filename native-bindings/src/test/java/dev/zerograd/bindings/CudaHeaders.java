package dev.zerograd.bindings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the CUDA toolkit's headers, which the conformance tests read: they are not shipped with
 * zerograd, so a test that needs one is skipped, saying so, where it is not installed.
 */
final class CudaHeaders {
    /**
     * {@code cuda_runtime_api.h} and {@code driver_types.h} as a C compiler on LP64 Linux sees them:
     * these macros expand to nothing or to attributes ({@code crt/host_defines.h}), and {@code __dv(v)}
     * is a default argument in C++ and nothing in C.
     */
    static final CHeader.Dialect RUNTIME = new CHeader.Dialect(
            Set.of("__host__", "__cudart_builtin__", "__device_builtin__", "CUDARTAPI"), Set.of("__dv"), Map.of());

    /** {@code cublas_api.h} after {@code driver_types.h}; {@code CUBLASAPI}, {@code CUBLASWINAPI}: empty on Linux. */
    static final CHeader.Dialect CUBLAS = new CHeader.Dialect(
            Set.of("__host__", "__cudart_builtin__", "__device_builtin__", "CUDARTAPI", "CUBLASAPI", "CUBLASWINAPI"),
            Set.of("__dv"), Map.of());

    private CudaHeaders() {}

    /**
     * Where headers are looked for, in order: {@code $CUDA_HOME/include}, {@code /usr/local/cuda/include},
     * {@code /usr/local/cuda-<version>/include} (newest first, as the locator orders them) and
     * {@code /usr/include} (where Debian's packages put them).
     */
    static List<Path> includeDirectories() {
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path lib : LibraryLocator.toolkitDirectories(System.getenv("CUDA_HOME"), Path.of("/usr/local"))) {
            dirs.add(lib.getParent().resolve("include"));
        }
        dirs.add(Path.of("/usr/include"));
        return new ArrayList<>(dirs);
    }

    /** The first installed copy of {@code name} together with the other headers listed, all from one directory. */
    static Optional<Path> find(String name, String... companions) {
        for (Path dir : includeDirectories()) {
            if (Files.isRegularFile(dir.resolve(name))
                    && Arrays.stream(companions).allMatch(c -> Files.isRegularFile(dir.resolve(c)))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }

    /** Why a test skipped: which header is missing, where it was looked for, and what installs it. */
    static String notInstalled(String name) {
        String from = name.startsWith("cublas") ? "cuBLAS's development files (libcublas-dev-13-0)"
                : "the CUDA toolkit's runtime development files (cuda-cudart-dev-13-0)";
        return name + " is not installed (looked in " + includeDirectories() + "); it comes with " + from
                + ", so the binding is not checked against it here";
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
