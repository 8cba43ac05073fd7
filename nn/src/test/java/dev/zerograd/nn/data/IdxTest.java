package dev.zerograd.nn.data;

import static dev.zerograd.nn.data.IdxFiles.gzip;
import static dev.zerograd.nn.data.IdxFiles.idx;
import static dev.zerograd.nn.data.IdxFiles.images;
import static dev.zerograd.nn.data.IdxFiles.labels;
import static dev.zerograd.nn.data.IdxFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The IDX reader on small files written here (gzip and plain, several image sizes) and on broken ones. */
class IdxTest {
    @TempDir
    Path dir;

    private TensorArena arena;

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("idx-test", 4 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private static float normalised(int pixel, double mean, double std) {
        return (float) ((pixel / 255.0 - mean) / std);
    }

    // ---------------------------------------------------------------- good files

    @ParameterizedTest(name = "{0} images of {1}x{2}, gzip {3}")
    @CsvSource({"3, 5, 4, false", "3, 5, 4, true", "1, 28, 28, true", "7, 2, 9, false", "2, 1, 1, true", "0, 3, 3, true"})
    void readsImagesOfAnySizeNormalised(int n, int rows, int cols, boolean gz) throws IOException {
        byte[] raw = images(n, rows, cols);
        Path file = write(dir, gz ? "img.gz" : "img", gz ? gzip(raw) : raw);
        Tensor x = Idx.readImages(file, arena, 0.25, 0.5, false);
        assertEquals(DType.F32, x.dtype());
        assertArrayEquals(new long[] {n, 1, rows, cols}, x.shape());
        assertTrue(x.isContiguous());
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    assertEquals(normalised(IdxFiles.pixel(i, r, c), 0.25, 0.5), x.getFloat(i, 0, r, c), "pixel " + i + "," + r + "," + c);
                }
            }
        }
        Tensor flat = Idx.readImages(file, arena, 0.25, 0.5, true);
        assertArrayEquals(new long[] {n, (long) rows * cols}, flat.shape());
        assertArrayEquals(x.toFloatArray(), flat.toFloatArray());
    }

    @Test
    void normalisationMapsTheByteRangeAffinely() throws IOException {
        byte[] data = new byte[256];
        for (int v = 0; v < 256; v++) {
            data[v] = (byte) v;
        }
        Path file = write(dir, "all.gz", gzip(idx(Idx.IMAGES_MAGIC, new int[] {1, 16, 16}, data)));
        float[] unit = Idx.readImages(file, arena, 0, 1, true).toFloatArray();
        float[] fashion = Idx.readImages(file, arena, FashionMnist.MEAN, FashionMnist.STD, true).toFloatArray();
        for (int v = 0; v < 256; v++) {
            assertEquals((float) (v / 255.0), unit[v]);
            assertEquals((float) ((v / 255.0 - 0.2860) / 0.3530), fashion[v]);
        }
        assertEquals(0f, unit[0]);
        assertEquals(1f, unit[255]);
    }

    @ParameterizedTest(name = "{0}, gzip {1}")
    @CsvSource({"I64, false", "I64, true", "I32, false", "I32, true"})
    void readsLabels(DType dtype, boolean gz) throws IOException {
        byte[] raw = labels(23, 10);
        Path file = write(dir, gz ? "lab.gz" : "lab", gz ? gzip(raw) : raw);
        Tensor y = Idx.readLabels(file, arena, dtype, 10);
        assertEquals(dtype, y.dtype());
        assertArrayEquals(new long[] {23}, y.shape());
        long[] expected = new long[23];
        Arrays.setAll(expected, i -> i % 10);
        assertArrayEquals(expected, y.toLongArray());
    }

    @Test
    void headerDescribesTheFile() throws IOException {
        Path file = write(dir, "img.gz", gzip(images(4, 3, 2)));
        Idx.Header h = Idx.readHeader(file, Idx.IMAGES_MAGIC);
        assertEquals(4, h.count());
        assertArrayEquals(new long[] {4, 3, 2}, h.dims());
        assertEquals(6, h.itemSize());
        assertEquals(16, h.headerBytes());
        assertEquals(24, h.dataBytes());
    }

    // ---------------------------------------------------------------- broken files

    private IdxFormatException fails(Path file, boolean images) {
        return assertThrows(IdxFormatException.class, () -> {
            if (images) {
                Idx.readImages(file, arena, 0, 1, false);
            } else {
                Idx.readLabels(file, arena, DType.I64, 10);
            }
        });
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
        }
    }

    @Test
    void truncatedDataGivesExpectedAndFoundBytes() {
        byte[] raw = images(3, 5, 4); // 16-byte header + 60 bytes
        Path file = write(dir, "cut", Arrays.copyOf(raw, raw.length - 10));
        IdxFormatException e = fails(file, true);
        assertMessage(e, file.toString(), "truncated", "promises 60 bytes", "ends after 50", "2 complete of 3");
        assertEquals(file, e.file());
    }

    @Test
    void truncatedGzipIsReportedAsTruncation() {
        byte[] gz = gzip(images(20, 28, 28));
        Path file = write(dir, "cut.gz", Arrays.copyOf(gz, gz.length / 2));
        assertMessage(fails(file, true), "cut.gz", "truncated", "promises 15680 bytes", "decompressed file ends after");
    }

    @Test
    void truncatedHeader() {
        Path shortMagic = write(dir, "two", new byte[] {0, 0});
        assertMessage(fails(shortMagic, true), "truncated", "2 bytes, too short for the 4-byte IDX magic");
        Path empty = write(dir, "empty", new byte[0]);
        assertMessage(fails(empty, false), "truncated", "0 bytes");
        Path shortDims = write(dir, "dims", Arrays.copyOf(images(1, 2, 2), 9));
        assertMessage(fails(shortDims, true), "truncated in its header", "expected 16 header bytes");
    }

    @Test
    void wrongMagicGivesExpectedAndFoundInHex() {
        Path file = write(dir, "labels-as-images", labels(3, 10));
        assertMessage(fails(file, true), "wrong magic number", "expected 0x00000803", "found 0x00000801", "a labels file");
        Path images = write(dir, "images-as-labels.gz", gzip(images(2, 2, 2)));
        assertMessage(fails(images, false), "expected 0x00000801", "found 0x00000803");
        Path garbage = write(dir, "garbage", new byte[] {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0});
        assertMessage(fails(garbage, true), "found 0x12345678 (not an IDX magic");
        Path floats = write(dir, "floats", idx(0x00000D03, new int[] {1, 1, 1}, new byte[4]));
        assertMessage(fails(floats, true), "found 0x00000d03 (32-bit float, 3 dims)");
    }

    @Test
    void aGzNameWithoutGzipContentIsRejected() {
        Path file = write(dir, "plain.gz", images(1, 2, 2));
        assertMessage(fails(file, true), "plain.gz", "is not gzip", "0x00 0x00", "expected the gzip magic 0x1f 0x8b");
        Path empty = write(dir, "empty.gz", new byte[0]);
        assertMessage(fails(empty, true), "is not gzip", "empty file");
    }

    @Test
    void corruptGzipIsReported() {
        byte[] gz = gzip(images(3, 4, 4));
        gz[gz.length - 6] ^= 0x55; // the CRC-32 in the trailer
        Path file = write(dir, "crc.gz", gz);
        assertMessage(fails(file, true), "crc.gz", "gzip data is corrupt");
        byte[] header = gzip(images(1, 1, 1));
        header[2] = 9; // compression method: only 8 (deflate) exists
        Path method = write(dir, "method.gz", header);
        assertMessage(fails(method, true), "method.gz", "broken gzip header");
    }

    @Test
    void trailingBytesAreRejected() {
        byte[] raw = images(2, 3, 3);
        Path file = write(dir, "long", Arrays.copyOf(raw, raw.length + 1));
        assertMessage(fails(file, true), "trailing bytes", "18 data bytes after the 16-byte header");
        Path gz = write(dir, "long.gz", gzip(Arrays.copyOf(labels(5, 10), 13 + 3)));
        assertMessage(fails(gz, false), "long.gz", "trailing bytes");
    }

    @Test
    void dimsThatDoNotFitAreRejected() {
        Path huge = write(dir, "huge", idx(Idx.IMAGES_MAGIC, new int[] {0x80000000, 1, 1}, new byte[0]));
        assertMessage(fails(huge, true), "size 2147483648 of dim 0 does not fit a signed 32-bit int");
        Path zero = write(dir, "zero", idx(Idx.IMAGES_MAGIC, new int[] {4, 0, 28}, new byte[0]));
        assertMessage(fails(zero, true), "dims [4, 0, 28] describe items with no elements");
        int max = Integer.MAX_VALUE;
        Path overflow = write(dir, "overflow", idx(Idx.IMAGES_MAGIC, new int[] {max, max, max}, new byte[0]));
        assertMessage(fails(overflow, true), "more elements than a tensor can hold");
    }

    @Test
    void labelsMustBeBelowTheClassCount() {
        byte[] raw = labels(6, 10);
        raw[8 + 3] = 12;
        Path file = write(dir, "bad-label", raw);
        assertMessage(fails(file, false), "bad-label", "label 12 at index 3 is not below the 10 classes");
    }

    @Test
    void missingFile() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Idx.readImages(dir.resolve("nope.gz"), arena, 0, 1, false));
        assertMessage(e, "nope.gz", "not found");
    }

    @Test
    void badArgumentsAreRejected() {
        Path file = write(dir, "lab", labels(2, 2));
        assertThrows(IllegalArgumentException.class, () -> Idx.readImages(file, arena, 0, 0, false));
        assertThrows(IllegalArgumentException.class, () -> Idx.readImages(file, arena, Double.NaN, 1, false));
        assertThrows(IllegalArgumentException.class, () -> Idx.readLabels(file, arena, DType.F32, 10));
        assertThrows(IllegalArgumentException.class, () -> Idx.readLabels(file, arena, DType.I64, 0));
    }
}
