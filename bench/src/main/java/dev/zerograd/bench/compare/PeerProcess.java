package dev.zerograd.bench.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zerograd.bench.workloads.Params;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A peer engine running as a persistent subprocess (e.g. {@code bench/peers/torch_peer.py}), spoken to with the
 * line protocol documented in that script: one JSON object per line on its stdin, one reply per line on its
 * stdout; its stderr passes through to ours. Not thread-safe; allocates (it is never inside a timed region of
 * zerograd's).
 */
public final class PeerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> command;
    private final Process process;
    private final BufferedWriter toPeer;
    private final BufferedReader fromPeer;

    /** One timed run: each step's duration in nanoseconds and the last step's value. */
    public record Run(long[] timesNs, double value) {}

    private PeerProcess(List<String> command, Process process) {
        this.command = command;
        this.process = process;
        this.toPeer = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.fromPeer = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /**
     * Starts {@code python script} with {@code OMP_NUM_THREADS} and {@code OPENBLAS_NUM_THREADS} set to
     * {@code threads}, so the peer's thread pools start at the size the harness asks for; the rest of the environment
     * ({@code OMP_WAIT_POLICY} among it) is inherited, so both engines run under the same OpenMP settings.
     */
    public static PeerProcess start(Path python, Path script, int threads) {
        if (!Files.isRegularFile(script)) {
            throw new IllegalArgumentException("peer: script " + script.toAbsolutePath() + " not found (run from the project root, "
                    + "or pass --peer-script)");
        }
        List<String> cmd = List.of(python.toString(), "-u", script.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        try {
            return new PeerProcess(cmd, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("peer: could not start " + String.join(" ", cmd)
                    + " (set ZEROGRAD_PYTHON to a python3 that has torch)", e);
        }
    }

    /** The peer's facts: engine, version, threads, BLAS. */
    public JsonNode hello(int threads) {
        return call(message("hello", "threads", threads));
    }

    /** Builds the workload {@code name} from {@code params}; the previous one is dropped. */
    public void setup(String name, Params params, long seed) {
        call(message("setup", "name", name, "params", params.values(), "seed", seed));
    }

    /** Runs steps until both {@code minSteps} and {@code minSeconds} are reached, or {@code maxSteps}. */
    public Run run(int minSteps, double minSeconds, int maxSteps) {
        JsonNode r = call(message("run", "min_steps", minSteps, "min_seconds", minSeconds, "max_steps", maxSteps));
        JsonNode t = r.get("times_ns");
        if (t == null || !t.isArray() || t.isEmpty()) {
            throw new IllegalStateException("peer " + command + ": 'run' answered without times: " + r);
        }
        long[] times = new long[t.size()];
        for (int i = 0; i < times.length; i++) {
            times[i] = t.get(i).asLong();
        }
        return new Run(times, r.path("value").asDouble(Double.NaN));
    }

    /** Frees the peer's current workload. */
    public void closeWorkload() {
        call(message("close"));
    }

    /** Asks the peer to quit, then ends the process (forcibly after 5 s). */
    @Override
    public void close() {
        try {
            if (process.isAlive()) {
                call(message("quit"));
            }
        } catch (RuntimeException ignored) {
            // the process is ended below either way
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static Map<String, Object> message(String cmd, Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cmd", cmd);
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    private JsonNode call(Map<String, Object> msg) {
        String line;
        try {
            toPeer.write(JSON.writeValueAsString(msg));
            toPeer.newLine();
            toPeer.flush();
            line = fromPeer.readLine();
        } catch (IOException e) {
            throw new IllegalStateException("peer " + command + ": the pipe broke during '" + msg.get("cmd") + "' (exit status "
                    + exitStatus() + "; its stderr is above)", e);
        }
        if (line == null) {
            throw new IllegalStateException("peer " + command + ": ended during '" + msg.get("cmd") + "' (exit status " + exitStatus()
                    + "; its stderr is above)");
        }
        JsonNode reply;
        try {
            reply = JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException("peer " + command + ": answered '" + msg.get("cmd") + "' with a line that is not JSON: " + line, e);
        }
        if (!reply.path("ok").asBoolean(false)) {
            throw new IllegalStateException("peer " + command + ": '" + msg.get("cmd") + "' failed: " + reply.path("error").asText(line));
        }
        return reply;
    }

    private String exitStatus() {
        try {
            return process.waitFor(2, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** The command line, for reports. */
    public List<String> command() {
        return new ArrayList<>(command);
    }
}
