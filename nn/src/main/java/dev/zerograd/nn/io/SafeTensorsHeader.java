package dev.zerograd.nn.io;

import static dev.zerograd.nn.io.HeaderJson.quote;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Shapes;
import dev.zerograd.memory.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated header of a safetensors file: every tensor's name, dtype, shape and byte range, and the
 * {@code __metadata__} strings. An instance exists only for a header that passed every check of
 * {@link #validate}, so its byte ranges can be read without further bounds reasoning.
 */
public final class SafeTensorsHeader {
    /** Bytes of the little-endian u64 header length that starts the file. */
    public static final int LENGTH_BYTES = 8;
    /** The largest header accepted, as in the reference implementation (100 MB). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Safetensors dtypes zerograd has no {@link DType} for: named as such in messages. */
    private static final Set<String> OTHER_DTYPES = Set.of("BOOL", "U8", "I8", "I16", "U16", "U32", "U64", "F8_E5M2",
            "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64");

    /**
     * One tensor of the file.
     *
     * @param begin offset of its first byte in the data buffer (which starts after the header)
     * @param end one past its last byte in the data buffer
     */
    public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
        public Entry {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public int rank() {
            return shape.length;
        }

        /** Number of elements. */
        public long numel() {
            return Shapes.numel(shape, shape.length);
        }

        /** Bytes in the file: {@code end - begin}. */
        public long byteLength() {
            return end - begin;
        }

        /** {@code f32[2, 3]}. */
        public String describe() {
            return dtype + Shapes.format(shape);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.name.equals(name) && e.dtype == dtype && Arrays.equals(e.shape, shape)
                    && e.begin == begin && e.end == end;
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return quote(name) + ": " + describe() + " at [" + begin + ", " + end + ")";
        }
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byName;
    private final Map<String, String> metadata;
    private final long headerLength;
    private final long dataLength;

    private SafeTensorsHeader(List<Entry> entries, Map<String, String> metadata, long headerLength, long dataLength) {
        this.entries = Collections.unmodifiableList(entries);
        Map<String, Entry> map = new HashMap<>();
        for (Entry e : entries) {
            map.put(e.name(), e);
        }
        this.byName = map;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.headerLength = headerLength;
        this.dataLength = dataLength;
    }

    /** The tensors in header order. */
    public List<Entry> entries() {
        return entries;
    }

    /** The tensor called {@code name}, or null. */
    public Entry entry(String name) {
        return byName.get(name);
    }

    /** The {@code __metadata__} strings in header order (empty when the header has none). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** N: the bytes of JSON text (padding included) after the 8-byte length. */
    public long headerLength() {
        return headerLength;
    }

    /** File offset of the data buffer: {@code 8 + N}. */
    public long dataStart() {
        return LENGTH_BYTES + headerLength;
    }

    /** Bytes of the data buffer, which the tensors cover exactly. */
    public long dataLength() {
        return dataLength;
    }

    /**
     * Checks a parsed header against the file it came from.
     *
     * @param dataLength bytes of the file after the header
     * @throws SafeTensorsException naming the tensor and the problem: an unknown or unsupported dtype, a rank
     *     above {@link Tensor#MAX_RANK}, a byte size that overflows, offsets that end before they begin, that
     *     do not match {@code shape} times the dtype size, that run past the file, or that leave gaps or
     *     overlap, or tensors that do not cover the data buffer exactly
     */
    static SafeTensorsHeader validate(String source, HeaderJson.Parsed parsed, long headerLength, long dataLength)
            throws SafeTensorsException {
        List<Entry> entries = new ArrayList<>(parsed.entries().size());
        for (HeaderJson.RawEntry raw : parsed.entries()) {
            entries.add(entry(source, raw));
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.end > dataLength) {
                throw new SafeTensorsException(source, "tensor " + quote(e.name) + " occupies data bytes [" + e.begin + ", "
                        + e.end + ") but the file has only " + dataLength + " bytes after the header (truncated file?)");
            }
            if (e.begin != covered) {
                String where = previous == null ? "the first tensor " + quote(e.name) + " begins at data byte " + e.begin
                        + ", expected 0" : "tensor " + quote(e.name) + " begins at data byte " + e.begin + " but the tensor before it, "
                        + quote(previous.name) + ", ends at " + covered;
                throw new SafeTensorsException(source, where + (e.begin < covered ? " (tensors overlap)" : " (a gap of "
                        + (e.begin - covered) + " bytes; tensors must be packed)"));
            }
            covered = e.end;
            previous = e;
        }
        if (covered != dataLength) {
            throw new SafeTensorsException(source, "the tensors cover " + covered + " bytes of the data buffer but the file has "
                    + dataLength + " bytes after the header (" + (dataLength - covered) + " trailing bytes belong to no tensor)");
        }
        Map<String, String> metadata = parsed.metadata() == null ? new LinkedHashMap<>() : parsed.metadata();
        return new SafeTensorsHeader(entries, metadata, headerLength, dataLength);
    }

    private static Entry entry(String source, HeaderJson.RawEntry raw) throws SafeTensorsException {
        String where = "tensor " + quote(raw.name());
        DType dtype = dtypeOf(raw.dtype());
        if (dtype == null) {
            throw new SafeTensorsException(source, where + ": " + (OTHER_DTYPES.contains(raw.dtype())
                    ? "dtype " + quote(raw.dtype()) + " is a safetensors dtype zerograd does not load"
                    : "unknown dtype " + quote(raw.dtype())) + " (supported: F32, F64, F16, BF16, I32, I64)");
        }
        long[] shape = raw.shape();
        if (shape.length > Tensor.MAX_RANK) {
            throw new SafeTensorsException(source, where + ": shape " + Shapes.format(shape) + " has rank " + shape.length
                    + "; zerograd tensors have at most " + Tensor.MAX_RANK + " dims");
        }
        long bytes = dtype.byteSize();
        boolean empty = false;
        for (long d : shape) {
            if (d == 0) {
                empty = true;
            } else if (bytes > Long.MAX_VALUE / d) {
                throw new SafeTensorsException(source, where + ": shape " + Shapes.format(shape) + " of " + raw.dtype()
                        + " needs more than " + Long.MAX_VALUE + " bytes");
            } else {
                bytes *= d;
            }
        }
        if (empty) {
            bytes = 0;
        }
        long begin = raw.offsets()[0];
        long end = raw.offsets()[1];
        if (end < begin) {
            throw new SafeTensorsException(source, where + ": data_offsets [" + begin + ", " + end + "] end before they begin");
        }
        if (end - begin != bytes) {
            throw new SafeTensorsException(source, where + ": shape " + Shapes.format(shape) + " of " + raw.dtype() + " is "
                    + bytes + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes");
        }
        return new Entry(raw.name(), dtype, shape, begin, end);
    }

    /** The zerograd dtype of a safetensors dtype name, or null. */
    static DType dtypeOf(String name) {
        return switch (name) {
            case "F32" -> DType.F32;
            case "F64" -> DType.F64;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            case "I32" -> DType.I32;
            case "I64" -> DType.I64;
            default -> null;
        };
    }

    /** The safetensors name of a dtype: {@code F32}, {@code BF16}, ... */
    static String nameOf(DType dtype) {
        return switch (dtype) {
            case F32 -> "F32";
            case F64 -> "F64";
            case F16 -> "F16";
            case BF16 -> "BF16";
            case I32 -> "I32";
            case I64 -> "I64";
        };
    }

    @Override
    public String toString() {
        return "SafeTensorsHeader(" + entries.size() + " tensors, " + dataLength + " data bytes, metadata " + metadata + ")";
    }
}
