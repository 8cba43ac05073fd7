package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import dev.zerograd.memory.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * The loops of {@link Pool} as a unit task over (image, channel) planes: each unit reads one input plane
 * and writes one output plane, so planes run on the pool's threads without sharing a byte. One instance
 * per calling thread holds the geometry and operand addresses of the current call.
 *
 * <p>Window arithmetic: output position o of a dim covers the input indices {@code o * s - p + k * d} for
 * {@code k < kernel}; the valid k form one range {@code [ceil((p - o s) / d), floor((in - 1 + p - o s) / d)]},
 * computed once per position so the inner loops carry no bounds tests.
 */
final class PoolTask extends UnitTask {
    static final int MAX = 0;
    static final int MAX_BACKWARD = 1;
    static final int AVG = 2;
    static final int AVG_BACKWARD = 3;
    static final int MEAN = 4;
    static final int MEAN_BACKWARD = 5;

    private static final ThreadLocal<PoolTask> LOCAL = ThreadLocal.withInitial(PoolTask::new);

    static PoolTask get() {
        return LOCAL.get();
    }

    int mode;
    boolean f32;
    long channels, h, w, ho, wo;
    long kh, kw, sh, sw, ph, pw, dh, dw;
    boolean countIncludePad;

    /** The input plane tensor (x, or gy for backward rules) and the output (y or dx); strides in elements. */
    MemorySegment is, os, xs;
    long iBase, isN, isC, isH, isW;
    long oBase, osN, osC, osH, osW;
    /** Indices (I64) of max pooling, or absent (null segment). */
    long xBase, xsN, xsC, xsH, xsW;
    /** The tensor that indices are reported against for error messages. */
    Tensor indices;

    private PoolTask() {}

    void setIn(Tensor t) {
        is = t.segment();
        iBase = t.byteOffset();
        isN = t.stride(0);
        isC = t.stride(1);
        isH = t.rank() > 2 ? t.stride(2) : 0;
        isW = t.rank() > 3 ? t.stride(3) : 0;
    }

    void setOut(Tensor t) {
        os = t.segment();
        oBase = t.byteOffset();
        osN = t.stride(0);
        osC = t.stride(1);
        osH = t.rank() > 2 ? t.stride(2) : 0;
        osW = t.rank() > 3 ? t.stride(3) : 0;
    }

    void setIndices(Tensor t) {
        indices = t;
        xs = t == null ? null : t.segment();
        if (t != null) {
            xBase = t.byteOffset();
            xsN = t.stride(0);
            xsC = t.stride(1);
            xsH = t.stride(2);
            xsW = t.stride(3);
        }
    }

    void clear() {
        is = os = xs = null;
        indices = null;
    }

    @Override
    void runUnits(long from, long to) {
        for (long u = from; u < to; u++) {
            long n = u / channels, c = u % channels;
            switch (mode) {
                case MAX -> max(n, c);
                case MAX_BACKWARD -> maxBackward(n, c);
                case AVG -> avg(n, c, false);
                case AVG_BACKWARD -> avg(n, c, true);
                case MEAN -> mean(n, c);
                default -> meanBackward(n, c);
            }
        }
    }

    private static long lo(long o, long s, long p, long d, long kernel) {
        return Math.min(kernel, Math.max(0, Math.ceilDiv(p - o * s, d)));
    }

    private static long hi(long o, long s, long p, long d, long kernel, long in, long lo) {
        return Math.max(lo, Math.min(kernel, Math.floorDiv(in - 1 + p - o * s, d) + 1));
    }

    /**
     * {@code y = max over the window} (padding is -inf, so never chosen) and the flat index {@code ih * W + iw}
     * of the element chosen, as PyTorch chooses it: the first maximum, except that NaN propagates (a later
     * element replaces the current one when it is greater or NaN), and a window of -inf reports its first
     * element inside the image.
     */
    private void max(long n, long c) {
        int esz = f32 ? 4 : 8;
        long in = iBase + (n * isN + c * isC) * esz;
        long out = oBase + (n * osN + c * osC) * esz;
        long ix = xBase + (n * xsN + c * xsC) * 8;
        for (long oh = 0; oh < ho; oh++) {
            long kiLo = lo(oh, sh, ph, dh, kh), kiHi = hi(oh, sh, ph, dh, kh, h, kiLo);
            for (long ow = 0; ow < wo; ow++) {
                long kjLo = lo(ow, sw, pw, dw, kw), kjHi = hi(ow, sw, pw, dw, kw, w, kjLo);
                double best = Double.NEGATIVE_INFINITY;
                long arg = -1;
                for (long ki = kiLo; ki < kiHi; ki++) {
                    long ih = oh * sh - ph + ki * dh;
                    for (long kj = kjLo; kj < kjHi; kj++) {
                        long iw = ow * sw - pw + kj * dw;
                        double v = SpatialRows.get(is, f32, in + (ih * isH + iw * isW) * esz);
                        long flat = ih * w + iw;
                        if (arg < 0) {
                            arg = flat;
                        }
                        if (v > best || v != v) {
                            best = v;
                            arg = flat;
                        }
                    }
                }
                SpatialRows.set(os, f32, out + (oh * osH + ow * osW) * esz, best);
                if (xs != null) {
                    xs.set(JAVA_LONG_UNALIGNED, ix + (oh * xsH + ow * xsW) * 8, arg);
                }
            }
        }
    }

