package dev.zerograd.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Writing and reading safetensors: round trips, the exact layout, loading into parameters, broken files. */
class SafeTensorsTest {
    @TempDir
    Path dir;

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("safetensors-test", 64 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    /** Values exact in every dtype: multiples of 1.5 (floats) or of 3 (ints), with negatives. */
    private static double value(DType dtype, long i) {
        return dtype.isFloatingPoint() ? i * 1.5 - 3 : i * 3 - 7;
    }

    private Tensor filled(DType dtype, long... shape) {
        Tensor t = arena.empty(dtype, shape);
        for (long i = 0; i < t.numel(); i++) {
            t.setDoubleFlat(i, value(dtype, i));
        }
        return t;
    }

    private static void assertSameTensor(Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype());
        assertArrayEquals(expected.shape(), actual.shape());
        for (long i = 0; i < expected.numel(); i++) {
            assertEquals(expected.getDoubleFlat(i), actual.getDoubleFlat(i), 0.0, "element " + i);
        }
    }

    // ---------------------------------------------------------------- round trips

    @ParameterizedTest
    @EnumSource(DType.class)
    void roundTripsEveryDtypeIncludingScalarsAndEmptyTensors(DType dtype) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("matrix", filled(dtype, 3, 4));
        tensors.put("scalar", filled(dtype));
        tensors.put("empty", filled(dtype, 0));
        tensors.put("empty.inner", filled(dtype, 2, 0, 3));
        tensors.put("cube", filled(dtype, 2, 3, 4));
        tensors.put("long", filled(dtype, 1, 1, 1, 1, 1, 1, 1, 5));
        Path file = dir.resolve("all.safetensors");
        SafeTensors.write(file, tensors, Map.of("dtype", dtype.toString()));

