package dev.zerograd.bindings;

import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a test entry point ({@link ChildMain} unless told otherwise) in a fresh JVM with a chosen
 * environment and class path.
 */
final class ChildJvm {
    record Result(int exitCode, String stdout, String stderr) {}

    private ChildJvm() {}

    /** This module's classes, its test classes and, when {@code withBundledJar}, the OpenBLAS jar. */
    static String classPath(boolean withBundledJar) {
        List<String> entries = new ArrayList<>();
        entries.add(codeSource(OpenBlas.class).toString());
        entries.add(codeSource(ChildMain.class).toString());
        if (withBundledJar) {
            URL library = ChildJvm.class.getClassLoader()
                    .getResource(BundledOpenBlas.RESOURCE_DIR + BundledOpenBlas.LIBRARY);
            try {
                entries.add(Path.of(((JarURLConnection) library.openConnection()).getJarFileURL().toURI()).toString());
            } catch (IOException | URISyntaxException e) {
                throw new IllegalStateException("the bundled OpenBLAS is expected in a jar: " + library, e);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static Path codeSource(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A started child; its output goes to files so that it can never block on a full pipe. */
    record Child(Process process, Path stdout, Path stderr) {
        Result await() throws InterruptedException, IOException {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("child JVM did not finish in 60 s");
            }
            return new Result(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        }
    }

    static Child start(Path workDir, String classPath, Map<String, String> env, List<String> jvmOptions,
            String... args) throws IOException {
        return start(ChildMain.class, workDir, classPath, env, jvmOptions, args);
    }

    /**
     * Runs {@code main} with the test's own environment less the variables that name native
     * libraries, plus {@code env}.
     */
    static Child start(Class<?> main, Path workDir, String classPath, Map<String, String> env,
            List<String> jvmOptions, String... args) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-XX:ErrorFile=" + workDir.resolve("hs_err_pid%p.log"), "-cp", classPath));
        command.addAll(jvmOptions);
        command.add(main.getName());
        command.addAll(List.of(args));
        Path out = Files.createTempFile(workDir, "stdout-", ".txt");
        Path err = Files.createTempFile(workDir, "stderr-", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove(OpenBlasLocator.ENV_PATH);
        builder.environment().remove(OpenBlasLocator.ENV_NO_SYSTEM);
        builder.environment().remove(LibraryLocator.CUDART.envPath());
        builder.environment().remove(LibraryLocator.CUBLAS.envPath());
        builder.environment().remove(LibraryLocator.ONEDNN.envPath());
        builder.environment().putAll(env);
        return new Child(builder.start(), out, err);
    }

    /** Whether the JVM wrote a crash report into {@code workDir}. */
    static boolean crashed(Path workDir) throws IOException {
        try (var files = Files.list(workDir)) {
            return files.anyMatch(f -> f.getFileName().toString().startsWith("hs_err"));
        }
    }
}
