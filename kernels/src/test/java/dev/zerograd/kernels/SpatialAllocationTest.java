package dev.zerograd.kernels;

import static dev.zerograd.kernels.SpatialTestSupport.bytesPerCall;
import static org.junit.jupiter.api.Assertions.fail;

import dev.zerograd.kernels.SpatialTestSupport.Layout;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The zero-GC contract for Conv, Pool, Norm and Dropout: after warm-up a call allocates 0 bytes on the
 * calling thread's heap, on the vector and the scalar row loops, for inputs small enough to run inline and
 * large enough to run on the pool.
 */
class SpatialAllocationTest {
    private final TensorArena arena = TensorArena.ofConfined(64 << 20);

    @AfterEach
    void close() {
        SpatialRows.simd = true;
        arena.close();
    }

    private record Case(String name, Runnable call) {}

    private List<Case> cases(DType dt) {
        Random rnd = new Random(1);
        List<Case> cs = new ArrayList<>();
        // Conv: per-image (minimal workspace), batched, 1x1 direct, strided input, broadcast gradient.
        Tensor x = SpatialTestSupport.make(arena, dt, rnd, 2, 3, 6, 6), w = SpatialTestSupport.make(arena, dt, rnd, 4, 3, 3, 3);
        Tensor b = SpatialTestSupport.make(arena, dt, rnd, 4), y = arena.empty(dt, 2, 4, 6, 6);
        Tensor gy = SpatialTestSupport.make(arena, dt, rnd, 2, 4, 6, 6), gyB = arena.ones(dt, 1, 4, 1, 1).expand(2, 4, 6, 6);
        Tensor dx = arena.empty(dt, 2, 3, 6, 6), dw = arena.empty(dt, 4, 3, 3, 3), db = arena.empty(dt, 4);
        Tensor ws = arena.empty(dt, Conv.workspaceElements(x, w, 1, 1, 1, 1, 1, 1, 1, 2));
        Tensor ws1 = arena.empty(dt, Conv.workspaceElements(x, w, 1, 1, 1, 1, 1, 1, 1));
        // With two pool threads, room for one image per slot (and the second slot's partial weight gradient):
        // every batched kernel takes the slot path (Note [Conv slots] in ConvSlots).
        Tensor wsSlots = arena.empty(dt, Conv.workspaceElements(x, w, 1, 1, 1, 1, 1, 1, 1, 2) + w.numel());
        Tensor xs = SpatialTestSupport.make(arena, dt, Layout.CHANNELS_LAST, new long[] {2, 3, 6, 6}, rnd);
        cs.add(new Case("conv2d batched", () -> Conv.conv2d(x, w, b, 1, 1, 1, 1, 1, 1, 1, ws, y)));
        cs.add(new Case("conv2d per image", () -> Conv.conv2d(xs, w, b, 1, 1, 1, 1, 1, 1, 1, ws1, y)));
        cs.add(new Case("conv2dBackwardInput batched", () -> Conv.conv2dBackwardInput(gy, w, 1, 1, 1, 1, 1, 1, 1, ws, dx)));
        cs.add(new Case("conv2dBackwardInput per image, broadcast gy",
                () -> Conv.conv2dBackwardInput(gyB, w, 1, 1, 1, 1, 1, 1, 1, ws1, dx)));
        cs.add(new Case("conv2dBackwardWeight batched", () -> Conv.conv2dBackwardWeight(gy, x, 1, 1, 1, 1, 1, 1, 1, ws, dw)));
        cs.add(new Case("conv2dBackwardWeight per image", () -> Conv.conv2dBackwardWeight(gyB, xs, 1, 1, 1, 1, 1, 1, 1, ws1, dw)));
        cs.add(new Case("conv2dBackwardWeight in slots", () -> Conv.conv2dBackwardWeight(gy, x, 1, 1, 1, 1, 1, 1, 1, wsSlots, dw)));
        cs.add(new Case("conv2dBackwardBias", () -> Conv.conv2dBackwardBias(gy, db)));
        Tensor w1 = SpatialTestSupport.make(arena, dt, rnd, 4, 3, 1, 1), y1 = arena.empty(dt, 2, 4, 6, 6), dw1 = arena.empty(dt, 4, 3, 1, 1);
        Tensor gy1 = SpatialTestSupport.make(arena, dt, rnd, 2, 4, 6, 6);
        Tensor ws11 = arena.empty(dt, Conv.workspaceElements(x, w1, 1, 1, 0, 0, 1, 1, 1));
        cs.add(new Case("conv2d 1x1", () -> Conv.conv2d(x, w1, null, 1, 1, 0, 0, 1, 1, 1, ws11, y1)));
        cs.add(new Case("conv2dBackwardInput 1x1", () -> Conv.conv2dBackwardInput(gy1, w1, 1, 1, 0, 0, 1, 1, 1, ws11, dx)));
        cs.add(new Case("conv2dBackwardWeight 1x1", () -> Conv.conv2dBackwardWeight(gy1, x, 1, 1, 0, 0, 1, 1, 1, ws11, dw1)));
        // One input channel: the direct F32 path (im2col for F64), its units on the pool.
        Tensor x1c = SpatialTestSupport.make(arena, dt, rnd, 16, 1, 20, 21), w1c = SpatialTestSupport.make(arena, dt, rnd, 8, 1, 3, 3);
        Tensor b1c = SpatialTestSupport.make(arena, dt, rnd, 8), y1c = arena.empty(dt, 16, 8, 20, 21);
        Tensor gy1c = SpatialTestSupport.make(arena, dt, rnd, 16, 8, 20, 21), dw1c = arena.empty(dt, 8, 1, 3, 3);
        Tensor ws1c = arena.empty(dt, Conv.workspaceElements(x1c, w1c, 1, 1, 1, 1, 1, 1, 1));
        cs.add(new Case("conv2d one channel", () -> Conv.conv2d(x1c, w1c, b1c, 1, 1, 1, 1, 1, 1, 1, ws1c, y1c)));
        cs.add(new Case("conv2dBackwardWeight one channel", () -> Conv.conv2dBackwardWeight(gy1c, x1c, 1, 1, 1, 1, 1, 1, 1, ws1c, dw1c)));
        // A larger conv whose im2col runs on the pool.
        Tensor xc = SpatialTestSupport.make(arena, dt, rnd, 4, 8, 12, 12), wl = SpatialTestSupport.make(arena, dt, rnd, 4, 8, 3, 3);
        Tensor yl = arena.empty(dt, 4, 4, 12, 12), wsl = arena.empty(dt, Conv.workspaceElements(xc, wl, 1, 1, 1, 1, 1, 1, 1));
        cs.add(new Case("conv2d large", () -> Conv.conv2d(xc, wl, null, 1, 1, 1, 1, 1, 1, 1, wsl, yl)));
        // Pool, batch norm and dropout inputs large enough for the pool.
        Tensor xl = SpatialTestSupport.make(arena, dt, rnd, 8, 8, 24, 24);

        // Pooling, small and large.
        Tensor py = arena.empty(dt, 2, 4, 3, 3), pidx = arena.empty(DType.I64, 2, 4, 3, 3), pdx = arena.empty(dt, 2, 4, 6, 6);
        Tensor pg = SpatialTestSupport.make(arena, dt, rnd, 2, 4, 3, 3);
        cs.add(new Case("maxPool2d", () -> Pool.maxPool2d(gy, 2, 2, 2, 2, 0, 0, 1, 1, py, pidx)));
        cs.add(new Case("maxPool2dBackward", () -> Pool.maxPool2dBackward(pg, pidx, pdx)));
        cs.add(new Case("avgPool2d", () -> Pool.avgPool2d(gy, 3, 3, 2, 2, 1, 1, false, py)));
        cs.add(new Case("avgPool2dBackward", () -> Pool.avgPool2dBackward(pg, 3, 3, 2, 2, 1, 1, true, pdx)));
        Tensor g1 = arena.empty(dt, 2, 4, 1, 1);
        cs.add(new Case("adaptiveAvgPool1x1", () -> Pool.adaptiveAvgPool1x1(gy, g1)));
        cs.add(new Case("adaptiveAvgPool1x1Backward", () -> Pool.adaptiveAvgPool1x1Backward(g1, pdx)));
        Tensor ly = arena.empty(dt, 8, 8, 12, 12);
        cs.add(new Case("maxPool2d large", () -> Pool.maxPool2d(xl, 2, 2, 2, 2, 0, 0, 1, 1, ly, null)));
        Tensor lyi = arena.empty(DType.I64, ly.size(0), ly.size(1), ly.size(2), ly.size(3));
        cs.add(new Case("maxPool2d large with indices", () -> Pool.maxPool2d(xl, 2, 2, 2, 2, 0, 0, 1, 1, ly, lyi)));

        // Norms.
        Tensor gamma = SpatialTestSupport.make(arena, dt, rnd, 4), beta = SpatialTestSupport.make(arena, dt, rnd, 4);
        Tensor rm = arena.zeros(dt, 4), rv = arena.ones(dt, 4), m = arena.empty(dt, 4), inv = arena.empty(dt, 4);
        Tensor ny = arena.empty(dt, 2, 4, 6, 6), ndx = arena.empty(dt, 2, 4, 6, 6), dg = arena.empty(dt, 4), dbe = arena.empty(dt, 4);
        Tensor gys = SpatialTestSupport.make(arena, dt, Layout.STRIDED, new long[] {2, 4, 6, 6}, rnd);
        cs.add(new Case("batchNormTrain", () -> Norm.batchNormTrain(gy, gamma, beta, rm, rv, 0.1, 1e-5, ny, m, inv)));
        cs.add(new Case("batchNormEval", () -> Norm.batchNormEval(gys, gamma, beta, rm, rv, 1e-5, ny)));
        cs.add(new Case("batchNormBackward", () -> Norm.batchNormBackward(gys, gy, gamma, m, inv, ndx, dg, dbe)));
        Tensor lg = SpatialTestSupport.make(arena, dt, rnd, 6, 6), lb = SpatialTestSupport.make(arena, dt, rnd, 6, 6);
        Tensor lm = arena.empty(dt, 8), li = arena.empty(dt, 8), ldg = arena.empty(dt, 6, 6), ldb = arena.empty(dt, 6, 6);
        cs.add(new Case("layerNorm", () -> Norm.layerNorm(gys, 2, lg, lb, 1e-5, ny, lm, li)));
        cs.add(new Case("layerNormBackward", () -> Norm.layerNormBackward(gy, gys, 2, lg, lm, li, ndx, ldg, ldb)));
        Tensor xb = xl.slice(0, 0, 4), bl = arena.empty(dt, 4, 8, 24, 24), bm = arena.empty(dt, 8), bi = arena.empty(dt, 8);
        cs.add(new Case("batchNormTrain large", () -> Norm.batchNormTrain(xb, null, null, null, null, 0.1, 1e-5, bl, bm, bi)));

        // Dropout, contiguous and strided, small and large.
        Tensor mask = arena.empty(dt, 2, 4, 6, 6), dy = arena.empty(dt, 2, 4, 6, 6);
        cs.add(new Case("dropout", () -> Dropout.dropout(gy, 0.3, 5, 1, mask, dy)));
        cs.add(new Case("dropout strided", () -> Dropout.dropout(gys, 0.3, 5, 1, mask, dy)));
        Tensor xd = xl.slice(0, 0, 2).slice(1, 0, 4), ml = arena.empty(dt, 2, 4, 24, 24), dl = arena.empty(dt, 2, 4, 24, 24);
        cs.add(new Case("dropout large", () -> Dropout.dropout(xd, 0.3, 5, 1, ml, dl)));
        return cs;
    }

