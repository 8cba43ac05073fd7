package dev.zerograd.nn.data;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reader for the IDX files of MNIST and Fashion-MNIST, gzip-compressed or plain (told apart by the gzip
 * magic {@code 1f 8b}; a file named {@code *.gz} must be gzip).
 *
 * <p>An IDX file is a 4-byte magic {@code 00 00 TT NN} (TT the element type, {@code 08} for unsigned bytes;
 * NN the number of dims), NN big-endian 32-bit sizes, then the elements in row-major order and nothing
 * else. Images are {@code 0x00000803} ({@code u8[N, rows, cols]}), labels {@code 0x00000801}
 * ({@code u8[N]}).
 *
 * <p>Loading is load-time code: it allocates chunk buffers on the heap and streams the data into one
 * tensor of the given arena, validating everything on the way (magic, sizes, length, trailing bytes, label
 * range). Errors are {@link IdxFormatException}s naming the file and the problem; on an error the
 * tensor's bytes stay allocated in the arena.
 */
public final class Idx {
    private Idx() {}

    /** Magic of an unsigned-byte images file {@code u8[N, rows, cols]}. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic of an unsigned-byte labels file {@code u8[N]}. */
    public static final int LABELS_MAGIC = 0x00000801;

    private static final int CHUNK = 1 << 16;

    /**
     * The header of an IDX file.
     *
     * @param file the file it was read from
     * @param magic the 4-byte magic
     * @param dims the sizes; {@code dims[0]} is the number of items
     */
    public record Header(Path file, int magic, long[] dims) {
        public Header {
            dims = dims.clone();
        }

        @Override
        public long[] dims() {
            return dims.clone();
        }

        /** Number of items (images or labels): the first size. */
        public int count() {
            return (int) dims[0];
        }

        /** Elements per item: the product of the sizes after the first. */
        public long itemSize() {
            long n = 1;
            for (int i = 1; i < dims.length; i++) {
                n *= dims[i];
            }
            return n;
        }

        /** Bytes of the header: the magic and one 4-byte size per dim. */
        public int headerBytes() {
            return 4 + 4 * dims.length;
        }

        /** Bytes of element data after the header. */
        public long dataBytes() {
            return dims[0] * itemSize();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Header h && h.file.equals(file) && h.magic == magic && Arrays.equals(h.dims, dims);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * file.hashCode() + magic) + Arrays.hashCode(dims);
        }

