package dev.zerograd.kernels;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Half;
import java.lang.foreign.MemorySegment;

/**
 * Element conversions and raw row copies behind {@link Copy}. Rules: floating to floating rounds to nearest
 * even; integer to floating rounds to nearest; anything to f16/bf16 goes through f32 first, as PyTorch does,
 * so it may round twice; floating to integer truncates toward zero, saturates at the integer range and maps
 * NaN to 0 (Java's casts); i64 to i32 keeps the low 32 bits.
 */
final class Convert {
    private Convert() {}

    /** The bits of v in dtype d, in the low bytes. */
    static long bits(DType d, double v) {
        return switch (d) {
            case F32 -> Float.floatToRawIntBits((float) v) & 0xFFFF_FFFFL;
            case F64 -> Double.doubleToRawLongBits(v);
            case F16 -> Half.floatToF16((float) v) & 0xFFFFL;
            case BF16 -> Half.floatToBf16((float) v) & 0xFFFFL;
            case I32 -> ((int) v) & 0xFFFF_FFFFL;
            case I64 -> (long) v;
        };
    }

    /** Writes the es-byte pattern bits to n elements, stride bytes apart. */
    static void fill(MemorySegment dst, long off, long stride, long n, int es, long bits) {
        switch (es) {
            case 2 -> {
                short b = (short) bits;
                for (long j = 0; j < n; j++, off += stride) {
                    dst.set(JAVA_SHORT_UNALIGNED, off, b);
                }
            }
            case 4 -> {
                int b = (int) bits;
                for (long j = 0; j < n; j++, off += stride) {
                    dst.set(JAVA_INT_UNALIGNED, off, b);
                }
            }
            default -> {
                for (long j = 0; j < n; j++, off += stride) {
                    dst.set(JAVA_LONG_UNALIGNED, off, bits);
                }
            }
        }
    }

    /** Copies n elements from src (stride ss bytes, dtype sd) to dst (stride ds bytes, dtype dd), converting. */
    static void copy(MemorySegment src, long so, long ss, DType sd, MemorySegment dst, long doff, long ds, DType dd, long n) {
        if (sd == dd) {
            int es = sd.byteSize();
            if (ss == es && ds == es) {
                MemorySegment.copy(src, so, dst, doff, n * es);
            } else {
                raw(src, so, ss, dst, doff, ds, es, n);
            }
        } else if (sd == DType.F32 && dd == DType.F64) {
            for (long j = 0; j < n; j++, so += ss, doff += ds) {
                dst.set(JAVA_DOUBLE_UNALIGNED, doff, src.get(JAVA_FLOAT_UNALIGNED, so));
            }
        } else if (sd == DType.F64 && dd == DType.F32) {
            for (long j = 0; j < n; j++, so += ss, doff += ds) {
                dst.set(JAVA_FLOAT_UNALIGNED, doff, (float) src.get(JAVA_DOUBLE_UNALIGNED, so));
            }
        } else if (!sd.isFloatingPoint()) {
            for (long j = 0; j < n; j++, so += ss, doff += ds) {
                writeLong(dst, doff, dd, sd == DType.I32 ? src.get(JAVA_INT_UNALIGNED, so) : src.get(JAVA_LONG_UNALIGNED, so));
            }
        } else {
            for (long j = 0; j < n; j++, so += ss, doff += ds) {
                writeDouble(dst, doff, dd, readFloating(src, so, sd));
            }
        }
    }

    private static void raw(MemorySegment src, long so, long ss, MemorySegment dst, long doff, long ds, int es, long n) {
        switch (es) {
            case 2 -> {
                for (long j = 0; j < n; j++, so += ss, doff += ds) {
                    dst.set(JAVA_SHORT_UNALIGNED, doff, src.get(JAVA_SHORT_UNALIGNED, so));
                }
            }
            case 4 -> {
                for (long j = 0; j < n; j++, so += ss, doff += ds) {
                    dst.set(JAVA_INT_UNALIGNED, doff, src.get(JAVA_INT_UNALIGNED, so));
                }
            }
            default -> {
                for (long j = 0; j < n; j++, so += ss, doff += ds) {
                    dst.set(JAVA_LONG_UNALIGNED, doff, src.get(JAVA_LONG_UNALIGNED, so));
                }
            }
        }
    }

    /** A floating-point element widened to double (exact for every floating dtype). */
    static double readFloating(MemorySegment s, long off, DType d) {
        return switch (d) {
            case F32 -> s.get(JAVA_FLOAT_UNALIGNED, off);
            case F64 -> s.get(JAVA_DOUBLE_UNALIGNED, off);
            case F16 -> Half.f16ToFloat(s.get(JAVA_SHORT_UNALIGNED, off));
            case BF16 -> Half.bf16ToFloat(s.get(JAVA_SHORT_UNALIGNED, off));
            case I32 -> s.get(JAVA_INT_UNALIGNED, off);
            case I64 -> s.get(JAVA_LONG_UNALIGNED, off);
        };
    }

    static void writeDouble(MemorySegment s, long off, DType d, double v) {
        switch (d) {
            case F32 -> s.set(JAVA_FLOAT_UNALIGNED, off, (float) v);
            case F64 -> s.set(JAVA_DOUBLE_UNALIGNED, off, v);
            case F16 -> s.set(JAVA_SHORT_UNALIGNED, off, Half.floatToF16((float) v));
            case BF16 -> s.set(JAVA_SHORT_UNALIGNED, off, Half.floatToBf16((float) v));
            case I32 -> s.set(JAVA_INT_UNALIGNED, off, (int) v);
            case I64 -> s.set(JAVA_LONG_UNALIGNED, off, (long) v);
        }
    }

    private static void writeLong(MemorySegment s, long off, DType d, long v) {
        switch (d) {
            case F32 -> s.set(JAVA_FLOAT_UNALIGNED, off, (float) v);
            case F64 -> s.set(JAVA_DOUBLE_UNALIGNED, off, (double) v);
            case F16 -> s.set(JAVA_SHORT_UNALIGNED, off, Half.floatToF16((float) v));
            case BF16 -> s.set(JAVA_SHORT_UNALIGNED, off, Half.floatToBf16((float) v));
            case I32 -> s.set(JAVA_INT_UNALIGNED, off, (int) v);
            case I64 -> s.set(JAVA_LONG_UNALIGNED, off, v);
        }
    }
}
