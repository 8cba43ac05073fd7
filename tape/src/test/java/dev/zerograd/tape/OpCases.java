package dev.zerograd.tape;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Philox;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradcheck table shared by the tape's correctness tests: for every op registered in {@link OpRegistry},
 * one or more cases, each a function built with {@link Ops} and a factory for its f64 inputs.
 *
 * <p>Cases cover, where the op allows: equal shapes, NumPy broadcasting ({@code [3,1]} with {@code [1,4]},
 * {@code [2,3]} with {@code [3]}, a rank-0 tensor with {@code [2,3]}), rank-0 inputs, and non-contiguous
 * inputs (a transposed or strided-slice view of a larger tensor, marked {@code requiresGrad} on the view
 * itself: GradCheck perturbs inputs element by element in logical order, so views work as they are).
 *
 * <p>Note [Domains]: inputs are drawn where the op is smooth: positive for log, sqrt, rsqrt, reciprocal and
 * real powers; at least 0.1 away from kinks (abs, relu, leaky_relu, elu, clamp bounds) and ties (maximum,
 * minimum), which is far beyond the finite-difference step of 1e-6. Central differences then agree with the
 * analytic derivative to about 1e-9, well inside GradCheck's tolerances.
 *
 * <p>Every case runs with second order on: the VJP of each rule is itself differentiated in create-graph
 * mode, so a rule that records wrongly (or not at all) fails here. The only exceptions are points where the
 * second derivative does not exist (a tie between two maxima, whose gradient jumps there); they pass their
 * own options, and OpCoverageTest lists them by name so that none is added silently.
 */
final class OpCases {
    private OpCases() {}

    /** Makes one input of a case in {@code arena}; {@code seed} makes it reproducible. */
    @FunctionalInterface
    interface Leaf {
        Tensor make(TensorArena arena, long seed);

        /** This leaf's values seen through a transposed view of its last two dims (a non-contiguous input). */
        default Leaf transposed() {
            return (arena, seed) -> {
                Tensor t = make(arena, seed);
                return t.transpose(t.rank() - 2, t.rank() - 1).requiresGrad();
            };
        }
    }

    /** One gradcheck of one op. */
    record Case(String op, String label, GradCheck.Fn fn, Leaf[] leaves, long seed, GradCheck.Options options) {
        /** "op: label", the name tests report. */
        String name() {
            return op + ": " + label;
        }

        /** Fresh inputs in {@code arena}. */
        Tensor[] inputs(TensorArena arena) {
            Tensor[] in = new Tensor[leaves.length];
            for (int i = 0; i < leaves.length; i++) {
                in[i] = leaves[i].make(arena, seed * 16 + i);
            }
            return in;
        }

        /** Runs the gradcheck with this case's options. */
        void check(TensorArena arena) {
            GradCheck.check(name(), options, fn, inputs(arena));
        }

        @Override
        public String toString() {
            return name();
        }
    }

    /** First order (reverse and forward mode) and second order, default tolerances. */
    static final GradCheck.Options STRICT = GradCheck.Options.defaults().withSecondOrder(true);

    private static final Map<String, List<Case>> TABLE = new LinkedHashMap<>();
    private static final List<Case> COMPOSITES = new ArrayList<>();
    private static long nextSeed = 1;

    static {
        OpCasesCore.register();
        OpCasesReduceViewJoin.register();
        OpCasesIndexSoftmaxLoss.register();
        OpCasesSpatial.register();
        Composites.register();
    }

    /**
     * Functions built from many ops (layers, losses, softmax and normalisation written by hand), checked like
     * the single ops; not tied to a registered op.
     */
    static List<Case> composites() {
        return Collections.unmodifiableList(COMPOSITES);
    }

    /** Every case, in table order. */
    static List<Case> all() {
        List<Case> out = new ArrayList<>();
        for (List<Case> l : TABLE.values()) {
            out.addAll(l);
        }
        return out;
    }

    /** The cases of op {@code op} (empty when it has none). */
    static List<Case> of(String op) {
        return TABLE.getOrDefault(op, List.of());
    }

    /** The ops with at least one case. */
    static Collection<String> covered() {
        return Collections.unmodifiableSet(TABLE.keySet());
    }

