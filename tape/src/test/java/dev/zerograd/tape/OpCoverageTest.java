package dev.zerograd.tape;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import dev.zerograd.tape.GradCheck.GradCheckError;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every registered op has gradcheck cases in {@link OpCases}, and every case passes GradCheck in f64: the
 * reverse-mode Jacobian and the forward-mode J v against central differences, and the second-order check
 * (the VJP differentiated again in create-graph mode).
 */
class OpCoverageTest {

    @Test
    void everyRegisteredOpHasACase() {
        List<String> names = new ArrayList<>();
        for (Op op : OpRegistry.all()) {
            names.add(op.name());
        }
        List<String> missing = OpCases.missing(names);
        if (!missing.isEmpty()) {
            fail("ops without a gradcheck case in OpCases: " + missing);
        }
    }

    @Test
    void everyCaseNamesARegisteredOp() {
        List<String> unknown = new ArrayList<>();
        for (String op : OpCases.covered()) {
            if (OpRegistry.byName(op) == null) {
                unknown.add(op);
            }
        }
        assertTrue(unknown.isEmpty(), "OpCases has cases for ops that are not registered: " + unknown);
    }

    @Test
    void missingListsExactlyTheOpsWithoutCases() {
        assertEquals(List.of("no_such_op", "another_missing_op"),
                OpCases.missing(List.of("add", "no_such_op", "matmul", "another_missing_op")));
    }

    /** Cases checked with less than {@link OpCases#STRICT}: each one named here, with its reason in OpCases. */
    @Test
    void onlyTheDeclaredCasesRelaxTheChecks() {
        List<String> relaxed = new ArrayList<>();
        for (OpCases.Case c : OpCases.all()) {
            if (!c.options().equals(OpCases.STRICT)) {
                relaxed.add(c.name());
            }
        }
        assertEquals(List.of("amax: two tied extrema share the gradient", "amin: two tied extrema share the gradient"), relaxed,
                "cases whose gradcheck options differ from first + second order at default tolerances");
    }

    @TestFactory
    Stream<DynamicTest> everyCasePassesFirstAndSecondOrder() {
        return OpCases.all().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            try (TensorArena arena = TensorArena.ofConfined("inputs", 1 << 20)) {
                c.check(arena);
            }
        }));
    }

    // ---------------------------------------------------------------- GradCheck catches wrong rules

    /** x^3 with a configurable fault in its rules. */
    private static final class Cube extends CustomOp {
        enum Fault { NONE, BACKWARD_TIMES_TWO, SECOND_ORDER_LOST, SECOND_ORDER_WRONG, JVP_WRONG }

        private final Fault fault;
        private final HalfSquare halfSquare = new HalfSquare();

        Cube(Fault fault) {
            super("cube_" + fault.name().toLowerCase());
            this.fault = fault;
        }

        @Override
        protected Tensor forward(Tensor[] in, int n) {
            return Ops.mul(Ops.square(in[0]), in[0]);
        }

        /** 3 x^2, built as the fault says. */
        private Tensor derivative(Tensor x) {
            return switch (fault) {
                case NONE, JVP_WRONG -> Ops.mul(Ops.square(x), 3.0);
                case BACKWARD_TIMES_TWO -> Ops.mul(Ops.square(x), 6.0);
                // right values, but computed off the graph: the gradient has no derivative of its own
                case SECOND_ORDER_LOST -> Ops.mul(Ops.square(Ops.detach(x)), 3.0);
                // right values, through an op whose own gradient is half what it should be
                case SECOND_ORDER_WRONG -> Ops.mul(halfSquare.apply(x), 3.0);
            };
        }

        @Override
        protected void backward(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.mul(g, derivative(n.input(0))));
        }

        @Override
        protected Tensor jvp(Node n) {
            Tensor t = n.tangent(0);
            if (t == null) {
                return null;
            }
            return Ops.mul(t, Ops.mul(Ops.square(n.input(0)), fault == Fault.JVP_WRONG ? 2.0 : 3.0));
        }
    }

    /** x^2 whose backward gives x instead of 2x. */
    private static final class HalfSquare extends CustomOp {
        HalfSquare() {
            super("half_square");
        }

        @Override
        protected Tensor forward(Tensor[] in, int n) {
            return Ops.square(in[0]);
        }

        @Override
        protected void backward(Node n, Tensor g, Grads grads) {
            grads.add(0, Ops.mul(g, n.input(0)));
        }
    }

    private static void checkCube(Cube.Fault fault, GradCheck.Options opt) {
        Cube cube = new Cube(fault);
        try (TensorArena arena = TensorArena.ofConfined("inputs", 1 << 20)) {
            Tensor x = GradCheck.uniform(arena, 3, 0.5, 1.5, 2, 3).requiresGrad();
            GradCheck.check(cube.name(), opt, in -> cube.apply(in[0]), x);
        }
    }

    @Test
    void aCorrectCustomOpPassesEveryCheck() {
        checkCube(Cube.Fault.NONE, OpCases.STRICT);
    }

    @Test
    void aBackwardOffByTwoFailsReverseMode() {
        GradCheckError e = assertThrows(GradCheckError.class,
                () -> checkCube(Cube.Fault.BACKWARD_TIMES_TWO, OpCases.STRICT.withForward(false).withSecondOrder(false)));
        assertTrue(e.getMessage().contains("reverse mode"), e.getMessage());
    }

    @Test
    void aWrongJvpFailsForwardMode() {
        GradCheckError e = assertThrows(GradCheckError.class,
                () -> checkCube(Cube.Fault.JVP_WRONG, OpCases.STRICT.withSecondOrder(false)));
        assertTrue(e.getMessage().contains("forward mode"), e.getMessage());
    }

    @Test
    void aGradientComputedOffTheGraphFailsSecondOrderOnly() {
        checkCube(Cube.Fault.SECOND_ORDER_LOST, OpCases.STRICT.withSecondOrder(false));
        GradCheckError e = assertThrows(GradCheckError.class, () -> checkCube(Cube.Fault.SECOND_ORDER_LOST, OpCases.STRICT));
        assertTrue(e.getMessage().contains("second order"), e.getMessage());
    }

    @Test
    void aWrongRuleInsideTheBackwardFailsSecondOrderOnly() {
        checkCube(Cube.Fault.SECOND_ORDER_WRONG, OpCases.STRICT.withSecondOrder(false));
        GradCheckError e = assertThrows(GradCheckError.class, () -> checkCube(Cube.Fault.SECOND_ORDER_WRONG, OpCases.STRICT));
        assertTrue(e.getMessage().contains("second order"), e.getMessage());
    }
}
