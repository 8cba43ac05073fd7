package dev.zerograd.bench.compare;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Where the tests find the peer script and python interpreters. */
final class Peers {
    private Peers() {}

    /** The real peer script (tests run in the bench module's folder). */
    static final Path SCRIPT = Path.of("peers", "torch_peer.py");

    /** Debian's python3, the comparison's default. */
    static final Path SYSTEM_PYTHON = Path.of("/usr/bin/python3");

    /** Any python3: the first on PATH, else Debian's; null when there is none. */
    static Path anyPython() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "python3");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return Files.isExecutable(SYSTEM_PYTHON) ? SYSTEM_PYTHON : null;
    }

    /** Whether {@code python -c "import torch"} succeeds. */
    static boolean hasTorch(Path python) {
        if (python == null || !Files.isExecutable(python)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(List.of(python.toString(), "-c", "import torch")).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
