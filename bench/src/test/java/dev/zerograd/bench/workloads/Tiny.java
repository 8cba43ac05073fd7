package dev.zerograd.bench.workloads;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** The suite's workloads shrunk for tests: same kinds and structure (layer count), tiny shapes. */
public final class Tiny {
    private Tiny() {}

    public static Params of(Params p) {
        Map<String, String> m = new LinkedHashMap<>(p.values());
        m.computeIfPresent("batch", (k, v) -> "4");
        m.computeIfPresent("n", (k, v) -> "8");
        m.computeIfPresent("ops", (k, v) -> "8");
        m.computeIfPresent("size", (k, v) -> "4");
        m.computeIfPresent("sizes", (k, v) -> {
            String[] s = v.split(",");
            String[] t = new String[s.length];
            Arrays.fill(t, "6");
            t[0] = "12";
            return String.join(",", t);
        });
        return new Params(m);
    }

    public static Workload open(WorkloadSpec s) {
        return s.factory().open(of(s.params()), Workloads.SEED);
    }
}