    /**
     * Both dtypes are warmed up together before anything is measured: a kernel compiled for one dtype and then
     * called with the other deoptimizes and recompiles, which can take many rounds on a busy machine.
     */
    @Test
    void everyKernelAllocatesNothingAfterWarmUp() {
        StringBuilder failures = new StringBuilder();
        // On each sgemm library (Note [GEMM backend]); on oneDNN for every product, however small.
        GemmBackendTest.onEachBackend(kind -> allocationsOn(kind, failures));
        if (!failures.isEmpty()) {
            fail("kernels allocate on the Java heap:" + failures);
        }
    }

    private void allocationsOn(GemmBackend.Kind kind, StringBuilder failures) {
        for (boolean simd : new boolean[] {true, false}) {
            SpatialRows.simd = simd;
            arena.reset();
            List<Case> all = new ArrayList<>();
            for (DType dt : SpatialTestSupport.FLOATS) {
                for (Case c : cases(dt)) {
                    all.add(new Case(c.name + " " + dt, c.call));
                }
            }
            for (int pass = 0; pass < 3; pass++) {
                for (Case c : all) {
                    for (int i = 0; i < 300; i++) {
                        c.call.run();
                    }
                }
            }
            for (Case c : all) {
                double perCall = bytesPerCall(c.call);
                if (perCall != 0) {
                    failures.append(String.format("%n  %s simd=%s on %s: %.1f bytes/call", c.name, simd, kind.title(), perCall));
                }
            }
        }
    }
}
