package dev.zerograd.memory;

/**
 * Element types a {@link Tensor} can hold. Every dtype is stored little-endian (native order on the
 * platforms zerograd runs on); {@link #F16} is IEEE 754 binary16 and {@link #BF16} is bfloat16 (the upper
 * half of a binary32), both converted to and from {@code float} with round-to-nearest-even.
 */
public enum DType {
    F32(4, true, "f32"),
    F64(8, true, "f64"),
    F16(2, true, "f16"),
    BF16(2, true, "bf16"),
    I32(4, false, "i32"),
    I64(8, false, "i64");

    private final int byteSize;
    private final boolean floating;
    private final String shortName;

    DType(int byteSize, boolean floating, String shortName) {
        this.byteSize = byteSize;
        this.floating = floating;
        this.shortName = shortName;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** log2 of {@link #byteSize()}: element index to byte offset is a shift. */
    public int byteShift() {
        return Integer.numberOfTrailingZeros(byteSize);
    }

    /** True for F32, F64, F16 and BF16: the dtypes gradients can flow through. */
    public boolean isFloatingPoint() {
        return floating;
    }

    /** The lower-case name used in messages and files: {@code f32}, {@code bf16}, ... */
    public String shortName() {
        return shortName;
    }

    @Override
    public String toString() {
        return shortName;
    }
}
