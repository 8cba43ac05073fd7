package dev.zerograd.memory;

/**
 * Conversions between {@code float} and the 16-bit floating-point storage formats. Both directions round to
 * nearest, ties to even; NaN stays NaN and infinities stay infinite.
 */
public final class Half {
    private Half() {}

    /** IEEE 754 binary16 bits to float (exact). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** float to IEEE 754 binary16 bits, round to nearest even; overflow gives infinity. */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** bfloat16 bits to float (exact: bf16 is the upper half of a binary32). */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** float to bfloat16 bits, round to nearest even; NaN maps to a quiet NaN. */
    public static short floatToBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        if ((b & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((b >>> 16) | 0x0040);
        }
        int rounded = b + 0x7FFF + ((b >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
