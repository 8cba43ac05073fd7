package dev.zerograd.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Note [oneDNN and signals]: oneDNN GEMMs under JFR sampling every millisecond, which signals the thread inside
 * them. Without the signal mask this child aborted with a corrupted C heap within a second or two.
 */
class OneDnnSignalsTest {
    @TempDir
    Path temp;

    @Test
    void oneDnnGemmsSurviveJfrSamplingEveryMillisecond() throws IOException, InterruptedException {
        assumeTrue(GemmBackend.oneDnnUsable(), "oneDNN is not installed");
        Path settings = temp.resolve("every-ms.jfc");
        Files.writeString(settings, """
                <?xml version="1.0" encoding="UTF-8"?>
                <configuration version="2.0">
                  <event name="jdk.NativeMethodSample"><setting name="enabled">true</setting><setting name="period">1 ms</setting></event>
                  <event name="jdk.ExecutionSample"><setting name="enabled">true</setting><setting name="period">1 ms</setting></event>
                </configuration>
                """);
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path out = temp.resolve("out.txt"), err = temp.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "--add-modules",
                "jdk.incubator.vector", "-XX:ErrorFile=" + temp.resolve("hs_err_pid%p.log"),
                "-XX:StartFlightRecording=settings=" + settings + ",filename=" + temp.resolve("r.jfr"),
                "-cp", System.getProperty("java.class.path"), OneDnnSignalsChild.class.getName(), "4"))
                .directory(temp.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child did not finish in 120 s");
        String stdout = Files.readString(out, StandardCharsets.UTF_8), stderr = Files.readString(err, StandardCharsets.UTF_8);
        try (var files = Files.list(temp)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().startsWith("hs_err")), "the JVM crashed: " + stderr);
        }
        assertEquals(0, p.exitValue(), "child exit code; stdout: " + stdout + "\nstderr: " + stderr);
        assertTrue(stdout.lines().anyMatch(l -> l.matches("calls [1-9]\\d* on ONEDNN")), stdout);
    }
}
