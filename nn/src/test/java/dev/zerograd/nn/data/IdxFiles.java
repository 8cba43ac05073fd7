package dev.zerograd.nn.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Builds IDX files byte by byte for the tests. */
final class IdxFiles {
    private IdxFiles() {}

    /** The bytes of an IDX file: magic, big-endian sizes, then {@code data}. */
    static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length); // big-endian by default
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        return b.array();
    }

    /** Images {@code u8[n, rows, cols]} whose pixel {@code (i, r, c)} is {@code (i * 31 + r * 7 + c) % 256}. */
    static byte[] images(int n, int rows, int cols) {
        byte[] data = new byte[n * rows * cols];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    data[(i * rows + r) * cols + c] = (byte) pixel(i, r, c);
                }
            }
        }
        return idx(Idx.IMAGES_MAGIC, new int[] {n, rows, cols}, data);
    }

    static int pixel(int i, int r, int c) {
        return (i * 31 + r * 7 + c) % 256;
    }

    /** Labels {@code u8[n]}: label {@code i} is {@code i % classes}. */
    static byte[] labels(int n, int classes) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i % classes);
        }
        return idx(Idx.LABELS_MAGIC, new int[] {n}, data);
    }

    static byte[] gzip(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
