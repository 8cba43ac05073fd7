package dev.zerograd.nn.optim;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector loops of the update kernels, written against the preferred species; {@link Updates} runs them
 * over whole vectors and its scalar reference loops over the tail (or everything, in reference mode).
 *
 * <p>Note [Branch-free updates]: each loop is straight-line code, the shape C2 keeps in registers without
 * boxing vectors (see Note [Vector code shape] in the kernels' {@code VecF32}). The options of an update are
 * folded into coefficients instead of branches, exactly: a term that is off is multiplied by 0 and added,
 * a term that is on is multiplied by 1, which changes no finite value. So for finite inputs the loops give
 * the scalar reference's results (up to the sign of zero):
 * <pre>
 * SGD with momentum:  g1 = g + wd p;  b = mb b + db g1;  u = ng g1 + cb b;  p = p - lr u
 *   first step: mb = 0, db = 1 (b = g1; the buffer starts at zero); later: mb = momentum, db = 1 - dampening;
 *   Nesterov: ng = 1, cb = momentum; otherwise ng = 0, cb = 1 (u = b)
 * Adam:  p1 = dec p;  g1 = g + wd p1;  m = (cm m + cg g1) + w (g1 - m);  v = b2 v + (1 - b2) g1 g1;
 *        p = p1 - step (m / (sqrt(v) / bc2 + eps))
 *   lerp weight below 0.5: cm = 1, cg = 0, w = weight (m + w (g - m)); otherwise cm = 0, cg = 1,
 *   w = -(1 - weight) (g - (g - m)(1 - weight)), as torch.lerp
 * </pre>
 */
final class VecUpdates {
    private VecUpdates() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** The end of the whole vectors of {@code [from, to)} for a species of {@code lanes} lanes. */
    static long vectorEnd(long from, long to, int lanes) {
        return from + (to - from) / lanes * lanes;
    }

    // ---------------------------------------------------------------- SGD

    /** p = p - lr (g + wd p) over {@code [from, end)}. */
    static void sgdF32(MemorySegment p, long po, MemorySegment g, long go, long from, long end, float lr, float wd) {
        for (long i = from; i < end; i += F.length()) {
            long k = i << 2;
            FloatVector pv = FloatVector.fromMemorySegment(F, p, po + k, LE);
            FloatVector gv = FloatVector.fromMemorySegment(F, g, go + k, LE);
            gv = gv.add(pv.mul(wd));
            pv.sub(gv.mul(lr)).intoMemorySegment(p, po + k, LE);
        }
    }

    static void sgdF64(MemorySegment p, long po, MemorySegment g, long go, long from, long end, double lr, double wd) {
        for (long i = from; i < end; i += D.length()) {
            long k = i << 3;
            DoubleVector pv = DoubleVector.fromMemorySegment(D, p, po + k, LE);
            DoubleVector gv = DoubleVector.fromMemorySegment(D, g, go + k, LE);
            gv = gv.add(pv.mul(wd));
            pv.sub(gv.mul(lr)).intoMemorySegment(p, po + k, LE);
        }
    }

    /** SGD with a momentum buffer b (Note [Branch-free updates]) over {@code [from, end)}. */
    static void sgdMomentumF32(MemorySegment p, long po, MemorySegment g, long go, MemorySegment b, long bo, long from, long end,
                               float lr, float wd, float mb, float db, float ng, float cb) {
        for (long i = from; i < end; i += F.length()) {
            long k = i << 2;
            FloatVector pv = FloatVector.fromMemorySegment(F, p, po + k, LE);
            FloatVector gv = FloatVector.fromMemorySegment(F, g, go + k, LE);
            FloatVector bv = FloatVector.fromMemorySegment(F, b, bo + k, LE);
            FloatVector g1 = gv.add(pv.mul(wd));
            FloatVector bn = bv.mul(mb).add(g1.mul(db));
            bn.intoMemorySegment(b, bo + k, LE);
            FloatVector u = g1.mul(ng).add(bn.mul(cb));
            pv.sub(u.mul(lr)).intoMemorySegment(p, po + k, LE);
        }
    }

    static void sgdMomentumF64(MemorySegment p, long po, MemorySegment g, long go, MemorySegment b, long bo, long from, long end,
                               double lr, double wd, double mb, double db, double ng, double cb) {
        for (long i = from; i < end; i += D.length()) {
            long k = i << 3;
            DoubleVector pv = DoubleVector.fromMemorySegment(D, p, po + k, LE);
            DoubleVector gv = DoubleVector.fromMemorySegment(D, g, go + k, LE);
            DoubleVector bv = DoubleVector.fromMemorySegment(D, b, bo + k, LE);
            DoubleVector g1 = gv.add(pv.mul(wd));
            DoubleVector bn = bv.mul(mb).add(g1.mul(db));
            bn.intoMemorySegment(b, bo + k, LE);
            DoubleVector u = g1.mul(ng).add(bn.mul(cb));
            pv.sub(u.mul(lr)).intoMemorySegment(p, po + k, LE);
        }
    }

    // ---------------------------------------------------------------- Adam

    /** Adam / AdamW with moments m and v (Note [Branch-free updates]) over {@code [from, end)}. */
    static void adamF32(MemorySegment p, long po, MemorySegment g, long go, MemorySegment m, long mo, MemorySegment v, long vo,
                        long from, long end, float dec, float wd, float cm, float cg, float w, float b2, float ob2, float step,
                        float bc2, float eps) {
        for (long i = from; i < end; i += F.length()) {
            long k = i << 2;
            FloatVector p1 = FloatVector.fromMemorySegment(F, p, po + k, LE).mul(dec);
            FloatVector g1 = FloatVector.fromMemorySegment(F, g, go + k, LE).add(p1.mul(wd));
            FloatVector mv = FloatVector.fromMemorySegment(F, m, mo + k, LE);
            FloatVector mn = mv.mul(cm).add(g1.mul(cg)).add(g1.sub(mv).mul(w));
            FloatVector vn = FloatVector.fromMemorySegment(F, v, vo + k, LE).mul(b2).add(g1.mul(ob2).mul(g1));
            mn.intoMemorySegment(m, mo + k, LE);
            vn.intoMemorySegment(v, vo + k, LE);
            FloatVector denom = vn.sqrt().div(bc2).add(eps);
            p1.sub(mn.div(denom).mul(step)).intoMemorySegment(p, po + k, LE);
        }
    }

    static void adamF64(MemorySegment p, long po, MemorySegment g, long go, MemorySegment m, long mo, MemorySegment v, long vo,
                        long from, long end, double dec, double wd, double cm, double cg, double w, double b2, double ob2,
                        double step, double bc2, double eps) {
        for (long i = from; i < end; i += D.length()) {
            long k = i << 3;
            DoubleVector p1 = DoubleVector.fromMemorySegment(D, p, po + k, LE).mul(dec);
            DoubleVector g1 = DoubleVector.fromMemorySegment(D, g, go + k, LE).add(p1.mul(wd));
            DoubleVector mv = DoubleVector.fromMemorySegment(D, m, mo + k, LE);
            DoubleVector mn = mv.mul(cm).add(g1.mul(cg)).add(g1.sub(mv).mul(w));
            DoubleVector vn = DoubleVector.fromMemorySegment(D, v, vo + k, LE).mul(b2).add(g1.mul(ob2).mul(g1));
            mn.intoMemorySegment(m, mo + k, LE);
            vn.intoMemorySegment(v, vo + k, LE);
            DoubleVector denom = vn.sqrt().div(bc2).add(eps);
            p1.sub(mn.div(denom).mul(step)).intoMemorySegment(p, po + k, LE);
        }
    }

    /** Adam / AdamW with AMSGrad: the denominator uses vMax = max(vMax, v). */
    static void adamAmsgradF32(MemorySegment p, long po, MemorySegment g, long go, MemorySegment m, long mo, MemorySegment v, long vo,
                               MemorySegment x, long xo, long from, long end, float dec, float wd, float cm, float cg, float w,
                               float b2, float ob2, float step, float bc2, float eps) {
        for (long i = from; i < end; i += F.length()) {
            long k = i << 2;
            FloatVector p1 = FloatVector.fromMemorySegment(F, p, po + k, LE).mul(dec);
            FloatVector g1 = FloatVector.fromMemorySegment(F, g, go + k, LE).add(p1.mul(wd));
            FloatVector mv = FloatVector.fromMemorySegment(F, m, mo + k, LE);
            FloatVector mn = mv.mul(cm).add(g1.mul(cg)).add(g1.sub(mv).mul(w));
            FloatVector vn = FloatVector.fromMemorySegment(F, v, vo + k, LE).mul(b2).add(g1.mul(ob2).mul(g1));
            FloatVector xn = FloatVector.fromMemorySegment(F, x, xo + k, LE).max(vn);
            mn.intoMemorySegment(m, mo + k, LE);
            vn.intoMemorySegment(v, vo + k, LE);
            xn.intoMemorySegment(x, xo + k, LE);
            FloatVector denom = xn.sqrt().div(bc2).add(eps);
            p1.sub(mn.div(denom).mul(step)).intoMemorySegment(p, po + k, LE);
        }
    }

    static void adamAmsgradF64(MemorySegment p, long po, MemorySegment g, long go, MemorySegment m, long mo, MemorySegment v, long vo,
                               MemorySegment x, long xo, long from, long end, double dec, double wd, double cm, double cg, double w,
                               double b2, double ob2, double step, double bc2, double eps) {
        for (long i = from; i < end; i += D.length()) {
            long k = i << 3;
            DoubleVector p1 = DoubleVector.fromMemorySegment(D, p, po + k, LE).mul(dec);
            DoubleVector g1 = DoubleVector.fromMemorySegment(D, g, go + k, LE).add(p1.mul(wd));
            DoubleVector mv = DoubleVector.fromMemorySegment(D, m, mo + k, LE);
            DoubleVector mn = mv.mul(cm).add(g1.mul(cg)).add(g1.sub(mv).mul(w));
            DoubleVector vn = DoubleVector.fromMemorySegment(D, v, vo + k, LE).mul(b2).add(g1.mul(ob2).mul(g1));
            DoubleVector xn = DoubleVector.fromMemorySegment(D, x, xo + k, LE).max(vn);
            mn.intoMemorySegment(m, mo + k, LE);
            vn.intoMemorySegment(v, vo + k, LE);
            xn.intoMemorySegment(x, xo + k, LE);
            DoubleVector denom = xn.sqrt().div(bc2).add(eps);
            p1.sub(mn.div(denom).mul(step)).intoMemorySegment(p, po + k, LE);
        }
    }
}
