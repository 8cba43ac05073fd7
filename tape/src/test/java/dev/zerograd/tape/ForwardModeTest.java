package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Forward mode against reverse mode: for random u and v, {@code <u, J v>} from the JVP rules (ForwardAD
 * tangents) equals {@code <J^T u, v>} from the VJP rules (a seeded reverse pass), for every op case of
 * {@link OpCases} and for composite functions. Both sides are exact up to rounding, so the tolerance is tight
 * (relative 1e-10), much tighter than a finite-difference check.
 */
class ForwardModeTest {
    private static final int PAIRS = 3;

    /** {@code <u, J v>} and {@code <J^T u, v>} for one random pair; returns {jvp side, vjp side, magnitude}. */
    static double[] bothSides(GradCheck.Fn f, Tensor[] inputs, long seed, TensorArena work) {
        int n = 0;
        for (Tensor t : inputs) {
            n += t.needsGrad() ? 1 : 0;
        }
        Tensor[] sources = new Tensor[n];
        Tensor[] v = new Tensor[n];
        n = 0;
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].needsGrad()) {
                sources[n] = inputs[i];
                v[n] = work.randn(DType.F64, inputs[i].shape(), seed * 97 + i);
                n++;
            }
        }
        double jvpSide = 0;
        double magnitude = 0;
        Tensor u;
        try (Tape.Guard fw = ForwardAD.scope(); Tape.Guard ng = Tape.noGrad(); Tape.Guard at = Tape.allocateIn(work)) {
            for (int j = 0; j < sources.length; j++) {
                ForwardAD.dual(sources[j], v[j]);
            }
            Tensor out = f.apply(inputs);
            u = work.randn(DType.F64, out.shape(), seed * 89 + 1);
            Tensor jv = out.tangent();
            for (long k = 0; k < out.numel(); k++) {
                double term = u.getDoubleFlat(k) * (jv == null ? 0 : jv.getDoubleFlat(k));
                jvpSide += term;
                magnitude += Math.abs(term);
            }
        } finally {
            for (Tensor s : sources) {
                s.setTangent(null);
            }
        }
        double vjpSide = 0;
        Tensor[] grads = new Tensor[sources.length];
        try (GradientTape tape = GradientTape.persistent(work)) { // f may take a gradient on it (OpCases.gradientOf)
            Tensor out = f.apply(inputs);
            tape.gradient(out, u, sources, grads, false);
        }
        for (int j = 0; j < sources.length; j++) {
            for (long k = 0; k < sources[j].numel(); k++) {
                double term = grads[j].getDoubleFlat(k) * v[j].getDoubleFlat(k);
                vjpSide += term;
                magnitude += Math.abs(term);
            }
        }
        return new double[] {jvpSide, vjpSide, magnitude};
    }

    static void assertJvpMatchesVjp(OpCases.Case c) {
        try (TensorArena in = TensorArena.ofConfined("inputs", 1 << 20);
             TensorArena work = TensorArena.ofConfined("work", 16 << 20)) {
            Tensor[] inputs = c.inputs(in);
            for (int p = 0; p < PAIRS; p++) {
                long mark = work.mark();
                double[] s = bothSides(c.fn(), inputs, c.seed() * 7 + p, work);
                assertEquals(s[1], s[0], 1e-10 * Math.max(1, s[2]),
                        c.name() + ": <u, J v> (forward mode) differs from <J^T u, v> (reverse mode), pair " + p);
                work.reset(mark);
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> jvpMatchesVjpForEveryOpCase() {
        return OpCases.all().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> assertJvpMatchesVjp(c)));
    }

    @TestFactory
    Stream<DynamicTest> jvpMatchesVjpForComposites() {
        return OpCases.composites().stream().map(c -> DynamicTest.dynamicTest(c.label(), () -> assertJvpMatchesVjp(c)));
    }

    /** The composites also pass the full finite-difference check, second order included. */
    @TestFactory
    Stream<DynamicTest> compositesPassGradCheck() {
        return OpCases.composites().stream().map(c -> DynamicTest.dynamicTest(c.label(), () -> {
            try (TensorArena in = TensorArena.ofConfined("inputs", 1 << 20)) {
                c.check(in);
            }
        }));
    }

    // ---------------------------------------------------------------- forward mode on its own

    @Test
    void columnsOfTheJacobianFromUnitTangents() {
        // y = [x0 x1, sin(x0) + x1^2]: J = [[x1, x0], [cos x0, 2 x1]]
        try (TensorArena a = TensorArena.ofConfined("a", 1 << 20)) {
            Tensor x = a.fromArray(new double[] {0.3, -1.2}, 2);
            double[][] jac = new double[2][2];
            for (int col = 0; col < 2; col++) {
                Tensor e = a.zeros(DType.F64, 2);
                e.setDoubleFlat(col, 1);
                try (Tape.Guard fw = ForwardAD.scope()) {
                    ForwardAD.dual(x, e);
                    Tensor x0 = Ops.sum(Ops.mul(x, a.fromArray(new double[] {1, 0}, 2)));
                    Tensor x1 = Ops.sum(Ops.mul(x, a.fromArray(new double[] {0, 1}, 2)));
                    Tensor y0 = Ops.mul(x0, x1);
                    Tensor y1 = Ops.add(Ops.sin(x0), Ops.square(x1));
                    jac[0][col] = y0.tangent().item();
                    jac[1][col] = y1.tangent().item();
                } finally {
                    x.setTangent(null);
                }
            }
            assertArrayEquals(new double[] {-1.2, 0.3}, jac[0], 1e-15);
            assertArrayEquals(new double[] {Math.cos(0.3), -2.4}, jac[1], 1e-15);
        }
    }

    @Test
    void tangentsFlowOnlyInsideTheScopeAndOnlyFromInputsThatCarryOne() {
        try (TensorArena a = TensorArena.ofConfined("a", 1 << 20)) {
            Tensor x = a.fromArray(new double[] {0.5, 1.5}, 2);
            Tensor w = a.fromArray(new double[] {2, -1}, 2);
            try (Tape.Guard fw = ForwardAD.scope()) {
                ForwardAD.dual(x, a.fromArray(new double[] {1, 0}, 2));
                Tensor y = Ops.mul(Ops.exp(x), w);
                assertArrayEquals(new double[] {2 * Math.exp(0.5), 0}, y.tangent().toDoubleArray(), 1e-15);
                assertNull(Ops.exp(w).tangent(), "an op on inputs without tangents has none");
            } finally {
                x.setTangent(null);
            }
            ForwardAD.dual(x, a.fromArray(new double[] {1, 1}, 2));
            assertNull(Ops.exp(x).tangent(), "outside a scope no tangent is computed");
            x.setTangent(null);
        }
    }
}
