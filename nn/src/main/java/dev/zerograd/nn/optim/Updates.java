package dev.zerograd.nn.optim;

import dev.zerograd.kernels.Parallel;
import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The fused per-parameter update kernels: one pass over the elements reads the gradient, the parameter and
 * the state and writes the new parameter and state. Each is a preallocated {@link Parallel.RangeTask} whose
 * fields the optimizer sets before {@link #execute}; large tensors are split across the intra-op pool, and
 * every element's update depends on that element only, so results do not depend on the split.
 *
 * <p>Note [Update precision]: an F32 parameter is updated in float arithmetic with the scalar coefficients
 * (computed in double: bias corrections, step size) rounded to float once, the way PyTorch's CPU kernels
 * treat a float tensor with Python scalars; an F64 parameter in double.
 *
 * <p>Whole vectors go through {@link VecUpdates}; the scalar loops here, which state each update as PyTorch
 * does, run the tail, and everything when {@code -Dzerograd.kernels.scalar=true} or
 * {@link #setScalarReference} selects the reference. Both give the same results for finite inputs (Note
 * [Branch-free updates] in {@link VecUpdates}); a test compares them.
 */
final class Updates {
    private Updates() {}

    /** Elements per chunk of a parallel update. */
    static final long GRAIN = 1 << 15;

    private static volatile boolean scalarReference = Boolean.getBoolean("zerograd.kernels.scalar");

    /** Routes every update to the scalar reference loops (true) or the vector loops (false). */
    static void setScalarReference(boolean on) {
        scalarReference = on;
    }

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    /** Segments and byte offsets of the parameter, its gradient and up to three state tensors. */
    abstract static class Task implements Parallel.RangeTask {
        MemorySegment p;
        MemorySegment g;
        MemorySegment s0;
        MemorySegment s1;
        MemorySegment s2;
        long po;
        long go;
        long so0;
        long so1;
        long so2;
        long n;
        boolean f64;

        final void bind(Tensor param, Tensor grad, Tensor state0, Tensor state1, Tensor state2) {
            p = param.segment();
            po = param.byteOffset();
            g = grad.segment();
            go = grad.byteOffset();
            s0 = state0 == null ? null : state0.segment();
            so0 = state0 == null ? 0 : state0.byteOffset();
            s1 = state1 == null ? null : state1.segment();
            so1 = state1 == null ? 0 : state1.byteOffset();
            s2 = state2 == null ? null : state2.segment();
            so2 = state2 == null ? 0 : state2.byteOffset();
            n = param.numel();
            f64 = param.dtype() == DType.F64;
        }

        /** Runs the update over all elements, split across the pool when large; drops the segment references. */
        final void execute() {
            try {
                Parallel.forRange(n, GRAIN, this);
            } finally {
                p = g = s0 = s1 = s2 = null;
            }
        }
    }

    // ---------------------------------------------------------------- SGD

    /** {@link SGD}'s update; state 0 is the momentum buffer (absent without momentum). */
    static final class Sgd extends Task {
        double lr;
        double momentum;
        double dampening;
        double weightDecay;
        boolean nesterov;
        boolean first;

        void set(Tensor param, Tensor grad, Tensor bufferOrNull) {
            bind(param, grad, bufferOrNull, null, null);
        }

        @Override
        public void run(long from, long to) {
            long i = from;
            if (!scalarReference) {
                i = f64 ? vectorF64(from, to) : vectorF32(from, to);
            }
            if (f64) {
                runF64(i, to);
            } else {
                runF32(i, to);
            }
        }

        private long vectorF32(long from, long to) {
            long end = VecUpdates.vectorEnd(from, to, VecUpdates.F.length());
            if (s0 == null) {
                VecUpdates.sgdF32(p, po, g, go, from, end, (float) lr, (float) weightDecay);
            } else {
                VecUpdates.sgdMomentumF32(p, po, g, go, s0, so0, from, end, (float) lr, (float) weightDecay,
                        first ? 0f : (float) momentum, first ? 1f : (float) (1 - dampening), nesterov ? 1f : 0f,
                        nesterov ? (float) momentum : 1f);
            }
            return end;
        }

        private long vectorF64(long from, long to) {
            long end = VecUpdates.vectorEnd(from, to, VecUpdates.D.length());
            if (s0 == null) {
                VecUpdates.sgdF64(p, po, g, go, from, end, lr, weightDecay);
            } else {
                VecUpdates.sgdMomentumF64(p, po, g, go, s0, so0, from, end, lr, weightDecay, first ? 0 : momentum,
                        first ? 1 : 1 - dampening, nesterov ? 1 : 0, nesterov ? momentum : 1);
            }
            return end;
        }

        private void runF32(long from, long to) {
            MemorySegment p = this.p;
            MemorySegment g = this.g;
            MemorySegment s0 = this.s0;
            long po = this.po;
            long go = this.go;
            long so0 = this.so0;
            float lrF = (float) lr;
            float wd = (float) weightDecay;
            float mom = (float) momentum;
            float damp = (float) (1 - dampening);
            boolean decay = weightDecay != 0;
            boolean hasMomentum = momentum != 0;
            for (long i = from; i < to; i++) {
                long k = i << 2;
                float pi = p.get(F, po + k);
                float gi = g.get(F, go + k);
                if (decay) {
                    gi = gi + wd * pi;
                }
                if (hasMomentum) {
                    float b = first ? gi : mom * s0.get(F, so0 + k) + damp * gi;
                    s0.set(F, so0 + k, b);
                    gi = nesterov ? gi + mom * b : b;
                }
                p.set(F, po + k, pi - lrF * gi);
            }
        }

        private void runF64(long from, long to) {
            MemorySegment p = this.p;
            MemorySegment g = this.g;
            MemorySegment s0 = this.s0;
            long po = this.po;
            long go = this.go;
            long so0 = this.so0;
            double damp = 1 - dampening;
            boolean decay = weightDecay != 0;
            boolean hasMomentum = momentum != 0;
            for (long i = from; i < to; i++) {
                long k = i << 3;
                double pi = p.get(D, po + k);
                double gi = g.get(D, go + k);
                if (decay) {
                    gi = gi + weightDecay * pi;
                }
                if (hasMomentum) {
                    double b = first ? gi : momentum * s0.get(D, so0 + k) + damp * gi;
                    s0.set(D, so0 + k, b);
                    gi = nesterov ? gi + momentum * b : b;
                }
                p.set(D, po + k, pi - lr * gi);
            }
        }
    }

    // ---------------------------------------------------------------- Adam and AdamW

    /** {@link Adam}'s update; states 0, 1, 2 are m, v and (AMSGrad) vMax. */
    static final class AdamTask extends Task {
        /** p is first multiplied by this (AdamW's 1 - lr * wd; 1 for Adam). */
        double decay;
        /** L2 term added to the gradient (Adam's wd; 0 for AdamW). */
        double weightDecay;
        double lerpWeight;
        double beta2;
        double oneMinusBeta2;
        double stepSize;
        double bc2Sqrt;
        double eps;

        void set(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor vMaxOrNull) {
            bind(param, grad, m, v, vMaxOrNull);
        }

        @Override
        public void run(long from, long to) {
            long i = from;
            if (!scalarReference) {
                i = f64 ? vectorF64(from, to) : vectorF32(from, to);
            }
            if (f64) {
                runF64(i, to);
            } else {
                runF32(i, to);
            }
        }

        // The lerp of m as coefficients (Note [Branch-free updates] in VecUpdates).
        private double cm() {
            return lerpWeight < 0.5 ? 1 : 0;
        }

        private double lerpCoefficient() {
            return lerpWeight < 0.5 ? lerpWeight : -(1 - lerpWeight);
        }

        private long vectorF32(long from, long to) {
            long end = VecUpdates.vectorEnd(from, to, VecUpdates.F.length());
            float cm = (float) cm();
            if (s2 == null) {
                VecUpdates.adamF32(p, po, g, go, s0, so0, s1, so1, from, end, (float) decay, (float) weightDecay, cm, 1 - cm,
                        (float) lerpCoefficient(), (float) beta2, (float) oneMinusBeta2, (float) stepSize, (float) bc2Sqrt,
                        (float) eps);
            } else {
                VecUpdates.adamAmsgradF32(p, po, g, go, s0, so0, s1, so1, s2, so2, from, end, (float) decay, (float) weightDecay, cm,
                        1 - cm, (float) lerpCoefficient(), (float) beta2, (float) oneMinusBeta2, (float) stepSize, (float) bc2Sqrt,
                        (float) eps);
            }
            return end;
        }

        private long vectorF64(long from, long to) {
            long end = VecUpdates.vectorEnd(from, to, VecUpdates.D.length());
            double cm = cm();
            if (s2 == null) {
                VecUpdates.adamF64(p, po, g, go, s0, so0, s1, so1, from, end, decay, weightDecay, cm, 1 - cm, lerpCoefficient(), beta2,
                        oneMinusBeta2, stepSize, bc2Sqrt, eps);
            } else {
                VecUpdates.adamAmsgradF64(p, po, g, go, s0, so0, s1, so1, s2, so2, from, end, decay, weightDecay, cm, 1 - cm,
                        lerpCoefficient(), beta2, oneMinusBeta2, stepSize, bc2Sqrt, eps);
            }
            return end;
        }

        // m = lerp(m, g, w) is computed as torch.lerp does: m + w (g - m) for w < 0.5, g - (g - m)(1 - w) otherwise.

        private void runF32(long from, long to) {
            MemorySegment p = this.p;
            MemorySegment g = this.g;
            MemorySegment s0 = this.s0;
            MemorySegment s1 = this.s1;
            MemorySegment s2 = this.s2;
            long po = this.po;
            long go = this.go;
            long so0 = this.so0;
            long so1 = this.so1;
            long so2 = this.so2;
            float dec = (float) decay;
            float wd = (float) weightDecay;
            float w = (float) lerpWeight;
            float wRest = (float) (1 - lerpWeight);
            boolean lowWeight = lerpWeight < 0.5;
            float b2 = (float) beta2;
            float ob2 = (float) oneMinusBeta2;
            float step = (float) stepSize;
            float bc2 = (float) bc2Sqrt;
            float e = (float) eps;
            boolean scale = decay != 1;
            boolean l2 = weightDecay != 0;
            boolean ams = s2 != null;
            for (long i = from; i < to; i++) {
                long k = i << 2;
                float pi = p.get(F, po + k);
                float gi = g.get(F, go + k);
                if (scale) {
                    pi = pi * dec;
                }
                if (l2) {
                    gi = gi + wd * pi;
                }
                float mi = s0.get(F, so0 + k);
                mi = lowWeight ? mi + w * (gi - mi) : gi - (gi - mi) * wRest;
                float vi = b2 * s1.get(F, so1 + k) + ob2 * gi * gi;
                s0.set(F, so0 + k, mi);
                s1.set(F, so1 + k, vi);
                if (ams) {
                    vi = Math.max(s2.get(F, so2 + k), vi);
                    s2.set(F, so2 + k, vi);
                }
                float denom = (float) Math.sqrt(vi) / bc2 + e;
                p.set(F, po + k, pi - step * (mi / denom));
            }
        }

        private void runF64(long from, long to) {
            MemorySegment p = this.p;
            MemorySegment g = this.g;
            MemorySegment s0 = this.s0;
            MemorySegment s1 = this.s1;
            MemorySegment s2 = this.s2;
            long po = this.po;
            long go = this.go;
            long so0 = this.so0;
            long so1 = this.so1;
            long so2 = this.so2;
            double w = lerpWeight;
            double wRest = 1 - lerpWeight;
            boolean lowWeight = lerpWeight < 0.5;
            boolean scale = decay != 1;
            boolean l2 = weightDecay != 0;
            boolean ams = s2 != null;
            for (long i = from; i < to; i++) {
                long k = i << 3;
                double pi = p.get(D, po + k);
                double gi = g.get(D, go + k);
                if (scale) {
                    pi = pi * decay;
                }
                if (l2) {
                    gi = gi + weightDecay * pi;
                }
                double mi = s0.get(D, so0 + k);
                mi = lowWeight ? mi + w * (gi - mi) : gi - (gi - mi) * wRest;
                double vi = beta2 * s1.get(D, so1 + k) + oneMinusBeta2 * gi * gi;
                s0.set(D, so0 + k, mi);
                s1.set(D, so1 + k, vi);
                if (ams) {
                    vi = Math.max(s2.get(D, so2 + k), vi);
                    s2.set(D, so2 + k, vi);
                }
                double denom = Math.sqrt(vi) / bc2Sqrt + eps;
                p.set(D, po + k, pi - stepSize * (mi / denom));
            }
        }
    }
}