        @Override
        public String toString() {
            return "Idx.Header(" + file + ", " + hex(magic) + ", " + Arrays.toString(dims) + ")";
        }
    }

    // ---------------------------------------------------------------- public entry points

    /**
     * Reads and validates the header of {@code file}, which must carry {@code expectedMagic}
     * ({@link #IMAGES_MAGIC} or {@link #LABELS_MAGIC}). Reads only the first bytes of the file.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws IdxFormatException when the file is not gzip although named {@code .gz}, is too short for its
     *     header, has another magic, or has sizes that do not fit in a tensor
     */
    public static Header readHeader(Path file, int expectedMagic) throws IOException {
        try (Source src = Source.open(file)) {
            return src.header(expectedMagic);
        }
    }

    /**
     * Loads an images file into a new F32 tensor of {@code arena}: pixel {@code x} becomes
     * {@code (x / 255 - mean) / std}, rounded to float. The shape is {@code [N, 1, rows, cols]}, or
     * {@code [N, rows * cols]} when {@code flat}.
     *
     * @throws IdxFormatException naming the file and the problem (see {@link #readHeader}), or when the data
     *     is truncated, has trailing bytes, or is a corrupt gzip stream
     * @throws IllegalArgumentException when {@code mean} is not finite or {@code std} is not finite and positive
     */
    public static Tensor readImages(Path file, TensorArena arena, double mean, double std, boolean flat) throws IOException {
        if (!Double.isFinite(mean) || !Double.isFinite(std) || std <= 0) {
            throw new IllegalArgumentException("Idx.readImages(" + file + "): normalisation mean " + mean + " and std " + std
                    + " must be finite, with std > 0");
        }
        float[] lut = new float[256];
        for (int v = 0; v < 256; v++) {
            lut[v] = (float) ((v / 255.0 - mean) / std);
        }
        try (Source src = Source.open(file)) {
            Header h = src.header(IMAGES_MAGIC);
            long rows = h.dims[1];
            long cols = h.dims[2];
            Tensor t = flat ? arena.empty(DType.F32, h.dims[0], rows * cols) : arena.empty(DType.F32, h.dims[0], 1, rows, cols);
            MemorySegment dst = t.segment();
            long base = t.byteOffset();
            byte[] bytes = new byte[CHUNK];
            float[] floats = new float[CHUNK];
            long total = h.dataBytes();
            long done = 0;
            while (done < total) {
                int n = src.readData(h, bytes, (int) Math.min(CHUNK, total - done), done, "pixel");
                for (int i = 0; i < n; i++) {
                    floats[i] = lut[bytes[i] & 0xFF];
                }
                MemorySegment.copy(floats, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, base + done * Float.BYTES, n);
                done += n;
            }
            src.expectEnd(h);
            return t;
        }
    }

    /**
     * Loads a labels file into a new {@code [N]} tensor of {@code arena} of dtype I64 or I32, checking that
     * every label is below {@code classes}.
     *
     * @throws IdxFormatException naming the file and the problem (see {@link #readImages}), or naming the
     *     index and value of the first label that is not below {@code classes}
     * @throws IllegalArgumentException when {@code dtype} is not I32 or I64 or {@code classes} is outside 1..256
     */
    public static Tensor readLabels(Path file, TensorArena arena, DType dtype, int classes) throws IOException {
        if (dtype != DType.I64 && dtype != DType.I32) {
            throw new IllegalArgumentException("Idx.readLabels(" + file + "): labels dtype must be i64 or i32, got " + dtype);
        }
        if (classes < 1 || classes > 256) {
            throw new IllegalArgumentException("Idx.readLabels(" + file + "): classes must be between 1 and 256 for unsigned-byte labels, got " + classes);
        }
        try (Source src = Source.open(file)) {
            Header h = src.header(LABELS_MAGIC);
            Tensor t = arena.empty(dtype, h.dims[0]);
            MemorySegment dst = t.segment();
            long base = t.byteOffset();
            byte[] bytes = new byte[CHUNK];
            long total = h.dataBytes();
            long done = 0;
            while (done < total) {
                int n = src.readData(h, bytes, (int) Math.min(CHUNK, total - done), done, "label");
                for (int i = 0; i < n; i++) {
                    int label = bytes[i] & 0xFF;
                    if (label >= classes) {
                        throw new IdxFormatException(file, "label " + label + " at index " + (done + i) + " is not below the "
                                + classes + " classes (labels must be in [0, " + classes + "))");
                    }
                    long at = base + (done + i) * dtype.byteSize();
                    if (dtype == DType.I64) {
                        dst.set(ValueLayout.JAVA_LONG_UNALIGNED, at, label);
                    } else {
                        dst.set(ValueLayout.JAVA_INT_UNALIGNED, at, label);
                    }
                }
                done += n;
            }
            src.expectEnd(h);
            return t;
        }
    }

    // ---------------------------------------------------------------- messages

    static String hex(int magic) {
        return String.format("0x%08x", magic);
    }

    /** What a magic number says, for messages: {@code 0x00000801 (unsigned byte, 1 dim)}. */
    static String describeMagic(int magic) {
        if ((magic >>> 16) != 0) {
            return hex(magic) + " (not an IDX magic: an IDX file starts with two zero bytes)";
        }
        String type = switch ((magic >>> 8) & 0xFF) {
            case 0x08 -> "unsigned byte";
            case 0x09 -> "signed byte";
            case 0x0B -> "16-bit int";
            case 0x0C -> "32-bit int";
            case 0x0D -> "32-bit float";
            case 0x0E -> "64-bit float";
            default -> "unknown element type " + String.format("0x%02x", (magic >>> 8) & 0xFF);
        };
        int dims = magic & 0xFF;
        String what = magic == IMAGES_MAGIC ? ": an images file" : magic == LABELS_MAGIC ? ": a labels file" : "";
        return hex(magic) + " (" + type + ", " + dims + (dims == 1 ? " dim" : " dims") + what + ")";
    }

    // ---------------------------------------------------------------- the byte source

    /** An open IDX file: the decompressed byte stream and how many bytes were consumed from it. */
    private static final class Source implements Closeable {
        private final Path file;
        private final InputStream in;
        private final boolean gzip;
        private long consumed;

        private Source(Path file, InputStream in, boolean gzip) {
            this.file = file;
            this.in = in;
            this.gzip = gzip;
        }

        static Source open(Path file) throws IOException {
            if (!Files.exists(file)) {
                throw new NoSuchFileException(file.toString(), null, "IDX file not found");
            }
            InputStream raw = new BufferedInputStream(Files.newInputStream(file), CHUNK);
            try {
                raw.mark(2);
                int b0 = raw.read();
                int b1 = raw.read();
                raw.reset();
                boolean gz = b0 == 0x1f && b1 == 0x8b;
                if (!gz && file.getFileName().toString().endsWith(".gz")) {
                    throw new IdxFormatException(file, "is not gzip although named .gz: it starts with "
                            + (b0 < 0 ? "nothing (empty file)" : b1 < 0 ? String.format("the single byte 0x%02x", b0)
                            : String.format("bytes 0x%02x 0x%02x", b0, b1)) + ", expected the gzip magic 0x1f 0x8b");
                }
                if (!gz) {
                    return new Source(file, raw, false);
                }
                try {
                    return new Source(file, new GZIPInputStream(raw, CHUNK), true);
                } catch (EOFException | ZipException e) {
                    throw new IdxFormatException(file, "has a gzip magic but a broken gzip header: " + e.getMessage(), e);
                }
            } catch (IOException | RuntimeException e) {
                raw.close();
                throw e;
            }
        }

        /** Up to {@code want} bytes into {@code buf}, or -1 at the end of the data; corrupt gzip is reported. */
        private int read(byte[] buf, int off, int want) throws IOException {
            try {
                int n = in.read(buf, off, want);
                if (n > 0) {
                    consumed += n;
                }
                return n;
            } catch (EOFException e) {
                return -1; // a gzip stream cut short: the caller reports the truncation with its byte counts
            } catch (ZipException e) {
                throw new IdxFormatException(file, "gzip data is corrupt after " + consumed + " decompressed bytes: " + e.getMessage(), e);
            }
        }

        /** Fills {@code buf[0..n)}, returning how many bytes were there before the end (less than n at the end). */
        private int fill(byte[] buf, int n) throws IOException {
            int got = 0;
            while (got < n) {
                int r = read(buf, got, n - got);
                if (r < 0) {
                    break;
                }
                got += r;
            }
            return got;
        }

        Header header(int expectedMagic) throws IOException {
            byte[] b = new byte[4];
            int got = fill(b, 4);
            if (got < 4) {
                throw new IdxFormatException(file, "truncated: " + (gzip ? "decompresses to " : "is ") + got
                        + " bytes, too short for the 4-byte IDX magic (expected " + describeMagic(expectedMagic) + ")");
            }
            int magic = beInt(b);
            if (magic != expectedMagic) {
                throw new IdxFormatException(file, "wrong magic number: expected " + describeMagic(expectedMagic) + ", found "
                        + describeMagic(magic));
            }
            int rank = magic & 0xFF;
            long[] dims = new long[rank];
            for (int d = 0; d < rank; d++) {
                got = fill(b, 4);
                if (got < 4) {
                    throw new IdxFormatException(file, "truncated in its header: expected " + (4 + 4 * rank)
                            + " header bytes (magic and " + rank + " sizes), got " + (consumed));
                }
                dims[d] = beInt(b) & 0xFFFFFFFFL;
                if (dims[d] > Integer.MAX_VALUE) {
                    throw new IdxFormatException(file, "size " + dims[d] + " of dim " + d + " does not fit a signed 32-bit int");
                }
            }
            for (int d = 1; d < rank; d++) {
                if (dims[d] == 0) {
                    throw new IdxFormatException(file, "dims " + Arrays.toString(dims) + " describe items with no elements");
                }
            }
            long elements = dims[0];
            for (int d = 1; d < rank; d++) {
                if (elements != 0 && dims[d] > (Long.MAX_VALUE / Double.BYTES) / elements) {
                    throw new IdxFormatException(file, "dims " + Arrays.toString(dims) + " describe more elements than a tensor can hold");
                }
                elements *= dims[d];
            }
            return new Header(file, magic, dims);
        }

        /**
         * Reads the next {@code want} data bytes (all of them, or reports the truncation); {@code done} is how
         * many data bytes were read before, {@code what} names an element in the message.
         */
        int readData(Header h, byte[] buf, int want, long done, String what) throws IOException {
            int got = fill(buf, want);
            if (got < want) {
                long have = done + got;
                long item = h.itemSize();
                throw new IdxFormatException(file, "truncated: the header " + Arrays.toString(h.dims) + " promises "
                        + h.dataBytes() + " bytes of " + what + " data after the " + h.headerBytes() + "-byte header, but the "
                        + (gzip ? "decompressed " : "") + "file ends after " + have + " of them (" + (have / item)
                        + " complete of " + h.count() + " items)");
            }
            return got;
        }

        /** Checks that nothing follows the data (reading to the end also verifies a gzip stream's CRC). */
        void expectEnd(Header h) throws IOException {
            byte[] one = new byte[1];
            if (read(one, 0, 1) > 0) {
                throw new IdxFormatException(file, "has trailing bytes: the header " + Arrays.toString(h.dims) + " describes "
                        + h.dataBytes() + " data bytes after the " + h.headerBytes() + "-byte header, and more follow"
                        + " (wrong sizes in the header, or another file appended?)");
            }
        }

        private static int beInt(byte[] b) {
            return ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
