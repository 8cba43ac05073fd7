package dev.zerograd.memory;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** Note [Released gradients]: a released gradient's buffer is handed back once, and only while it is still that tensor. */
class ReleasedGradTest {
    @Test
    void theKeptBufferIsHandedBackOnce() {
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 16)) {
            Tensor p = params.empty(DType.F32, 3, 4);
            Tensor g = params.empty(DType.F32, 3, 4);
            assertNull(p.takeSpareGrad(), "nothing was released");
            p.setGrad(g);
            p.releaseGrad();
            assertNull(p.grad());
            assertSame(g, p.takeSpareGrad());
            assertNull(p.takeSpareGrad(), "handed back twice");
            p.releaseGrad(); // no gradient: nothing to keep
            assertNull(p.takeSpareGrad());
        }
    }

    @Test
    void aBufferThatNoLongerFitsOrWasRecycledIsNotHandedBack() {
        try (TensorArena params = TensorArena.ofConfined("params", 1 << 16);
             TensorArena step = TensorArena.ofConfined("step", 1 << 16)) {
            Tensor p = params.empty(DType.F32, 3, 4);
            p.setGrad(params.empty(DType.F64, 3, 4));
            p.releaseGrad();
            assertNull(p.takeSpareGrad(), "wrong dtype");
            p.setGrad(params.empty(DType.F32, 4, 3));
            p.releaseGrad();
            assertNull(p.takeSpareGrad(), "wrong shape");
            p.setGrad(params.empty(DType.F32, 4, 3).transpose(0, 1));
            p.releaseGrad();
            assertNull(p.takeSpareGrad(), "not contiguous");
            // A buffer in an arena that was reset: its handle may now be another tensor.
            p.setGrad(step.empty(DType.F32, 3, 4));
            p.releaseGrad();
            step.reset();
            step.empty(DType.F32, 3, 4);
            assertNull(p.takeSpareGrad(), "recycled handle");
        }
    }
}
