package dev.zerograd.nn.data;

import static dev.zerograd.nn.data.IdxFiles.gzip;
import static dev.zerograd.nn.data.IdxFiles.images;
import static dev.zerograd.nn.data.IdxFiles.labels;
import static dev.zerograd.nn.data.IdxFiles.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a dataset directory: synthetic ones written here, and the real Fashion-MNIST when installed. */
class FashionMnistTest {
    @TempDir
    Path dir;

    /** A small dataset: 12 training images (gzip) and 5 test images (plain files), 28x28. */
    private void writeSmallDataset() {
        write(dir, "train-images-idx3-ubyte.gz", gzip(images(12, 28, 28)));
        write(dir, "train-labels-idx1-ubyte.gz", gzip(labels(12, 10)));
        write(dir, "t10k-images-idx3-ubyte", images(5, 28, 28));
        write(dir, "t10k-labels-idx1-ubyte", labels(5, 10));
    }

    @Test
    void loadsADirectoryIntoItsOwnArena() throws IOException {
        writeSmallDataset();
        Tensor kept;
        try (FashionMnist data = FashionMnist.load(dir)) {
            Dataset train = data.train();
            assertEquals(12, train.size());
            assertEquals(10, train.classes());
            assertArrayEquals(new long[] {12, 1, 28, 28}, train.images().shape());
            assertEquals(DType.I64, train.labels().dtype());
            assertArrayEquals(new long[] {5, 1, 28, 28}, data.test().images().shape());
            assertEquals((float) ((IdxFiles.pixel(3, 4, 5) / 255.0 - FashionMnist.MEAN) / FashionMnist.STD),
                    train.images().getFloat(3, 0, 4, 5));
            assertEquals(7, train.labels().getDouble(7));
            Tensor flat = train.flatImages();
            assertArrayEquals(new long[] {12, 784}, flat.shape());
            assertEquals(train.images().getFloat(3, 0, 4, 5), flat.getFloat(3, 4 * 28 + 5));
            kept = train.images();
        }
        assertFalse(kept.isValid(), "close() frees the arena the loader made");
    }

    @Test
    void loadsIntoACallersArenaWithOptions() throws IOException {
        writeSmallDataset();
        FashionMnist.Options options = FashionMnist.Options.defaults().withFlat(true).withLabelType(DType.I32)
                .withNormalization(FashionMnist.MNIST_MEAN, FashionMnist.MNIST_STD);
        try (TensorArena arena = TensorArena.ofShared("data", 1 << 20)) {
            FashionMnist data = FashionMnist.load(dir, arena, options);
            assertArrayEquals(new long[] {12, 784}, data.train().images().shape());
            assertEquals(DType.I32, data.test().labels().dtype());
            assertEquals((float) ((IdxFiles.pixel(0, 0, 2) / 255.0 - 0.1307) / 0.3081), data.train().images().getFloat(0, 2));
            data.close(); // the caller's arena stays open
            assertTrue(data.train().images().isValid());
        }
    }

    @Test
    void imageAndLabelCountsMustMatch() {
        writeSmallDataset();
        write(dir, "train-labels-idx1-ubyte.gz", gzip(labels(11, 10)));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().contains("train-labels-idx1-ubyte.gz: has 11 labels but train-images-idx3-ubyte.gz has 12 images"),
                e.getMessage());
    }

    @Test
    void trainAndTestImagesMustHaveTheSameSize() {
        writeSmallDataset();
        write(dir, "t10k-images-idx3-ubyte", images(5, 14, 14));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().contains("test images are 14x14 but the training images in train-images-idx3-ubyte.gz are 28x28"),
                e.getMessage());
    }

    @Test
    void aMissingFileSaysHowToGetIt() throws IOException {
        writeSmallDataset();
        Files.delete(dir.resolve("t10k-labels-idx1-ubyte"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().contains("t10k-labels-idx1-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("install Debian's dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("--data DIR"), e.getMessage());
        NoSuchFileException noDir = assertThrows(NoSuchFileException.class, () -> FashionMnist.load(dir.resolve("absent")));
        assertTrue(noDir.getMessage().contains("absent") && noDir.getMessage().contains("--data DIR"), noDir.getMessage());
    }

    @Test
    void aTruncatedFileIsNamed() {
        writeSmallDataset();
        write(dir, "t10k-images-idx3-ubyte", java.util.Arrays.copyOf(images(5, 28, 28), 100));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> FashionMnist.load(dir));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte: truncated"), e.getMessage());
    }

    /** The real test set, when Debian's dataset-fashion-mnist is installed: counts, classes, pinned pixels. */
    @Test
    void realFashionMnist() throws IOException {
        assumeTrue(Files.isRegularFile(FashionMnist.DEFAULT_DIR.resolve("t10k-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed in " + FashionMnist.DEBIAN_DIR);
        try (FashionMnist data = FashionMnist.load(FashionMnist.DEFAULT_DIR)) {
            assertEquals(60_000, data.train().size());
            assertEquals(10_000, data.test().size());
            assertArrayEquals(new long[] {10_000, 1, 28, 28}, data.test().images().shape());
            assertArrayEquals(counts(10, 1_000), histogram(data.test().labels()));
            assertArrayEquals(counts(10, 6_000), histogram(data.train().labels()));
            assertArrayEquals(new long[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, data.test().labels().slice(0, 0, 10).toLongArray());

            // Map each normalised value back to its byte and sum the bytes: the total is that of the file's
            // pixel bytes, computed independently with Python's gzip module. The inverse is exact: the 256
            // normalised values are distinct floats, and each pixel is checked to be the one of its byte.
            float[] lut = new float[256];
            for (int v = 0; v < 256; v++) {
                lut[v] = (float) ((v / 255.0 - FashionMnist.MEAN) / FashionMnist.STD);
            }
            float[] pixels = data.test().images().toFloatArray();
            long sum = 0;
            int[] bytes = new int[pixels.length];
            for (int i = 0; i < pixels.length; i++) {
                int v = (int) Math.round((pixels[i] * FashionMnist.STD + FashionMnist.MEAN) * 255);
                if (v < 0 || v > 255 || lut[v] != pixels[i]) {
                    throw new AssertionError("pixel " + i + " = " + pixels[i] + " is no normalised byte");
                }
                bytes[i] = v;
                sum += v;
            }
            assertEquals(573_469_082L, sum);
            int[] row = java.util.Arrays.copyOfRange(bytes, 14 * 28 + 10, 14 * 28 + 17);
            assertArrayEquals(new int[] {0, 0, 98, 136, 110, 109, 110}, row);
        }
    }

    private static long[] histogram(Tensor labels) {
        long[] h = new long[10];
        for (long v : labels.toLongArray()) {
            h[(int) v]++;
        }
        return h;
    }

    private static long[] counts(int n, long each) {
        long[] c = new long[n];
        java.util.Arrays.fill(c, each);
        return c;
    }
}
