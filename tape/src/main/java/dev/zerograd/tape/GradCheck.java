package dev.zerograd.tape;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Philox;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;

/**
 * Checks an op's derivatives against central finite differences, in f64:
 * <ul>
 *   <li>reverse mode: the full Jacobian from one VJP per output element against {@code (f(x + eps e_k) -
 *       f(x - eps e_k)) / 2 eps} for every input element k;</li>
 *   <li>forward mode: the JVP along a random direction against the same differences;</li>
 *   <li>second order (optional): the VJP of {@code <J^T u, w>} taken with create-graph against differences
 *       of the first-order gradient, for random u and w.</li>
 * </ul>
 * Test code, not a hot path: it allocates freely. Inputs that require a gradient must be f64; others (labels,
 * indices, masks) are passed through unchanged.
 *
 * <pre>{@code
 * GradCheck.check("mul", in -> Ops.mul(in[0], in[1]), x, y);
 * }</pre>
 */
public final class GradCheck {
    private GradCheck() {}

    /** The function under test: computes a result from the given inputs with ops. */
    @FunctionalInterface
    public interface Fn {
        Tensor apply(Tensor[] inputs);
    }

    /** Tolerances and which checks to run. */
    public record Options(double eps, double atol, double rtol, boolean forward, boolean secondOrder, long seed) {
        /** eps 1e-6, atol 1e-5, rtol 1e-4; reverse and forward mode; no second order. */
        public static Options defaults() {
            return new Options(1e-6, 1e-5, 1e-4, true, false, 7);
        }

        public Options withSecondOrder(boolean on) {
            return new Options(eps, atol, rtol, forward, on, seed);
        }

        public Options withForward(boolean on) {
            return new Options(eps, atol, rtol, on, secondOrder, seed);
        }

        public Options withTolerance(double atol, double rtol) {
            return new Options(eps, atol, rtol, forward, secondOrder, seed);
        }

        public Options withEps(double eps) {
            return new Options(eps, atol, rtol, forward, secondOrder, seed);
        }
    }

    /** Thrown when a derivative disagrees with finite differences; the message locates the first mismatch. */
    public static final class GradCheckError extends AssertionError {
        private static final long serialVersionUID = 1L;

        GradCheckError(String message) {
            super(message);
        }
    }

    /** Runs the default checks. */
    public static void check(String name, Fn f, Tensor... inputs) {
        check(name, Options.defaults(), f, inputs);
    }

