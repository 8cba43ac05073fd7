package dev.zerograd.nn.io;

import static dev.zerograd.nn.io.HeaderJson.quote;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Device;
import dev.zerograd.memory.Shapes;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Tensors in the safetensors format (Hugging Face's format for weights, read by PyTorch, JAX, candle, ...).
 *
 * <p>Note [Safetensors layout]: a file is an 8-byte little-endian unsigned header length N, N bytes of
 * UTF-8 JSON, then the data buffer. The JSON object maps each tensor name to
 * {@code {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}}, offsets relative to the data
 * buffer, plus an optional {@code "__metadata__"} object of string values; keys are unique. The data
 * buffer is the tensors' bytes, little-endian, row-major, packed: sorted by offset, each tensor starts
 * where the previous one ends, the first at 0, and the last ends at the end of the file; rank-0 tensors
 * hold one element and empty tensors none. The JSON's key order carries no meaning.
 *
 * <p>{@link #write} produces compact JSON, {@code __metadata__} first (keys sorted), then the tensors
 * sorted by name (in code point order, which is UTF-8 byte order); the header is padded with spaces so
 * that N, hence the data buffer's file offset {@code 8 + N}, is a multiple of 8. The data buffer is laid
 * out as the reference implementation lays it out: by descending dtype alignment (i64, f64, f32, i32,
 * bf16, f16), then by name. Tensors cannot be padded apart (the format forbids gaps), so this order is
 * what keeps every tensor's file offset a multiple of its element size, as mmap-based loaders want.
 * Reading accepts any order, any JSON whitespace, and checks every rule above (see
 * {@link SafeTensorsHeader#validate}) before allocating or reading a single tensor byte, so a malformed
 * file fails with a message and never makes a read go out of bounds.
 *
 * <p>Tensor bytes are copied verbatim between the file and the arena slabs: both are little-endian on
 * the platforms zerograd runs on (checked). Non-contiguous tensors are written, and loaded into, in
 * logical C order through a 1 MiB staging buffer.
 */
public final class SafeTensors {
    private SafeTensors() {}

    private static final long STAGING_BYTES = 1 << 20;
    private static final int MAX_IO_CHUNK = 1 << 30;

    /**
     * What {@link #read} loaded.
     *
     * @param tensors name to tensor, in header order (which is name order for files this class wrote)
     * @param metadata the {@code __metadata__} strings, empty when the file has none
     */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {
        /**
         * The tensor called {@code name}.
         *
         * @throws IllegalArgumentException naming the tensors the file has when there is none by that name
         */
        public Tensor tensor(String name) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("SafeTensors: no tensor " + quote(name) + " in the file; it has " + tensors.keySet());
            }
            return t;
        }
    }

    // ---------------------------------------------------------------- writing

    /** {@link #write(Path, Map, Map)} without metadata. */
    public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        write(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} (any strides; written in logical C order) and {@code metadata} to {@code file} in
     * the layout of Note [Safetensors layout]. The file is written beside its destination and moved into place,
     * so a failed write leaves an existing file untouched.
     *
     * @throws IllegalArgumentException when a name is {@code "__metadata__"} or not valid Unicode, a tensor
     *     is not on the CPU, or the header would exceed {@link SafeTensorsHeader#MAX_HEADER_BYTES}
     * @throws IllegalStateException when a tensor handle is stale
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        checkByteOrder();
        List<String> names = new ArrayList<>(tensors.keySet());
        for (String name : names) {
            checkText("tensor name", name);
            if (name.equals(HeaderJson.METADATA_KEY)) {
                throw new IllegalArgumentException("SafeTensors.write(" + file + "): \"__metadata__\" is reserved and cannot name a tensor");
            }
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("SafeTensors.write(" + file + "): tensor " + quote(name) + " is null");
            }
            t.checkValid();
            if (t.device() != Device.CPU) {
                throw new IllegalArgumentException("SafeTensors.write(" + file + "): tensor " + quote(name) + " " + t.describe()
                        + " is not on the cpu; copy it to the cpu first");
            }
        }
        names.sort(SafeTensors::compareCodePoints);
        Map<String, String> sortedMetadata = new TreeMap<>(SafeTensors::compareCodePoints);
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            checkText("metadata key", e.getKey());
            checkText("metadata value of " + quote(e.getKey()), e.getValue());
            sortedMetadata.put(e.getKey(), e.getValue());
        }

        List<String> dataOrder = new ArrayList<>(names);
        dataOrder.sort((a, b) -> {
            int byAlignment = Integer.compare(alignmentRank(tensors.get(b).dtype()), alignmentRank(tensors.get(a).dtype()));
            return byAlignment != 0 ? byAlignment : compareCodePoints(a, b);
        });
        Map<String, Long> begins = new HashMap<>();
        long offset = 0;
        for (String name : dataOrder) {
            begins.put(name, offset);
            offset += tensors.get(name).byteSize();
        }
        List<HeaderJson.RawEntry> entries = new ArrayList<>(names.size());
        for (String name : names) {
            Tensor t = tensors.get(name);
            long begin = begins.get(name);
            entries.add(new HeaderJson.RawEntry(name, SafeTensorsHeader.nameOf(t.dtype()), t.shape(), new long[] {begin, begin + t.byteSize()}));
        }
        byte[] json = HeaderJson.format(entries, sortedMetadata).getBytes(StandardCharsets.UTF_8);
        long padded = (json.length + 7L) & ~7L;
        if (padded > SafeTensorsHeader.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("SafeTensors.write(" + file + "): the header would be " + padded
                    + " bytes, above the format's limit of " + SafeTensorsHeader.MAX_HEADER_BYTES);
        }
        ByteBuffer head = ByteBuffer.allocate(SafeTensorsHeader.LENGTH_BYTES + (int) padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();

        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        boolean done = false;
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             Arena staging = Arena.ofConfined()) {
            writeFully(ch, head);
            MemorySegment buffer = null;
            for (String name : dataOrder) {
                Tensor t = tensors.get(name);
                if (t.isContiguous()) {
                    MemorySegment src = t.segment().asSlice(t.byteOffset(), t.byteSize());
                    for (long at = 0; at < src.byteSize(); at += MAX_IO_CHUNK) {
                        writeFully(ch, src.asSlice(at, Math.min(MAX_IO_CHUNK, src.byteSize() - at)).asByteBuffer());
                    }
                } else {
                    if (buffer == null) {
                        buffer = staging.allocate(STAGING_BYTES, 8);
                    }
                    int size = t.dtype().byteSize();
                    long perChunk = STAGING_BYTES / size;
                    for (long first = 0; first < t.numel(); first += perChunk) {
                        long count = Math.min(perChunk, t.numel() - first);
                        StridedCopy.run(t, first, count, buffer, 0, true);
                        writeFully(ch, buffer.asSlice(0, count * size).asByteBuffer());
                    }
                }
            }
            ch.force(true);
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer bb) throws IOException {
        while (bb.hasRemaining()) {
            ch.write(bb);
        }
    }

    /** Rejects strings that cannot be written as UTF-8: unpaired surrogates. */
    private static void checkText(String what, String s) {
        if (s == null) {
            throw new IllegalArgumentException("SafeTensors.write: a " + what + " is null");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("SafeTensors.write: " + what + " " + quote(s) + " is not valid Unicode: "
                        + String.format("unpaired surrogate U+%04X at index %d", (int) c, i));
            }
        }
    }

    /**
     * Position of a dtype in the reference implementation's dtype order, which increases with alignment:
     * the data buffer holds the highest first.
     */
    static int alignmentRank(DType dtype) {
        return switch (dtype) {
            case F16 -> 0;
            case BF16 -> 1;
            case I32 -> 2;
            case F32 -> 3;
            case F64 -> 4;
            case I64 -> 5;
        };
    }

    /** Order by Unicode code points, which is the byte order of the UTF-8 encodings. */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads and validates the header of {@code file} without loading any tensor.
     *
     * @throws SafeTensorsException naming the file and the problem
     */
    public static SafeTensorsHeader readHeader(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(ch, "safetensors file " + file);
        }
    }

    /**
     * Loads every tensor of {@code file} into new tensors of {@code arena}. The whole header is validated
     * before anything is allocated.
     *
     * @throws SafeTensorsException naming the file and the problem
     */
    public static Contents read(Path file, TensorArena arena) throws IOException {
        checkByteOrder();
        String source = "safetensors file " + file;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            SafeTensorsHeader h = readHeader(ch, source);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (SafeTensorsHeader.Entry e : h.entries()) {
                long[] shape = e.shape();
                tensors.put(e.name(), arena.empty(e.dtype(), shape, shape.length));
            }
            for (SafeTensorsHeader.Entry e : h.entries()) {
                readTensor(ch, h, e, tensors.get(e.name()), null, source);
            }
            return new Contents(Collections.unmodifiableMap(tensors), h.metadata());
        }
    }

    /**
     * Loads {@code file} into existing tensors (a model's parameters): the file must hold exactly the names of
     * {@code existing}, each with the same dtype and shape. Everything is checked before any tensor is
     * modified; the destinations may have any strides. Modifies the tensors of {@code existing}.
     *
     * @return the file's metadata
     * @throws SafeTensorsException naming the file and every missing name, extra name, and dtype or shape
     *     mismatch (expected vs found), or what is malformed
     */
    public static Map<String, String> readInto(Path file, Map<String, Tensor> existing) throws IOException {
        checkByteOrder();
        String source = "safetensors file " + file;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            SafeTensorsHeader h = readHeader(ch, source);
            List<String> missing = new ArrayList<>();
            List<String> extra = new ArrayList<>();
            List<String> mismatched = new ArrayList<>();
            for (String name : existing.keySet()) {
                if (h.entry(name) == null) {
                    missing.add(quote(name));
                }
            }
            for (SafeTensorsHeader.Entry e : h.entries()) {
                Tensor t = existing.get(e.name());
                if (t == null) {
                    extra.add(quote(e.name()));
                    continue;
                }
                t.checkValid();
                if (t.device() != Device.CPU) {
                    mismatched.add("tensor " + quote(e.name()) + ": the model's " + t.describe() + " is not on the cpu");
                } else if (t.dtype() != e.dtype() || !Arrays.equals(t.shape(), e.shape())) {
                    mismatched.add("tensor " + quote(e.name()) + ": the model expects " + t.dtype()
                            + Shapes.format(t.shape()) + ", the file has " + e.describe());
                }
            }
            if (!missing.isEmpty() || !extra.isEmpty() || !mismatched.isEmpty()) {
                Collections.sort(missing);
                Collections.sort(extra);
                List<String> problems = new ArrayList<>();
                if (!missing.isEmpty()) {
                    problems.add("missing from the file: " + String.join(", ", missing));
                }
                if (!extra.isEmpty()) {
                    problems.add("in the file but not in the model: " + String.join(", ", extra));
                }
                problems.addAll(mismatched);
                throw new SafeTensorsException(source, "does not match the model's " + existing.size() + " tensors: "
                        + String.join("; ", problems));
            }
            try (Arena staging = Arena.ofConfined()) {
                MemorySegment buffer = null;
                for (SafeTensorsHeader.Entry e : h.entries()) {
                    Tensor t = existing.get(e.name());
                    if (!t.isContiguous() && buffer == null) {
                        buffer = staging.allocate(STAGING_BYTES, 8);
                    }
                    readTensor(ch, h, e, t, buffer, source);
                }
            }
            return h.metadata();
        }
    }

    /** Reads entry {@code e}'s bytes into {@code t}: directly when contiguous, else through {@code buffer}. */
    private static void readTensor(FileChannel ch, SafeTensorsHeader h, SafeTensorsHeader.Entry e, Tensor t,
                                   MemorySegment buffer, String source) throws IOException {
        long position = h.dataStart() + e.begin();
        String what = "tensor " + quote(e.name());
        if (t.isContiguous()) {
            MemorySegment dst = t.segment().asSlice(t.byteOffset(), e.byteLength());
            for (long at = 0; at < dst.byteSize(); at += MAX_IO_CHUNK) {
                MemorySegment part = dst.asSlice(at, Math.min(MAX_IO_CHUNK, dst.byteSize() - at));
                readFully(ch, part.asByteBuffer(), position + at, source, what);
            }
            return;
        }
        int size = t.dtype().byteSize();
        long perChunk = STAGING_BYTES / size;
        for (long first = 0; first < t.numel(); first += perChunk) {
            long count = Math.min(perChunk, t.numel() - first);
            readFully(ch, buffer.asSlice(0, count * size).asByteBuffer(), position + first * size, source, what);
            StridedCopy.run(t, first, count, buffer, 0, false);
        }
    }

    static SafeTensorsHeader readHeader(FileChannel ch, String source) throws IOException {
        long size = ch.size();
        if (size < SafeTensorsHeader.LENGTH_BYTES) {
            throw new SafeTensorsException(source, "is " + size + " bytes long; a safetensors file starts with an 8-byte"
                    + " little-endian header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(SafeTensorsHeader.LENGTH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lengthBytes, 0, source, "the header length");
        long n = lengthBytes.getLong(0);
        if (n < 0 || n > SafeTensorsHeader.MAX_HEADER_BYTES) {
            throw new SafeTensorsException(source, "header length " + Long.toUnsignedString(n) + " (bytes 0-7, little-endian) is"
                    + " above the limit of " + SafeTensorsHeader.MAX_HEADER_BYTES + " bytes (not a safetensors file?)");
        }
        if (n > size - SafeTensorsHeader.LENGTH_BYTES) {
            throw new SafeTensorsException(source, "header length " + n + " runs past the end of the file: only "
                    + (size - SafeTensorsHeader.LENGTH_BYTES) + " bytes follow the 8-byte length (truncated file?)");
        }
        ByteBuffer json = ByteBuffer.allocate((int) n);
        readFully(ch, json, SafeTensorsHeader.LENGTH_BYTES, source, "the header");
        json.flip();
        String text = decodeUtf8(json, source);
        if (text.isEmpty() || text.charAt(0) != '{') {
            throw new SafeTensorsException(source, "the header must start with '{' right after the 8-byte length, found "
                    + (text.isEmpty() ? "an empty header" : String.format("U+%04X", (int) text.charAt(0))));
        }
        HeaderJson.Parsed parsed = HeaderJson.parse(text, source);
        return SafeTensorsHeader.validate(source, parsed, n, size - SafeTensorsHeader.LENGTH_BYTES - n);
    }

    private static String decodeUtf8(ByteBuffer bytes, String source) throws SafeTensorsException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer out = CharBuffer.allocate(bytes.remaining());
        CoderResult r = decoder.decode(bytes, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            throw new SafeTensorsException(source, "the header is not valid UTF-8: byte "
                    + (SafeTensorsHeader.LENGTH_BYTES + bytes.position()) + " of the file starts a malformed sequence");
        }
        return out.flip().toString();
    }

    private static void readFully(FileChannel ch, ByteBuffer bb, long position, String source, String what) throws IOException {
        long at = position;
        while (bb.hasRemaining()) {
            int n = ch.read(bb, at);
            if (n < 0) {
                throw new SafeTensorsException(source, "the file ended at byte " + at + " while reading " + what
                        + " (was it changed while being read?)");
            }
            at += n;
        }
    }

    private static void checkByteOrder() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("SafeTensors: zerograd tensors are stored in native byte order, which is "
                    + ByteOrder.nativeOrder() + " here; safetensors files are little-endian");
        }
    }
}