    /** dx plane = 0, then {@code dx[idx] += gy} for every output position. */
    private void maxBackward(long n, long c) {
        int esz = f32 ? 4 : 8;
        long in = iBase + (n * isN + c * isC) * esz;
        long out = oBase + (n * osN + c * osC) * esz;
        long ix = xBase + (n * xsN + c * xsC) * 8;
        zeroPlane(out, esz);
        long plane = h * w;
        for (long oh = 0; oh < ho; oh++) {
            for (long ow = 0; ow < wo; ow++) {
                long idx = xs.get(JAVA_LONG_UNALIGNED, ix + (oh * xsH + ow * xsW) * 8);
                if (idx < 0 || idx >= plane) {
                    throw new IllegalArgumentException("Pool.maxPool2dBackward: index " + idx + " at [" + n + ", " + c + ", " + oh
                            + ", " + ow + "] of indices " + indices.describe() + " is outside the input plane of " + h + " x "
                            + w + " = " + plane + " elements");
                }
                long at = out + ((idx / w) * osH + (idx % w) * osW) * esz;
                double g = SpatialRows.get(is, f32, in + (oh * isH + ow * isW) * esz);
                SpatialRows.set(os, f32, at, SpatialRows.get(os, f32, at) + g);
            }
        }
    }

    private void zeroPlane(long out, int esz) {
        for (long ih = 0; ih < h; ih++) {
            SpatialRows.fill(os, out + ih * osH * esz, osW, w, 0, f32);
        }
    }

    /**
     * Average pooling, or its backward rule ({@code dx[window] += gy / divisor} after zeroing dx). The window
     * of output o is {@code [o s - p, min(o s - p + k, in + p))}: with countIncludePad its size before
     * clipping to the image is the divisor (as PyTorch), otherwise the number of elements inside the image.
     */
    private void avg(long n, long c, boolean backward) {
        int esz = f32 ? 4 : 8;
        long in = iBase + (n * isN + c * isC) * esz;
        long out = oBase + (n * osN + c * osC) * esz;
        if (backward) {
            zeroPlane(out, esz);
        }
        for (long oh = 0; oh < ho; oh++) {
            long h0 = oh * sh - ph, h1 = Math.min(h0 + kh, h + ph);
            long hSpan = h1 - h0;
            h0 = Math.max(h0, 0);
            h1 = Math.min(h1, h);
            for (long ow = 0; ow < wo; ow++) {
                long w0 = ow * sw - pw, w1 = Math.min(w0 + kw, w + pw);
                long count = hSpan * (w1 - w0);
                w0 = Math.max(w0, 0);
                w1 = Math.min(w1, w);
                double divisor = countIncludePad ? count : (h1 - h0) * (w1 - w0);
                if (backward) {
                    double g = SpatialRows.get(is, f32, in + (oh * isH + ow * isW) * esz) / divisor;
                    for (long ih = h0; ih < h1; ih++) {
                        for (long iw = w0; iw < w1; iw++) {
                            long at = out + (ih * osH + iw * osW) * esz;
                            SpatialRows.set(os, f32, at, SpatialRows.get(os, f32, at) + g);
                        }
                    }
                } else {
                    double s = 0;
                    for (long ih = h0; ih < h1; ih++) {
                        for (long iw = w0; iw < w1; iw++) {
                            s += SpatialRows.get(is, f32, in + (ih * isH + iw * isW) * esz);
                        }
                    }
                    SpatialRows.set(os, f32, out + (oh * osH + ow * osW) * esz, s / divisor);
                }
            }
        }
    }

    /** {@code y[n, c] = mean of the plane}, summed in double. */
    private void mean(long n, long c) {
        int esz = f32 ? 4 : 8;
        long in = iBase + (n * isN + c * isC) * esz;
        double s = 0;
        if (h <= 1 || isH == w * isW) {
            s = SpatialRows.sum(is, in, isW, h * w, f32);
        } else {
            for (long ih = 0; ih < h; ih++) {
                s += SpatialRows.sum(is, in + ih * isH * esz, isW, w, f32);
            }
        }
        SpatialRows.set(os, f32, oBase + (n * osN + c * osC) * esz, s / (h * w));
    }

    /** {@code dx[n, c, :, :] = gy[n, c] / (H W)}. */
    private void meanBackward(long n, long c) {
        int esz = f32 ? 4 : 8;
        double g = SpatialRows.get(is, f32, iBase + (n * isN + c * isC) * esz) / (h * w);
        long out = oBase + (n * osN + c * osC) * esz;
        for (long ih = 0; ih < h; ih++) {
            SpatialRows.fill(os, out + ih * osH * esz, osW, w, g, f32);
        }
    }
}