    /** Runs the checks chosen in {@code opt}; throws {@link GradCheckError} on the first disagreement. */
    public static void check(String name, Options opt, Fn f, Tensor... inputs) {
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            x.checkValid();
            if (x.needsGrad() && x.dtype() != DType.F64) {
                throw new IllegalArgumentException("GradCheck " + name + ": input " + i + " " + x.describe()
                        + " requires a gradient but is not f64; finite differences need double precision");
            }
        }
        TensorArena arena = SCRATCH.get();
        SCRATCH.remove(); // a check started inside f gets an arena of its own
        if (arena == null) {
            arena = TensorArena.ofConfined("gradcheck", SCRATCH_BYTES);
        }
        try {
            double[][] numeric = numericJacobians(name, f, inputs, arena, opt.eps);
            checkReverse(name, opt, f, inputs, arena, numeric);
            if (opt.forward) {
                checkForward(name, opt, f, inputs, arena, numeric);
            }
            if (opt.secondOrder) {
                checkSecondOrder(name, opt, f, inputs, arena);
            }
        } finally {
            arena.reset();
            if (SCRATCH.get() == null) {
                SCRATCH.set(arena);
            } else {
                arena.close();
            }
        }
    }

    /** Room for the temporaries of one check: ample for the small inputs finite differences are meant for. */
    private static final long SCRATCH_BYTES = 128L << 20;

    /**
     * Each thread's scratch arena, kept between checks and reset after each: a fresh slab per check is zeroed
     * and faulted in every time, which cost more than the checks of small ops themselves.
     */
    private static final ThreadLocal<TensorArena> SCRATCH = new ThreadLocal<>();

    /** Evaluates f without recording and returns its result as doubles. */
    private static double[] eval(Fn f, Tensor[] inputs, TensorArena arena) {
        long mark = arena.mark();
        try (Tape.Guard g = Tape.noGrad(); Tape.Guard a = Tape.allocateIn(arena)) {
            return f.apply(inputs).toDoubleArray();
        } finally {
            arena.reset(mark);
        }
    }

    /** numeric[i][o * n_i + k] = d out[o] / d inputs[i][k] by central differences. */
    private static double[][] numericJacobians(String name, Fn f, Tensor[] inputs, TensorArena arena, double eps) {
        int outN = eval(f, inputs, arena).length;
        double[][] jac = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            Tensor x = inputs[i];
            if (!x.needsGrad()) {
                continue;
            }
            int n = (int) x.numel();
            jac[i] = new double[outN * n];
            for (int k = 0; k < n; k++) {
                double v = x.getDoubleFlat(k);
                x.setDoubleFlat(k, v + eps);
                double[] plus = eval(f, inputs, arena);
                x.setDoubleFlat(k, v - eps);
                double[] minus = eval(f, inputs, arena);
                x.setDoubleFlat(k, v);
                for (int o = 0; o < outN; o++) {
                    jac[i][o * n + k] = (plus[o] - minus[o]) / (2 * eps);
                }
            }
        }
        return jac;
    }

    private static void checkReverse(String name, Options opt, Fn f, Tensor[] inputs, TensorArena arena, double[][] numeric) {
        int[] src = differentiable(inputs);
        Tensor[] sources = new Tensor[src.length];
        for (int j = 0; j < src.length; j++) {
            sources[j] = inputs[src[j]];
        }
        Tensor[] grads = new Tensor[src.length];
        long mark = arena.mark();
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor out = f.apply(inputs);
            if (!out.needsGrad()) {
                throw new GradCheckError("GradCheck " + name + ": the result " + out.describe() + " does not require a gradient");
            }
            int outN = (int) out.numel();
            Tensor seed = arena.zerosLike(out);
            for (int o = 0; o < outN; o++) {
                seed.fill(0);
                seed.setDoubleFlat(o, 1);
                tape.gradient(out, seed, sources, grads, false);
                for (int j = 0; j < src.length; j++) {
                    int i = src[j];
                    Tensor g = grads[j];
                    if (!g.sameShape(inputs[i]) || g.dtype() != inputs[i].dtype()) {
                        throw new GradCheckError("GradCheck " + name + ": gradient for input " + i + " is " + g.describe()
                                + ", expected " + inputs[i].describe());
                    }
                    int n = (int) inputs[i].numel();
                    for (int k = 0; k < n; k++) {
                        compare(name, "reverse mode d out[" + o + "] / d input" + i + "[" + k + "]", opt,
                                g.getDoubleFlat(k), numeric[i][o * n + k]);
                    }
                }
            }
        } finally {
            arena.reset(mark);
        }
    }

    private static void checkForward(String name, Options opt, Fn f, Tensor[] inputs, TensorArena arena, double[][] numeric) {
        long mark = arena.mark();
        Tensor[] tangents = new Tensor[inputs.length];
        try (Tape.Guard fw = ForwardAD.scope(); Tape.Guard a = Tape.allocateIn(arena); Tape.Guard ng = Tape.noGrad()) {
            for (int i = 0; i < inputs.length; i++) {
                if (inputs[i].needsGrad()) {
                    tangents[i] = arena.randn(DType.F64, inputs[i].shape(), opt.seed + 31L * i);
                    inputs[i].setTangent(tangents[i]);
                }
            }
            Tensor out = f.apply(inputs);
            Tensor t = out.tangent();
            int outN = (int) out.numel();
            for (int o = 0; o < outN; o++) {
                double expected = 0;
                for (int i = 0; i < inputs.length; i++) {
                    if (tangents[i] == null) {
                        continue;
                    }
                    int n = (int) inputs[i].numel();
                    for (int k = 0; k < n; k++) {
                        expected += numeric[i][o * n + k] * tangents[i].getDoubleFlat(k);
                    }
                }
                double actual = t == null ? 0 : t.getDoubleFlat(o);
                compare(name, "forward mode (J v)[" + o + "]", opt, actual, expected);
            }
        } finally {
            for (Tensor x : inputs) {
                x.setTangent(null);
            }
            arena.reset(mark);
        }
    }

    /** <J(x)^T u, w> as a function of x, evaluated with a first-order gradient. */
    private static double firstOrderProjection(Fn f, Tensor[] inputs, Tensor[] sources, Tensor[] u, Tensor[] w, TensorArena arena) {
        long mark = arena.mark();
        Tensor[] grads = new Tensor[sources.length];
        // persistent, like every tape here: f may itself take a gradient on the recording tape (a function
        // defined as the gradient of another), and the projection's gradient comes after it
        try (GradientTape tape = GradientTape.persistent(arena)) {
            Tensor out = f.apply(inputs);
            tape.gradient(out, u[0], sources, grads, false);
            double s = 0;
            for (int j = 0; j < sources.length; j++) {
                for (long k = 0; k < grads[j].numel(); k++) {
                    s += grads[j].getDoubleFlat(k) * w[j].getDoubleFlat(k);
                }
            }
            return s;
        } finally {
            arena.reset(mark);
        }
    }

    private static void checkSecondOrder(String name, Options opt, Fn f, Tensor[] inputs, TensorArena arena) {
        int[] src = differentiable(inputs);
        Tensor[] sources = new Tensor[src.length];
        Tensor[] w = new Tensor[src.length];
        Tensor[] u = new Tensor[1];
        long base = arena.mark();
        try {
            double[] out0 = eval(f, inputs, arena);
            long[] outShape;
            try (Tape.Guard ng = Tape.noGrad(); Tape.Guard a = Tape.allocateIn(arena)) {
                outShape = f.apply(inputs).shape();
            }
            arena.reset(base);
            u[0] = arena.randn(DType.F64, outShape, opt.seed + 101);
            if (out0.length != u[0].numel()) {
                throw new IllegalStateException("GradCheck " + name + ": result size changed between evaluations");
            }
            for (int j = 0; j < src.length; j++) {
                sources[j] = inputs[src[j]];
                w[j] = arena.randn(DType.F64, sources[j].shape(), opt.seed + 211L * (j + 1));
            }
            long mark = arena.mark();
            Tensor[] grads = new Tensor[src.length];
            Tensor[] second = new Tensor[src.length];
            double[][] analytic = new double[src.length][];
            try (GradientTape tape = GradientTape.persistent(arena)) {
                Tensor out = f.apply(inputs);
                tape.gradient(out, u[0], sources, grads, true);
                Tensor s = null;
                for (int j = 0; j < src.length; j++) {
                    if (!grads[j].needsGrad()) {
                        continue; // this gradient does not depend on the inputs: its second derivative is zero
                    }
                    Tensor term = Ops.sum(Ops.mul(grads[j], w[j]));
                    s = s == null ? term : Ops.add(s, term);
                }
                for (int j = 0; j < src.length; j++) {
                    analytic[j] = new double[(int) sources[j].numel()];
                }
                if (s != null) {
                    tape.gradient(s, null, sources, second, false);
                    for (int j = 0; j < src.length; j++) {
                        analytic[j] = second[j].toDoubleArray();
                    }
                }
            }
            arena.reset(mark);
            for (int j = 0; j < src.length; j++) {
                Tensor x = sources[j];
                for (int k = 0; k < x.numel(); k++) {
                    double v = x.getDoubleFlat(k);
                    x.setDoubleFlat(k, v + opt.eps);
                    double plus = firstOrderProjection(f, inputs, sources, u, w, arena);
                    x.setDoubleFlat(k, v - opt.eps);
                    double minus = firstOrderProjection(f, inputs, sources, u, w, arena);
                    x.setDoubleFlat(k, v);
                    double numeric = (plus - minus) / (2 * opt.eps);
                    compare(name, "second order d<J^T u, w>/d input" + src[j] + "[" + k + "]", opt.withTolerance(opt.atol * 10, opt.rtol * 10),
                            analytic[j][k], numeric);
                }
            }
        } finally {
            arena.reset(base);
        }
    }

    private static int[] differentiable(Tensor[] inputs) {
        int n = 0;
        for (Tensor t : inputs) {
            if (t.needsGrad()) {
                n++;
            }
        }
        int[] idx = new int[n];
        n = 0;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].needsGrad()) {
                idx[n++] = i;
            }
        }
        return idx;
    }

    private static void compare(String name, String what, Options opt, double analytic, double numeric) {
        if (Double.isNaN(analytic) != Double.isNaN(numeric)
                || Math.abs(analytic - numeric) > opt.atol + opt.rtol * Math.abs(numeric)) {
            throw new GradCheckError("GradCheck " + name + ": " + what + " is " + analytic + " analytically but "
                    + numeric + " by central differences (atol " + opt.atol + ", rtol " + opt.rtol + ")");
        }
    }

    /** A random f64 tensor for checks, reproducible by seed; values in [lo, hi). */
    public static Tensor uniform(TensorArena arena, long seed, double lo, double hi, long... shape) {
        Tensor t = arena.empty(DType.F64, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setDoubleFlat(i, lo + (hi - lo) * Philox.uniformDouble(seed, i, 3));
        }
        return t;
    }
}
