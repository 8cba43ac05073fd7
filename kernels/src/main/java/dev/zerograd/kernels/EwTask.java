package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Device;
import dev.zerograd.memory.Half;
import dev.zerograd.memory.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One elementwise call, preallocated per thread: the {@link Broadcast} plan, the op, and the walk that
 * splits the output's elements into rows and each row into vectors. It is the {@link Parallel.RangeTask} of
 * a parallel region; workers read its fields (fixed while the region runs) and use their own thread's
 * scratch slots.
 *
 * <p>Note [One formula per element]: every element goes through the vector loop of its dtype. A row whose
 * operands are all contiguous (or stride-0 broadcasts, kept in a scratch slot filled with the value) runs
 * whole vectors in place; a strided operand is gathered into its slot one vector at a time; the tail of a
 * row (fewer than one vector) is copied into the slots, computed as one vector, and copied out. So the value
 * of an element never depends on its position in a row, on the strides, or on how a parallel region split
 * the rows: results are bit-identical for any thread count and any layout of the same values.
 *
 * <p>Note [Parallel thresholds]: a call runs on the pool when it has more elements than its op's
 * {@link Cost#grain}: 32768 for cheap ops (add, mul, relu, copy: memory-bound, a region costs a few
 * microseconds to start), 4096 for vector transcendentals (exp, tanh, sigmoid: a few ns per element), 1024 for
 * ops computed by a scalar call per lane (pow, erf). The grain is also the smallest chunk one thread takes.
 */
final class EwTask implements Parallel.RangeTask {
    private static final ThreadLocal<EwTask> CURRENT = ThreadLocal.withInitial(EwTask::new);

    static EwTask current() {
        return CURRENT.get();
    }

    static final int UNARY = 0;
    static final int BINARY = 1;
    static final int FUSED = 2;
    static final int WHERE = 3;
    static final int COPY = 4;
    static final int FILL = 5;

    private static final int DIRECT = 0;  // unit stride, read or written in place
    private static final int BCAST = 1;   // stride 0 within the row: its slot holds the value in every lane
    private static final int GATHER = 2;  // any other stride, or a where-condition of another dtype

    /** Bytes per scratch slot: one vector of the widest preferred species, at least a cache line. */
    private static final long SLOT = Math.max(64, Math.max(VecF32.VB, VecF64.VB));

    private final MemorySegment scratch = Arena.ofAuto().allocate(4 * SLOT, 64);
    final Broadcast g = new Broadcast();

    private int kind;
    private UnaryOp uop;
    private BinaryOp bop;
    private Fused fop;
    private double p;
    private double q;
    private long fillBits;
    private boolean f64;
    private int lanes;
    private long es;
    private long vb;
    private int inputs;
    private long grain;
    private final int[] mode = new int[Broadcast.MAX_OPERANDS];
    private DType condType;

    // ---------------------------------------------------------------- setup (validation + plan)

