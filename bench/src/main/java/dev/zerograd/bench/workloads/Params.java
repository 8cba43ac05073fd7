package dev.zerograd.bench.workloads;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A workload's parameters as ordered string pairs ({@code kind=mlp, batch=256, sizes=1024,2048,...}). The same
 * map builds the zerograd workload and is sent, as a JSON object, to a peer engine, which builds its own version
 * from it: one definition of the shapes for both sides. {@code kind} names the implementation on both sides.
 */
public record Params(Map<String, String> values) {
    public Params {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        if (!values.containsKey("kind")) {
            throw new IllegalArgumentException("Params: " + values + " has no 'kind' naming the workload's implementation");
        }
    }

    /** Pairs {@code key, value, key, value, ...}. */
    public static Params of(String... pairs) {
        if (pairs.length % 2 != 0) {
            throw new IllegalArgumentException("Params.of: expected key/value pairs, got " + pairs.length + " strings " + Arrays.toString(pairs));
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return new Params(m);
    }

    /** A copy with {@code key} set to {@code value} (tests shrink shapes this way). */
    public Params with(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(values);
        m.put(key, value);
        return new Params(m);
    }

    public String kind() {
        return values.get("kind");
    }

    public String string(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("workload " + kind() + ": parameter '" + key + "' missing from " + values);
        }
        return v;
    }

    public int integer(String key) {
        String v = string(key);
        try {
            int n = Integer.parseInt(v);
            if (n < 1) {
                throw new IllegalArgumentException("workload " + kind() + ": parameter " + key + "=" + v + " must be positive");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("workload " + kind() + ": parameter " + key + "=" + v + " is not an integer", e);
        }
    }

    /** A comma-separated list of positive integers, at least two. */
    public int[] integers(String key) {
        String v = string(key);
        try {
            int[] a = Arrays.stream(v.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            if (a.length < 2 || Arrays.stream(a).anyMatch(n -> n < 1)) {
                throw new IllegalArgumentException("workload " + kind() + ": parameter " + key + "=" + v
                        + " must list at least two positive sizes");
            }
            return a;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("workload " + kind() + ": parameter " + key + "=" + v + " is not a list of integers", e);
        }
    }

    public boolean flag(String key) {
        String v = string(key);
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("workload " + kind() + ": parameter " + key + "=" + v + " must be true or false");
        }
        return v.equals("true");
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
