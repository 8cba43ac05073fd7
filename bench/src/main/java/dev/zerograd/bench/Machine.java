package dev.zerograd.bench;

import dev.zerograd.bindings.OneDnn;
import dev.zerograd.bindings.OpenBlas;
import dev.zerograd.kernels.GemmBackend;
import dev.zerograd.kernels.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a benchmark ran on, for reports: CPU, JDK, zerograd's OpenBLAS, its sgemm library and thread counts. */
final class Machine {
    private Machine() {}

    static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("jdk", Runtime.version().toString() + " (" + System.getProperty("java.vendor") + ")");
        m.put("openblas", OpenBlas.libraryPath().toString() + " (" + OpenBlas.source() + ")");
        m.put("openblas_config", OpenBlas.configString());
        m.put("openblas_parallelism", OpenBlas.parallelism());
        m.put("openblas_threads", OpenBlas.numThreads());
        m.put("sgemm", GemmBackend.describe());
        m.put("onednn", OneDnn.find().map(l -> l.path() + " (" + l.source() + ")").orElse("not installed"));
        m.put("kernel_threads", Parallel.threads());
        m.put("omp_wait_policy", System.getenv().getOrDefault("OMP_WAIT_POLICY", "unset"));
        m.put("openblas_thread_timeout", System.getenv().getOrDefault("OPENBLAS_THREAD_TIMEOUT", "unset"));
        return m;
    }

    /** The first {@code model name} of /proc/cpuinfo, or the architecture when there is none. */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: fall through
        }
        return System.getProperty("os.arch");
    }

    /** One line for table captions. */
    static String line(Map<String, Object> m) {
        return m.get("cores") + " cores of " + m.get("cpu") + ", JDK " + m.get("jdk") + ", OpenBLAS " + m.get("openblas_config") + " ("
                + m.get("openblas_parallelism") + ", " + m.get("openblas_threads") + " threads), sgemm on " + m.get("sgemm") + ", "
                + m.get("kernel_threads")
                + " kernel threads, OMP_WAIT_POLICY " + m.get("omp_wait_policy")
                + ("pthreads".equals(m.get("openblas_parallelism")) ? ", OPENBLAS_THREAD_TIMEOUT " + m.get("openblas_thread_timeout") : "");
    }
}