        SafeTensors.Contents back = SafeTensors.read(file, arena);
        assertEquals(List.of("cube", "empty", "empty.inner", "long", "matrix", "scalar"), List.copyOf(back.tensors().keySet()));
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            assertSameTensor(e.getValue(), back.tensor(e.getKey()));
        }
        assertEquals(0, back.tensor("scalar").rank());
        assertEquals(Map.of("dtype", dtype.toString()), back.metadata());
        assertEquals(0, SafeTensors.readHeader(file).dataStart() % 8, "the data buffer starts 8-byte aligned");
    }

    @Test
    void roundTripsNonContiguousSourcesInLogicalOrder() throws IOException {
        Tensor base = filled(DType.F32, 3, 4);
        Tensor row = filled(DType.F64, 1, 4);
        Tensor line = filled(DType.I32, 5);
        Map<String, Tensor> views = new LinkedHashMap<>();
        views.put("transposed", base.transpose(0, 1));
        views.put("stepped", base.slice(1, 0, 4, 2));
        views.put("broadcast", row.expand(3, 4));
        views.put("reversed", arena.view(line, 1, new long[] {5}, new long[] {-1}, 4));
        views.put("big", filled(DType.F64, 380, 380).transpose(0, 1)); // more than the 1 MiB staging buffer
        Map<String, Tensor> copies = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : views.entrySet()) {
            Tensor v = e.getValue();
            assertTrue(!v.isContiguous(), e.getKey());
            Tensor c = arena.empty(v.dtype(), v.shape());
            for (long i = 0; i < v.numel(); i++) {
                c.setDoubleFlat(i, v.getDoubleFlat(i));
            }
            copies.put(e.getKey(), c);
        }
        assertEquals(5.0, views.get("reversed").getDoubleFlat(0), "the last of -7, -4, -1, 2, 5 comes first");
        Path strided = dir.resolve("strided.safetensors");
        Path packed = dir.resolve("packed.safetensors");
        SafeTensors.write(strided, views);
        SafeTensors.write(packed, copies);
        assertArrayEquals(Files.readAllBytes(packed), Files.readAllBytes(strided));
        SafeTensors.Contents back = SafeTensors.read(strided, arena);
        for (String name : views.keySet()) {
            assertSameTensor(copies.get(name), back.tensor(name));
        }
    }

    @Test
    void namesAndMetadataWithEscapesRoundTripAndSortByCodePoint() throws IOException {
        String[] names = {"b", "a", "Z", "é", "\uffff", "😀", "quote\"back\\slash/tab\tnl\nnul\u0000", "layer.0.weight"};
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String n : names) {
            tensors.put(n, filled(DType.F32, 2));
        }
        Map<String, String> meta = Map.of("z", "last", "format", "pt", "ünï\n\"", "välue\u0001\\");
        Path file = dir.resolve("names.safetensors");
        SafeTensors.write(file, tensors, meta);
        SafeTensorsHeader h = SafeTensors.readHeader(file);
        List<String> order = new ArrayList<>();
        for (SafeTensorsHeader.Entry e : h.entries()) {
            order.add(e.name());
        }
        // Code point order (UTF-8 byte order): U+FFFF before U+1F600, although UTF-16 order is the reverse.
        assertEquals(List.of("Z", "a", "b", "layer.0.weight", "quote\"back\\slash/tab\tnl\nnul\u0000", "é", "\uffff", "😀"), order);
        assertEquals(List.of("format", "z", "ünï\n\""), List.copyOf(h.metadata().keySet()));
        assertEquals(meta, h.metadata());
        long expectedBegin = 0;
        for (SafeTensorsHeader.Entry e : h.entries()) {
            assertEquals(expectedBegin, e.begin(), "one dtype: the data buffer is in name order too");
            expectedBegin = e.end();
        }
        SafeTensors.Contents back = SafeTensors.read(file, arena);
        for (String n : names) {
            assertSameTensor(tensors.get(n), back.tensor(n));
        }
    }

    // ---------------------------------------------------------------- the exact layout

    private static byte[] lengthPrefix(long n) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] spaces(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) ' ');
        return b;
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /**
     * The specification's layout, byte for byte: length prefix (u64 little-endian), the compact JSON text,
     * spaces up to a multiple of 8, then the packed little-endian data. The first example is the reference
     * implementation's own serialisation test (64 bytes of JSON, so no padding).
     */
    @Test
    void writesTheSpecifiedBytes() throws IOException {
        Tensor attn = arena.fromArray(new float[] {0, 1, 2, 3, 4, 5}, 1, 2, 3);
        Path one = dir.resolve("one.safetensors");
        SafeTensors.write(one, Map.of("attn.0", attn));
        String json = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        assertEquals(64, json.length());
        byte[] floats = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putFloat(0).putFloat(1).putFloat(2).putFloat(3)
                .putFloat(4).putFloat(5).array();
        assertArrayEquals(concat(lengthPrefix(64), json.getBytes(StandardCharsets.US_ASCII), floats), Files.readAllBytes(one));

        Path empty = dir.resolve("empty.safetensors");
        SafeTensors.write(empty, Map.of());
        assertArrayEquals(concat(lengthPrefix(8), "{}".getBytes(StandardCharsets.US_ASCII), spaces(6)), Files.readAllBytes(empty));

        // Mixed dtypes given in no particular order. The header: metadata first (keys sorted), tensors sorted
        // by name. The data buffer: by descending alignment (i64, f32, i32, bf16, f16), then name, so that
        // every tensor starts at a multiple of its element size.
        Map<String, Tensor> mixed = new LinkedHashMap<>();
        mixed.put("é", arena.fromArray(DType.BF16, new double[] {1, -2}, 1, 2));
        mixed.put("b", arena.fromArray(new long[] {1, -2}, 2));
        mixed.put("c", arena.empty(DType.F32, 0));
        mixed.put("a", arena.scalar(DType.F16, 1.5));
        mixed.put("Z", arena.fromArray(new int[] {7, 8}, 2));
        Path many = dir.resolve("many.safetensors");
        SafeTensors.write(many, mixed, Map.of("note", "a \"q\"\n", "format", "pt"));
        String text = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"a \\\"q\\\"\\n\"},"
                + "\"Z\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[16,24]},"
                + "\"a\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[28,30]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[16,16]},"
                + "\"é\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[24,28]}}";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(328, utf8.length); // "é" is two bytes; 328 is a multiple of 8: no padding
        byte[] data = bytes(
                1, 0, 0, 0, 0, 0, 0, 0,                              // b: i64 1      [0, 16)
                0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,      //    i64 -2
                                                                     // c: f32 []     [16, 16)
                7, 0, 0, 0, 8, 0, 0, 0,                              // Z: i32 7, 8   [16, 24)
                0x80, 0x3F, 0x00, 0xC0,                              // é: bf16 1.0 = 0x3F80, -2.0 = 0xC000  [24, 28)
                0x00, 0x3E);                                         // a: f16 1.5 = 0x3E00  [28, 30)
        assertArrayEquals(concat(lengthPrefix(328), utf8, data), Files.readAllBytes(many));
        SafeTensors.Contents back = SafeTensors.read(many, arena);
        assertEquals(List.of("Z", "a", "b", "c", "é"), List.copyOf(back.tensors().keySet()));
        assertEquals(1.5, back.tensor("a").item());
        assertEquals(-2.0, back.tensor("é").getDouble(0, 1));

        Map<String, Tensor> padded = Map.of("attn0", arena.fromArray(new float[] {0, 1, 2, 3, 4, 5}, 1, 1, 2, 3));
        Path pad = dir.resolve("pad.safetensors");
        SafeTensors.write(pad, padded);
        String padJson = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}";
        assertEquals(65, padJson.length());
        assertArrayEquals(concat(lengthPrefix(72), padJson.getBytes(StandardCharsets.US_ASCII), spaces(7), floats),
                Files.readAllBytes(pad));
    }

    // ---------------------------------------------------------------- loading into parameters

    @Test
    void readIntoLoadsExistingTensorsOfAnyStrides() throws IOException {
        Path file = dir.resolve("params.safetensors");
        Tensor w = filled(DType.F32, 2, 3);
        Tensor b = filled(DType.F64, 3);
        Tensor big = filled(DType.F64, 400, 380);
        SafeTensors.write(file, Map.of("w", w, "b", b, "big", big), Map.of("epoch", "3"));

        Tensor w2 = arena.zeros(DType.F32, 2, 3);
        Tensor bStorage = arena.zeros(DType.F64, 6);
        Tensor b2 = bStorage.slice(0, 0, 6, 2); // every other element: strided
        Tensor bigStorage = arena.zeros(DType.F64, 380, 400);
        Tensor big2 = bigStorage.transpose(0, 1); // strided and larger than the staging buffer
        Map<String, String> meta = SafeTensors.readInto(file, Map.of("w", w2, "b", b2, "big", big2));
        assertEquals(Map.of("epoch", "3"), meta);
        assertSameTensor(w, w2);
        assertSameTensor(b, b2);
        assertSameTensor(big, big2);
        assertEquals(0.0, bStorage.getDouble(1), "elements outside the view are untouched");
    }

    @Test
    void readIntoNamesEveryMismatchAndModifiesNothing() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, Map.of("fc.weight", filled(DType.F32, 2, 3), "fc.bias", filled(DType.F32, 3),
                "bn.running_mean", filled(DType.F32, 3), "steps", filled(DType.I64)));
        Tensor weight = arena.zeros(DType.F32, 3, 2);
        Tensor bias = arena.zeros(DType.F32, 3);
        Tensor steps = arena.zeros(DType.I32);
        Map<String, Tensor> model = new LinkedHashMap<>();
        model.put("fc.weight", weight);
        model.put("fc.bias", bias);
        model.put("steps", steps);
        model.put("head.weight", arena.zeros(DType.F32, 4));
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.readInto(file, model));
        String m = e.getMessage();
        assertTrue(m.startsWith("safetensors file " + file + ": does not match the model's 4 tensors: "), m);
        assertTrue(m.contains("missing from the file: \"head.weight\""), m);
        assertTrue(m.contains("in the file but not in the model: \"bn.running_mean\""), m);
        assertTrue(m.contains("tensor \"fc.weight\": the model expects f32[3, 2], the file has f32[2, 3]"), m);
        assertTrue(m.contains("tensor \"steps\": the model expects i32[], the file has i64[]"), m);
        assertEquals(0.0, bias.getDouble(1), "nothing is loaded when anything mismatches");
    }

    // ---------------------------------------------------------------- writing safely

    @Test
    void aFailedWriteLeavesTheExistingFileAndNoTemporaries() throws IOException {
        Path file = dir.resolve("keep.safetensors");
        SafeTensors.write(file, Map.of("a", filled(DType.F32, 2)));
        byte[] before = Files.readAllBytes(file);
        TensorArena other = TensorArena.ofConfined("other", 1 << 10);
        Tensor stale = other.zeros(DType.F32, 2);
        other.reset();
        assertThrows(IllegalStateException.class, () -> SafeTensors.write(file, Map.of("a", stale)));
        other.close();
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, Map.of("__metadata__", filled(DType.F32, 1))));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, Map.of("lone\ud800", filled(DType.F32, 1))));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file, Map.of("a", filled(DType.F32, 1)), Map.of("k", "\udc00")));
        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
        SafeTensors.write(file, Map.of("b", filled(DType.I32, 4)));
        assertEquals("b", SafeTensors.readHeader(file).entries().get(0).name(), "an existing file is replaced");
    }

    // ---------------------------------------------------------------- broken files

    /** A file of the given header text (no padding) followed by {@code dataBytes} zero bytes. */
    private Path file(String json, int dataBytes) throws IOException {
        byte[] text = json.getBytes(StandardCharsets.UTF_8);
        return raw(concat(lengthPrefix(text.length), text, new byte[dataBytes]));
    }

    private Path raw(byte[] bytes) throws IOException {
        return Files.write(dir.resolve("bad.safetensors"), bytes);
    }

    private static void assertRejected(Path file, String... parts) {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.readHeader(file));
        assertTrue(e.getMessage().startsWith("safetensors file " + file + ": "), e.getMessage());
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
    }

    private static String tensor(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void rejectsBadLengthPrefixes() throws IOException {
        assertRejected(raw(new byte[5]), "is 5 bytes long; a safetensors file starts with an 8-byte little-endian header length");
        assertRejected(raw(concat(lengthPrefix(1000), "{}".getBytes(StandardCharsets.US_ASCII), new byte[10])),
                "header length 1000 runs past the end of the file: only 12 bytes follow the 8-byte length");
        assertRejected(raw(concat(lengthPrefix(-1), new byte[8])), "header length 18446744073709551615", "above the limit of 100000000 bytes");
        assertRejected(raw(concat(lengthPrefix(100_000_001), new byte[8])), "header length 100000001");
        assertRejected(raw(lengthPrefix(0)), "an empty header");
    }

    @Test
    void rejectsHeadersThatAreNotUtf8JsonObjects() throws IOException {
        byte[] badUtf8 = concat("{\"a".getBytes(StandardCharsets.US_ASCII), bytes(0xFF), "\":1}".getBytes(StandardCharsets.US_ASCII));
        assertRejected(raw(concat(lengthPrefix(badUtf8.length), badUtf8)), "the header is not valid UTF-8: byte 11 of the file");
        byte[] encodedSurrogate = concat("{\"".getBytes(StandardCharsets.US_ASCII), bytes(0xED, 0xA0, 0x80), "\":{}}".getBytes(StandardCharsets.US_ASCII));
        assertRejected(raw(concat(lengthPrefix(encodedSurrogate.length), encodedSurrogate)), "not valid UTF-8");
        assertRejected(file(" {}", 0), "must start with '{' right after the 8-byte length, found U+0020");
        assertRejected(file("\ufeff{}", 0), "found U+FEFF");
        assertRejected(file("{\"a\":" + "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4),
                "malformed header JSON at character 53: expected ',' or '}' in the header object, found the end of the header");
        assertRejected(file("{" + tensor("a", "F32", "[1]", 0, 4) + "," + tensor("a", "F32", "[1]", 4, 8) + "}", 8),
                "duplicate key \"a\"");
        assertRejected(file("{}\u0000", 0), "unexpected character U+0000 after the header object");
    }

    @Test
    void acceptsAnyJsonWhitespaceAndOrder() throws IOException {
        String json = "{ \"b\" : {\"data_offsets\" : [ 8 , 16 ], \"shape\": [ 2 ], \"dtype\": \"I32\"},\n\t"
                + tensor("a", "F64", "[]", 0, 8) + ",\r\n \"__metadata__\":{\"x\":\"y\"}}\n\n  ";
        SafeTensorsHeader h = SafeTensors.readHeader(file(json, 16));
        assertEquals("b", h.entries().get(0).name());
        assertEquals(DType.I32, h.entry("b").dtype());
        assertEquals(8, h.entry("b").begin());
        assertEquals(Map.of("x", "y"), h.metadata());
        SafeTensors.Contents c = SafeTensors.read(dir.resolve("bad.safetensors"), arena);
        assertEquals(List.of("b", "a"), List.copyOf(c.tensors().keySet()));
        assertEquals(0.0, c.tensor("a").item());
    }

    @Test
    void rejectsBadTensorDescriptions() throws IOException {
        assertRejected(file("{" + tensor("w", "F33", "[1]", 0, 4) + "}", 4),
                "tensor \"w\": unknown dtype \"F33\" (supported: F32, F64, F16, BF16, I32, I64)");
        assertRejected(file("{" + tensor("w", "U8", "[4]", 0, 4) + "}", 4),
                "tensor \"w\": dtype \"U8\" is a safetensors dtype zerograd does not load");
        assertRejected(file("{" + tensor("w", "F32", "[1,1,1,1,1,1,1,1,1]", 0, 4) + "}", 4),
                "tensor \"w\": shape [1, 1, 1, 1, 1, 1, 1, 1, 1] has rank 9; zerograd tensors have at most 8 dims");
        assertRejected(file("{" + tensor("w", "F32", "[4611686018427387904,4]", 0, 4) + "}", 4),
                "tensor \"w\": shape [4611686018427387904, 4] of F32 needs more than");
        assertRejected(file("{" + tensor("w", "F32", "[1]", 8, 4) + "}", 8), "data_offsets [8, 4] end before they begin");
        assertRejected(file("{" + tensor("w", "F32", "[2]", 0, 4) + "}", 4),
                "tensor \"w\": shape [2] of F32 is 8 bytes but data_offsets [0, 4] span 4 bytes");
        assertRejected(file("{" + tensor("w", "F32", "[2,0]", 0, 4) + "}", 4), "is 0 bytes but data_offsets [0, 4] span 4 bytes");
    }

    @Test
    void rejectsOffsetsThatDoNotTileTheBuffer() throws IOException {
        assertRejected(file("{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F32", "[2]", 12, 20) + "}", 20),
                "tensor \"b\" begins at data byte 12 but the tensor before it, \"a\", ends at 8 (a gap of 4 bytes");
        assertRejected(file("{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F32", "[2]", 4, 12) + "}", 12),
                "tensor \"b\" begins at data byte 4 but the tensor before it, \"a\", ends at 8 (tensors overlap)");
        assertRejected(file("{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F32", "[2]", 0, 8) + "}", 8),
                "tensors overlap");
        assertRejected(file("{" + tensor("a", "F32", "[2]", 4, 12) + "}", 12), "the first tensor \"a\" begins at data byte 4, expected 0");
        assertRejected(file("{" + tensor("a", "F32", "[2]", 0, 8) + "}", 12),
                "the tensors cover 8 bytes of the data buffer but the file has 12 bytes after the header (4 trailing bytes");
        assertRejected(file("{}", 3), "the tensors cover 0 bytes", "3 trailing bytes");
        assertRejected(file("{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("b", "F64", "[1]", 8, 16) + "}", 12),
                "tensor \"b\" occupies data bytes [8, 16) but the file has only 12 bytes after the header (truncated file?)");
    }

    @Test
    void aTruncatedFileIsRejectedBeforeAnythingIsAllocated() throws IOException {
        Path file = dir.resolve("cut.safetensors");
        SafeTensors.write(file, Map.of("w", filled(DType.F32, 4, 4)));
        byte[] whole = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(whole, whole.length - 4));
        long used = arena.bytesInUse();
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(file, arena));
        assertTrue(e.getMessage().contains("tensor \"w\" occupies data bytes [0, 64) but the file has only 60 bytes"), e.getMessage());
        assertEquals(used, arena.bytesInUse());
        Files.write(file, Arrays.copyOf(whole, 30));
        assertThrows(SafeTensorsException.class, () -> SafeTensors.read(file, arena));
    }
}