    /** The names in {@code ops} that have no case, in the given order. */
    static List<String> missing(Collection<String> ops) {
        List<String> out = new ArrayList<>();
        for (String op : ops) {
            if (of(op).isEmpty()) {
                out.add(op);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- building the table

    /** Adds a case checked with {@link #STRICT}. */
    static void add(String op, String label, GradCheck.Fn fn, Leaf... leaves) {
        add(op, label, STRICT, fn, leaves);
    }

    /** Adds a case with its own options (only where the op needs them; say why at the call). */
    static void add(String op, String label, GradCheck.Options options, GradCheck.Fn fn, Leaf... leaves) {
        List<Case> l = TABLE.computeIfAbsent(op, k -> new ArrayList<>());
        for (Case c : l) {
            if (c.label().equals(label)) {
                throw new IllegalStateException("OpCases: case '" + op + ": " + label + "' defined twice");
            }
        }
        l.add(new Case(op, label, fn, leaves, nextSeed++, options));
    }

    /** Adds a composite function (see {@link #composites()}). */
    static void composite(String label, GradCheck.Fn fn, Leaf... leaves) {
        for (Case c : COMPOSITES) {
            if (c.label().equals(label)) {
                throw new IllegalStateException("OpCases: composite '" + label + "' defined twice");
            }
        }
        COMPOSITES.add(new Case("composite", label, fn, leaves, nextSeed++, STRICT));
    }

    /**
     * The standard shape variants of a binary elementwise op, both inputs drawn from {@code a} and {@code b}:
     * equal shapes, [3,1] with [1,4], [2,3] with [3], rank 0 with [2,3] and back, rank 0 with rank 0, and a
     * transposed view with a strided slice.
     */
    static void binary(String op, GradCheck.Fn fn, Range a, Range b) {
        add(op, "[2,3] with [2,3]", fn, a.of(2, 3), b.of(2, 3));
        add(op, "[3,1] with [1,4]", fn, a.of(3, 1), b.of(1, 4));
        add(op, "[2,3] with [3]", fn, a.of(2, 3), b.of(3));
        add(op, "[] with [2,3]", fn, a.of(), b.of(2, 3));
        add(op, "[2,3] with []", fn, a.of(2, 3), b.of());
        add(op, "[] with []", fn, a.of(), b.of());
        add(op, "transposed [3,2] with sliced [3,2]", fn, a.transposed(3, 2), b.sliced(3, 2));
    }

    /** The standard shape variants of an elementwise function: [2,3], rank 0, a transposed and a sliced view. */
    static void unary(String op, GradCheck.Fn fn, Range x) {
        add(op, "[2,3]", fn, x.of(2, 3));
        add(op, "[]", fn, x.of());
        add(op, "transposed [3,2]", fn, x.transposed(3, 2));
        add(op, "sliced [2,2]", fn, x.sliced(2, 2));
    }

    // ---------------------------------------------------------------- inputs

    /**
     * A distribution for input values: uniform in [lo, hi), with every value closer than {@code margin} to a
     * point of {@code avoid} pushed out by {@code margin}, so none is nearer than that (Note [Domains]).
     */
    record Range(double lo, double hi, double[] avoid, double margin) {
        static Range between(double lo, double hi) {
            return new Range(lo, hi, new double[0], 0);
        }

        /** The same range with values kept {@code margin} away from each point. */
        Range avoiding(double margin, double... points) {
            return new Range(lo, hi, points, margin);
        }

        double value(long seed, long i) {
            double v = lo + (hi - lo) * Philox.uniformDouble(seed, i, 3);
            for (double p : avoid) {
                double d = v - p;
                if (Math.abs(d) < margin) {
                    v = p + (d < 0 ? -1 : 1) * (margin + Math.abs(d));
                }
            }
            return v;
        }

        Tensor fill(Tensor t, long seed) {
            for (long i = 0; i < t.numel(); i++) {
                t.setDoubleFlat(i, value(seed, i));
            }
            return t;
        }

        /** A contiguous leaf that requires a gradient. */
        Leaf of(long... shape) {
            return (arena, seed) -> fill(arena.empty(DType.F64, shape), seed).requiresGrad();
        }

        /** A [rows, cols] leaf that is the transposed view of a [cols, rows] tensor (column-major strides). */
        Leaf transposed(long rows, long cols) {
            return (arena, seed) -> fill(arena.empty(DType.F64, cols, rows).transpose(0, 1), seed).requiresGrad();
        }

        /** A [rows, cols] leaf that is every other column of a [rows, 2 cols + 1] tensor (row stride 2 cols + 1, column stride 2). */
        Leaf sliced(long rows, long cols) {
            return (arena, seed) -> {
                Tensor base = arena.empty(DType.F64, rows, 2 * cols + 1);
                base.fill(Double.NaN); // elements outside the view must never be read
                return fill(base.slice(1, 0, 2 * cols, 2), seed).requiresGrad();
            };
        }

        /** Like {@link #of} but not requiring a gradient: a constant input. */
        Leaf constant(long... shape) {
            return (arena, seed) -> fill(arena.empty(DType.F64, shape), seed);
        }
    }

    /** An integer index tensor (I64) with these values; never differentiated. */
    static Leaf indices(long[] v, long... shape) {
        return (arena, seed) -> arena.fromArray(v.clone(), shape);
    }

    /**
     * Distinct values in random order, at least 0.25 apart: no two elements tie, so reductions that pick
     * one element (max, min along a dim) are differentiable at every element.
     */
    static Leaf distinct(long... shape) {
        return (arena, seed) -> {
            Tensor t = arena.empty(DType.F64, shape);
            int n = (int) t.numel();
            int[] order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            for (int i = n - 1; i > 0; i--) { // Fisher-Yates with Philox draws
                int j = (int) Math.floor((i + 1) * Philox.uniformDouble(seed, i, 7));
                int tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            for (int i = 0; i < n; i++) {
                t.setDoubleFlat(i, 0.3 * order[i] - 0.15 * n + 0.05 * Philox.uniformDouble(seed, i, 9));
            }
            return t.requiresGrad();
        };
    }

    /**
     * The gradient of the one-element result of {@code f} with respect to input {@code wrt}, as a function of
     * all inputs: this is how rules that exist only inside a backward pass (the fused backward ops) are
     * checked as functions of their own. Under a recording tape the gradient is taken on it with
     * create-graph, so it is differentiable like any op's result; otherwise (GradCheck's plain evaluations
     * and its forward-mode pass) on a tape of its own, where under forward mode the backward ops carry
     * tangents (forward-over-reverse).
     */
    static GradCheck.Fn gradientOf(GradCheck.Fn f, int wrt) {
        return in -> {
            Context c = Context.get();
            if (c.tape != null && Tape.isRecording()) {
                return c.tape.gradient(f.apply(in), in[wrt], true);
            }
            try (Tape.Guard on = Tape.enableGrad();
                 GradientTape tape = GradientTape.record(c.arena != null ? c.arena : in[wrt].arena())) {
                return tape.gradient(f.apply(in), in[wrt], false);
            }
        };
    }

    /** A leaf with exactly these values (row-major), requiring a gradient. */
    static Leaf values(double[] v, long... shape) {
        return (arena, seed) -> arena.fromArray(v.clone(), shape).requiresGrad();
    }

    /** A constant leaf with exactly these values (masks, conditions). */
    static Leaf constant(double[] v, long... shape) {
        return (arena, seed) -> arena.fromArray(v.clone(), shape);
    }

    /**
     * Values on two interleaved lattices, {@code 0.5 k + offset} plus a jitter below 0.05, for k in -3..3:
     * a tensor drawn with offset 0 and one with offset 0.25 differ by at least 0.2 everywhere, under any
     * broadcast (ties for maximum and minimum, Note [Domains]).
     */
    static Leaf lattice(double offset, long... shape) {
        return (arena, seed) -> {
            Tensor t = arena.empty(DType.F64, shape);
            for (long i = 0; i < t.numel(); i++) {
                double k = Math.floor(7 * Philox.uniformDouble(seed, i, 3)) - 3;
                t.setDoubleFlat(i, 0.5 * k + offset + 0.05 * Philox.uniformDouble(seed, i, 5));
            }
            return t.requiresGrad();
        };
    }
}
