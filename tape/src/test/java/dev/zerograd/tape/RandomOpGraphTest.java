package dev.zerograd.tape;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Property tests over random op graphs: DAGs of 3 to 12 ops drawn from the elementwise, binary (broadcasting),
 * reduction and shape ops over 1 to 3 f64 leaves of random broadcast-compatible shapes, checked with
 * GradCheck (reverse-mode Jacobian and forward-mode J v against central differences). Seeds are fixed, so a
 * failure reproduces; its message prints the graph. (The class name ends in Test so that Surefire's default
 * includes pick it up; jqwik runs on the JUnit platform beside Jupiter.)
 *
 * <p>Note [Random graph shapes]: every node's shape is a "sub-shape" of one base shape S (rank 0 to 3, sizes
 * 1 to 3): right-aligned with S, each size either S's or 1. Any two sub-shapes broadcast together, and the
 * result is again a sub-shape, so every binary op is valid. Reductions keep the invariant by keeping dims,
 * or by dropping only a leading full-rank dim.
 *
 * <p>Ops with a restricted domain get their argument squashed into it (log(1 + x^2), div by 1 + b^2, ...):
 * values stay bounded through a dozen ops and finite differences stay accurate.
 */
class RandomOpGraphTest {

    /** One node of a graph: which op, on which earlier nodes, with which integer parameter. */
    private record Step(int op, int a, int b, int param) {}

    /** A graph: leaf shapes, constant "like" shapes for sum_to, and the steps. */
    private record Graph(long[] base, List<long[]> leaves, List<long[]> likes, List<Step> steps, List<long[]> shapes) {
        @Override
        public String toString() {
            StringBuilder s = new StringBuilder("base " + Arrays.toString(base) + "\n");
            for (int i = 0; i < leaves.size(); i++) {
                s.append("  n").append(i).append(" = leaf ").append(Arrays.toString(leaves.get(i))).append('\n');
            }
            for (int i = 0; i < steps.size(); i++) {
                Step st = steps.get(i);
                s.append("  n").append(leaves.size() + i).append(" = ").append(OPS[st.op()])
                        .append("(n").append(st.a()).append(OPS_ARITY[st.op()] == 2 ? ", n" + st.b() : "")
                        .append(st.param() != 0 ? ", param " + st.param() : "").append(") : ")
                        .append(Arrays.toString(shapes.get(leaves.size() + i))).append('\n');
            }
            return s.toString();
        }
    }

    private static final String[] OPS = {
        // unary, shape-preserving
        "neg", "sin", "cos", "tanh", "sigmoid", "softplus", "silu", "gelu", "gelu_tanh", "erf", "elu", "relu",
        "leaky_relu", "abs", "exp(tanh x)", "log(1 + x^2)", "sqrt(x^2 + 0.5)", "rsqrt(x^2 + 0.5)",
        "reciprocal(1 + x^2)", "pow(x^2 + 0.5, 1.5)", "log1p(x^2)", "expm1(tanh x)", "square(tanh x)",
        "affine(0.7 x + 0.2)", "clamp(x, -0.8, 0.8)", "copy",
        // binary, broadcasting
        "add", "sub", "mul", "div(a, 1 + b^2)", "maximum", "minimum", "pow(1 + a^2, tanh b)", "where(a > b, a, b)",
        // reductions
        "sum(dim, keepdim)", "mean(dim, keepdim)", "sum(dim 0)", "sum(all)",
        // shapes
        "broadcast_to(base)", "sum_to(like)", "reshape(-1) then back",
    };
    private static final int FIRST_BINARY = 26;
    private static final int FIRST_REDUCTION = 34;
    private static final int FIRST_SHAPE = 38;
    private static final int[] OPS_ARITY = new int[OPS.length];

    static {
        for (int i = 0; i < OPS.length; i++) {
            OPS_ARITY[i] = i >= FIRST_BINARY && i < FIRST_REDUCTION ? 2 : 1;
        }
    }

    // ---------------------------------------------------------------- drawing a graph

    private static long[] subShape(long[] base, SplittableRandom r) {
        int rank = r.nextInt(base.length + 1);
        long[] s = new long[rank];
        for (int i = 0; i < rank; i++) {
            long full = base[base.length - rank + i];
            s[i] = r.nextInt(4) == 0 ? 1 : full;
        }
        return s;
    }