    void unary(UnaryOp op, Tensor x, double alpha, Tensor out) {
        kind = UNARY;
        uop = op;
        p = alpha;
        begin("Elementwise.unary", op, out);
        floatInput("x", x);
        if ((op == UnaryOp.SOFTPLUS || op == UnaryOp.SOFTPLUS_GRAD) && !(alpha > 0)) {
            throw new IllegalArgumentException("Elementwise.unary(" + op + "): beta (alpha) = " + alpha + ", expected a positive number");
        }
        grain = op.cost.grain;
        g.finish();
    }

    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        kind = BINARY;
        bop = op;
        begin("Elementwise.binary", op, out);
        floatInput("a", a);
        floatInput("b", b);
        grain = op.cost.grain;
        g.finish();
    }

    void fused(String kernel, Fused op, double p, double q, Tensor a, Tensor b, Tensor out) {
        kind = FUSED;
        fop = op;
        this.p = p;
        this.q = q;
        begin(kernel, null, out);
        floatInput(op == Fused.AXPY ? "x" : "a", a);
        if (b != null) {
            floatInput("b", b);
        }
        grain = op.cost.grain;
        g.finish();
    }

    void where(Tensor cond, Tensor a, Tensor b, Tensor out) {
        kind = WHERE;
        begin("Elementwise.where", null, out);
        checkCpu(cond, "cond");
        g.input("cond", cond);
        inputs++;
        condType = cond.dtype();
        floatInput("a", a);
        floatInput("b", b);
        grain = Cost.CHEAP.grain;
        g.finish();
    }

    void copy(Tensor src, Tensor dst) {
        kind = COPY;
        g.name("Copy.copy", null);
        checkCpu(dst, "dst");
        checkCpu(src, "src");
        g.begin("dst", dst, false);
        g.input("src", src);
        setDtype(dst.dtype());
        inputs = 1;
        grain = Cost.CHEAP.grain;
        g.finish();
    }

    void fill(Tensor dst, double v) {
        kind = FILL;
        g.name("Copy.fill", null);
        checkCpu(dst, "dst");
        g.begin("dst", dst, true);
        setDtype(dst.dtype());
        inputs = 0;
        fillBits = bits(dst.dtype(), v);
        grain = Cost.CHEAP.grain;
        g.finish();
    }

    private void begin(String kernel, Object op, Tensor out) {
        g.name(kernel, op);
        checkCpu(out, "out");
        DType d = out.dtype();
        if (d != DType.F32 && d != DType.F64) {
            throw new IllegalArgumentException(g.label() + ": out " + out.describe() + " has dtype " + d
                    + "; elementwise kernels compute in f32 or f64 (convert with Copy.copy first)");
        }
        g.begin("out", out, false);
        setDtype(d);
        inputs = 0;
    }

    private void setDtype(DType d) {
        f64 = d == DType.F64;
        lanes = f64 ? VecF64.L : VecF32.L;
        es = d.byteSize();
        vb = lanes * es;
    }

    private void floatInput(String name, Tensor t) {
        checkCpu(t, name);
        if (t.dtype() != g.dtype(0)) {
            throw new IllegalArgumentException(g.label() + ": " + name + " " + t.describe() + " has dtype " + t.dtype()
                    + ", expected " + g.dtype(0) + " like out " + g.tensors[0].describe());
        }
        g.input(name, t);
        inputs++;
    }

    private void checkCpu(Tensor t, String name) {
        if (t.device() != Device.CPU) {
            throw new IllegalArgumentException(g.label() + ": " + name + " " + t.describe()
                    + " is on " + t.device() + "; these kernels run on cpu tensors");
        }
    }

    static String label(String kernel, Object op) {
        return op == null ? kernel : kernel + "(" + op + ")";
    }

    // ---------------------------------------------------------------- execution

    /** Runs the planned call, on the pool when it is large enough. */
    void execute() {
        try {
            if (g.numel == 0) {
                return;
            }
            int last = g.rank - 1;
            for (int k = 0; k < g.operands; k++) {
                long s = g.stride[k][last];
                boolean convert = kind == WHERE && k == 1 && condType != g.dtype(0);
                mode[k] = s == 0 && k > 0 ? BCAST : s == g.elemBytes[k] && !convert ? DIRECT : GATHER;
            }
            if (g.numel <= grain) {
                walk(0, 0, g.numel, g.base[0], g.base[1], g.base[2], g.base[3], scratch);
            } else {
                Parallel.forRange(g.numel, grain, this);
            }
        } finally {
            g.clear();
        }
    }

    @Override
    public void run(long from, long to) {
        MemorySegment sc = current().scratch;
        walk(0, from, to, g.base[0], g.base[1], g.base[2], g.base[3], sc);
    }

    /** Visits the output elements {@code [from, to)} of the sub-block at dim d, whose operands start at o0..o3. */
    private void walk(int d, long from, long to, long o0, long o1, long o2, long o3, MemorySegment sc) {
        int last = g.rank - 1;
        if (d == last) {
            row(sc, to - from, o0 + from * g.stride[0][d], o1 + from * g.stride[1][d], o2 + from * g.stride[2][d],
                    o3 + from * g.stride[3][d]);
            return;
        }
        long b = g.block[d];
        long i = from / b;
        long end = (to - 1) / b;
        long lo = from - i * b;
        long s0 = g.stride[0][d];
        long s1 = g.stride[1][d];
        long s2 = g.stride[2][d];
        long s3 = g.stride[3][d];
        for (; i <= end; i++) {
            long hi = i == end ? to - i * b : b;
            walk(d + 1, lo, hi, o0 + i * s0, o1 + i * s1, o2 + i * s2, o3 + i * s3, sc);
            lo = 0;
        }
    }

    private static long slot(int k) {
        return k * SLOT;
    }

    /** One row of n elements (see Note [One formula per element]). */
    private void row(MemorySegment sc, long n, long o0, long o1, long o2, long o3) {
        if (kind >= COPY) {
            copyRow(n, o0, o1);
            return;
        }
        int last = g.rank - 1;
        long i0 = g.stride[0][last];
        long i1 = g.stride[1][last];
        long i2 = g.stride[2][last];
        long i3 = g.stride[3][last];
        MemorySegment s0 = g.seg[0];
        MemorySegment s1 = g.seg[1];
        MemorySegment s2 = inputs > 1 ? g.seg[2] : sc;
        MemorySegment s3 = inputs > 2 ? g.seg[3] : sc;
        int m0 = mode[0];
        int m1 = mode[1];
        int m2 = inputs > 1 ? mode[2] : BCAST;
        int m3 = inputs > 2 ? mode[3] : BCAST;
        if (m1 == BCAST) {
            fillSlot(sc, 1, s1, o1);
        }
        if (m2 == BCAST && inputs > 1) {
            fillSlot(sc, 2, s2, o2);
        }
        if (m3 == BCAST && inputs > 2) {
            fillSlot(sc, 3, s3, o3);
        }
        long nv = n / lanes;
        if (nv > 0) {
            if (m0 == DIRECT && m1 != GATHER && m2 != GATHER && m3 != GATHER) {
                // the vector loops count in int: run rows longer than 2^30 vectors in pieces
                for (long done = 0; done < nv; ) {
                    int k = (int) Math.min(nv - done, 1 << 30);
                    long e = done * vb;
                    loop(m1 == DIRECT ? s1 : sc, m1 == DIRECT ? o1 + e : slot(1), m1 == DIRECT ? vb : 0,
                            m2 == DIRECT ? s2 : sc, m2 == DIRECT ? o2 + e : slot(2), m2 == DIRECT ? vb : 0,
                            m3 == DIRECT ? s3 : sc, m3 == DIRECT ? o3 + e : slot(3), m3 == DIRECT ? vb : 0,
                            s0, o0 + e, vb, k);
                    done += k;
                }
            } else {
                for (long v = 0; v < nv; v++) {
                    long e = v * lanes;
                    if (m1 == GATHER) {
                        gather(sc, 1, s1, o1 + e * i1, i1, lanes);
                    }
                    if (m2 == GATHER) {
                        gather(sc, 2, s2, o2 + e * i2, i2, lanes);
                    }
                    if (m3 == GATHER) {
                        gather(sc, 3, s3, o3 + e * i3, i3, lanes);
                    }
                    loop(m1 == DIRECT ? s1 : sc, m1 == DIRECT ? o1 + e * es : slot(1), 0,
                            m2 == DIRECT ? s2 : sc, m2 == DIRECT ? o2 + e * es : slot(2), 0,
                            m3 == DIRECT ? s3 : sc, m3 == DIRECT ? o3 + e * es : slot(3), 0,
                            m0 == DIRECT ? s0 : sc, m0 == DIRECT ? o0 + e * es : slot(0), 0, 1);
                    if (m0 != DIRECT) {
                        scatter(sc, s0, o0 + e * i0, i0, lanes);
                    }
                }
            }
        }
        long r = n - nv * lanes;
        if (r > 0) {
            long e = nv * lanes;
            if (m1 != BCAST) {
                gather(sc, 1, s1, o1 + e * i1, i1, r);
            }
            if (m2 != BCAST) {
                gather(sc, 2, s2, o2 + e * i2, i2, r);
            }
            if (m3 != BCAST) {
                gather(sc, 3, s3, o3 + e * i3, i3, r);
            }
            loop(sc, slot(1), 0, sc, slot(2), 0, sc, slot(3), 0, sc, slot(0), 0, 1);
            scatter(sc, s0, o0 + e * i0, i0, r);
        }
    }

    private void loop(MemorySegment s1, long a1, long d1, MemorySegment s2, long a2, long d2, MemorySegment s3, long a3,
                      long d3, MemorySegment s0, long a0, long d0, int nv) {
        if (f64) {
            switch (kind) {
                case UNARY -> VecF64.unary(uop, p, s1, a1, d1, s0, a0, d0, nv);
                case BINARY -> VecF64.binary(bop, s1, a1, d1, s2, a2, d2, s0, a0, d0, nv);
                case FUSED -> VecF64.fused(fop, p, q, s1, a1, d1, s2, a2, d2, s0, a0, d0, nv);
                default -> VecF64.where(s1, a1, d1, s2, a2, d2, s3, a3, d3, s0, a0, d0, nv);
            }
        } else {
            switch (kind) {
                case UNARY -> VecF32.unary(uop, p, s1, a1, d1, s0, a0, d0, nv);
                case BINARY -> VecF32.binary(bop, s1, a1, d1, s2, a2, d2, s0, a0, d0, nv);
                case FUSED -> VecF32.fused(fop, p, q, s1, a1, d1, s2, a2, d2, s0, a0, d0, nv);
                default -> VecF32.where(s1, a1, d1, s2, a2, d2, s3, a3, d3, s0, a0, d0, nv);
            }
        }
    }

    /** Copies count elements of input k, stride bytes apart, into its slot (converting a where-condition). */
    private void gather(MemorySegment sc, int k, MemorySegment src, long off, long stride, long count) {
        long dst = slot(k);
        if (kind == WHERE && k == 1 && condType != g.dtype(0)) {
            for (long j = 0; j < count; j++, off += stride, dst += es) {
                putCompute(sc, dst, condValue(src, off) != 0 ? 1.0 : 0.0);
            }
        } else if (es == 4) {
            for (long j = 0; j < count; j++, off += stride, dst += 4) {
                sc.set(JAVA_INT_UNALIGNED, dst, src.get(JAVA_INT_UNALIGNED, off));
            }
        } else {
            for (long j = 0; j < count; j++, off += stride, dst += 8) {
                sc.set(JAVA_LONG_UNALIGNED, dst, src.get(JAVA_LONG_UNALIGNED, off));
            }
        }
    }

    /** Fills input k's slot with the element at off in every lane. */
    private void fillSlot(MemorySegment sc, int k, MemorySegment src, long off) {
        gather(sc, k, src, off, 0, lanes);
    }

    /** Copies count results from the output slot to dst, stride bytes apart. */
    private void scatter(MemorySegment sc, MemorySegment dst, long off, long stride, long count) {
        long src = slot(0);
        if (es == 4) {
            for (long j = 0; j < count; j++, off += stride, src += 4) {
                dst.set(JAVA_INT_UNALIGNED, off, sc.get(JAVA_INT_UNALIGNED, src));
            }
        } else {
            for (long j = 0; j < count; j++, off += stride, src += 8) {
                dst.set(JAVA_LONG_UNALIGNED, off, sc.get(JAVA_LONG_UNALIGNED, src));
            }
        }
    }

    private void putCompute(MemorySegment sc, long off, double v) {
        if (f64) {
            sc.set(JAVA_DOUBLE_UNALIGNED, off, v);
        } else {
            sc.set(JAVA_FLOAT_UNALIGNED, off, (float) v);
        }
    }

    private double condValue(MemorySegment s, long off) {
        return switch (condType) {
            case F32 -> s.get(JAVA_FLOAT_UNALIGNED, off);
            case F64 -> s.get(JAVA_DOUBLE_UNALIGNED, off);
            case F16 -> Half.f16ToFloat(s.get(JAVA_SHORT_UNALIGNED, off));
            case BF16 -> Half.bf16ToFloat(s.get(JAVA_SHORT_UNALIGNED, off));
            case I32 -> s.get(JAVA_INT_UNALIGNED, off);
            case I64 -> s.get(JAVA_LONG_UNALIGNED, off);
        };
    }

    // ---------------------------------------------------------------- copy and fill rows

    private void copyRow(long n, long o0, long o1) {
        int last = g.rank - 1;
        long i0 = g.stride[0][last];
        MemorySegment dst = g.seg[0];
        if (kind == FILL) {
            Convert.fill(dst, o0, i0, n, g.elemBytes[0], fillBits);
            return;
        }
        Convert.copy(g.seg[1], o1, g.stride[1][last], g.dtype(1), dst, o0, i0, g.dtype(0), n);
    }

    private static long bits(DType d, double v) {
        return Convert.bits(d, v);
    }
}