    private static long[] broadcast(long[] x, long[] y) {
        int rank = Math.max(x.length, y.length);
        long[] s = new long[rank];
        for (int i = 0; i < rank; i++) {
            int dx = i - (rank - x.length);
            int dy = i - (rank - y.length);
            long sx = dx >= 0 ? x[dx] : 1;
            long sy = dy >= 0 ? y[dy] : 1;
            s[i] = Math.max(sx, sy);
        }
        return s;
    }

    private static Graph draw(long seed, int opCount, int leafCount) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] base = new long[r.nextInt(4)];
        for (int i = 0; i < base.length; i++) {
            base[i] = 1 + r.nextInt(3);
        }
        List<long[]> leaves = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        for (int i = 0; i < leafCount; i++) {
            long[] s = i == 0 ? base.clone() : subShape(base, r);
            leaves.add(s);
            shapes.add(s);
        }
        List<long[]> likes = new ArrayList<>();
        List<Step> steps = new ArrayList<>();
        for (int k = 0; k < opCount; k++) {
            int n = shapes.size();
            int a = r.nextInt(3) > 0 ? n - 1 : r.nextInt(n);
            int b = r.nextInt(n);
            int op = r.nextInt(OPS.length);
            long[] sa = shapes.get(a);
            int param = 0;
            long[] out;
            if (op < FIRST_BINARY) {
                out = sa;
            } else if (op < FIRST_REDUCTION) {
                out = broadcast(sa, shapes.get(b));
            } else if (op == FIRST_REDUCTION || op == FIRST_REDUCTION + 1) {
                if (sa.length == 0) {
                    op = FIRST_REDUCTION + 3; // a rank-0 node can only be summed whole
                    out = new long[0];
                } else {
                    param = r.nextInt(sa.length);
                    out = sa.clone();
                    out[param] = 1;
                }
            } else if (op == FIRST_REDUCTION + 2) {
                if (sa.length == 0 || sa.length != base.length) {
                    op = FIRST_REDUCTION + 3;
                    out = new long[0];
                } else {
                    out = Arrays.copyOfRange(sa, 1, sa.length);
                }
            } else if (op == FIRST_REDUCTION + 3) {
                out = new long[0];
            } else if (op == FIRST_SHAPE) {
                out = base.clone();
            } else if (op == FIRST_SHAPE + 1) {
                // a shape sa broadcasts from: drop some leading dims, set some sizes to 1
                int drop = r.nextInt(sa.length + 1);
                long[] like = Arrays.copyOfRange(sa, drop, sa.length);
                for (int i = 0; i < like.length; i++) {
                    if (r.nextBoolean()) {
                        like[i] = 1;
                    }
                }
                param = likes.size();
                likes.add(like);
                out = like;
            } else {
                out = sa;
            }
            steps.add(new Step(op, a, b, param));
            shapes.add(out);
        }
        return new Graph(base, leaves, likes, steps, shapes);
    }

    // ---------------------------------------------------------------- evaluating it

    private static Tensor apply(Step st, Tensor x, Tensor y, Graph g, Tensor[] likes) {
        return switch (OPS[st.op()]) {
            case "neg" -> Ops.neg(x);
            case "sin" -> Ops.sin(x);
            case "cos" -> Ops.cos(x);
            case "tanh" -> Ops.tanh(x);
            case "sigmoid" -> Ops.sigmoid(x);
            case "softplus" -> Ops.softplus(x);
            case "silu" -> Ops.silu(x);
            case "gelu" -> Ops.gelu(x);
            case "gelu_tanh" -> Ops.geluTanh(x);
            case "erf" -> Ops.erf(x);
            case "elu" -> Ops.elu(x);
            case "relu" -> Ops.relu(x);
            case "leaky_relu" -> Ops.leakyRelu(x, 0.1);
            case "abs" -> Ops.abs(x);
            case "exp(tanh x)" -> Ops.exp(Ops.tanh(x));
            case "log(1 + x^2)" -> Ops.log(Ops.add(Ops.square(x), 1.0));
            case "sqrt(x^2 + 0.5)" -> Ops.sqrt(Ops.add(Ops.square(x), 0.5));
            case "rsqrt(x^2 + 0.5)" -> Ops.rsqrt(Ops.add(Ops.square(x), 0.5));
            case "reciprocal(1 + x^2)" -> Ops.reciprocal(Ops.add(Ops.square(x), 1.0));
            case "pow(x^2 + 0.5, 1.5)" -> Ops.pow(Ops.add(Ops.square(x), 0.5), 1.5);
            case "log1p(x^2)" -> Ops.log1p(Ops.square(x));
            case "expm1(tanh x)" -> Ops.expm1(Ops.tanh(x));
            case "square(tanh x)" -> Ops.square(Ops.tanh(x));
            case "affine(0.7 x + 0.2)" -> Ops.affine(x, 0.7, 0.2);
            case "clamp(x, -0.8, 0.8)" -> Ops.clamp(x, -0.8, 0.8);
            case "copy" -> Ops.copy(x);
            case "add" -> Ops.add(x, y);
            case "sub" -> Ops.sub(x, y);
            case "mul" -> Ops.mul(x, y);
            case "div(a, 1 + b^2)" -> Ops.div(x, Ops.add(Ops.square(y), 1.0));
            case "maximum" -> Ops.maximum(x, y);
            case "minimum" -> Ops.minimum(x, y);
            case "pow(1 + a^2, tanh b)" -> Ops.pow(Ops.add(Ops.square(x), 1.0), Ops.tanh(y));
            case "where(a > b, a, b)" -> Ops.where(Ops.gt(x, y), x, y);
            case "sum(dim, keepdim)" -> Ops.sum(x, st.param(), true);
            case "mean(dim, keepdim)" -> Ops.mean(x, st.param(), true);
            case "sum(dim 0)" -> Ops.sum(x, 0, false);
            case "sum(all)" -> Ops.sum(x);
            case "broadcast_to(base)" -> Ops.expand(x, g.base());
            case "sum_to(like)" -> Ops.sumTo(x, likes[st.param()]);
            case "reshape(-1) then back" -> Ops.reshapeAs(Ops.reshape(x, -1), x);
            default -> throw new IllegalStateException("no rule for " + OPS[st.op()]);
        };
    }

    /** The graph as a function of its leaves (inputs 0..L) and sum_to targets (inputs L..); unused nodes are added to the output. */
    private static GradCheck.Fn function(Graph g) {
        int leafCount = g.leaves().size();
        return in -> {
            Tensor[] likes = Arrays.copyOfRange(in, leafCount, in.length);
            List<Tensor> nodes = new ArrayList<>(Arrays.asList(in).subList(0, leafCount));
            boolean[] used = new boolean[leafCount + g.steps().size()];
            for (Step st : g.steps()) {
                used[st.a()] = true;
                if (OPS_ARITY[st.op()] == 2) {
                    used[st.b()] = true;
                }
                nodes.add(apply(st, nodes.get(st.a()), nodes.get(st.b()), g, likes));
            }
            Tensor out = nodes.get(nodes.size() - 1);
            for (int i = nodes.size() - 2; i >= leafCount; i--) {
                if (!used[i]) {
                    out = Ops.add(out, nodes.get(i));
                }
            }
            return out;
        };
    }

    private static void check(long seed, int opCount, int leafCount, GradCheck.Options options) {
        Graph g = draw(seed, opCount, leafCount);
        try (TensorArena arena = TensorArena.ofConfined("graph-inputs", 1 << 20)) {
            Tensor[] inputs = new Tensor[leafCount + g.likes().size()];
            for (int i = 0; i < leafCount; i++) {
                inputs[i] = GradCheck.uniform(arena, seed * 8 + i, -1.5, 1.5, g.leaves().get(i)).requiresGrad();
            }
            for (int i = 0; i < g.likes().size(); i++) {
                inputs[leafCount + i] = arena.zeros(DType.F64, g.likes().get(i));
            }
            try {
                GradCheck.check("random graph " + seed, options, function(g), inputs);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("random graph (seed " + seed + ", " + opCount + " ops, " + leafCount + " leaves) failed:\n"
                        + g + e.getMessage(), e);
            }
        }
    }

    @Property(tries = 50, seed = "20250611")
    void reverseAndForwardModeMatchFiniteDifferences(@ForAll @LongRange(min = 0, max = 1L << 40) long seed,
                                                     @ForAll @IntRange(min = 3, max = 12) int ops,
                                                     @ForAll @IntRange(min = 1, max = 3) int leaves) {
        check(seed, ops, leaves, GradCheck.Options.defaults());
    }

    @Property(tries = 15, seed = "8675309")
    void secondOrderMatchesFiniteDifferencesOfGradients(@ForAll @LongRange(min = 0, max = 1L << 40) long seed,
                                                        @ForAll @IntRange(min = 3, max = 8) int ops,
                                                        @ForAll @IntRange(min = 1, max = 2) int leaves) {
        check(seed, ops, leaves, GradCheck.Options.defaults().withSecondOrder(true));
    }
}
