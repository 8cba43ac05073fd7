package dev.zerograd.nn.data;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (or MNIST: same files, same format) loaded off-heap: 60,000 training and 10,000 test
 * images of 28x28 pixels as normalised F32, and their labels in {@code [0, 10)}.
 *
 * <pre>{@code
 * try (FashionMnist data = FashionMnist.load(FashionMnist.DEFAULT_DIR)) {
 *     BatchLoader loader = new BatchLoader(data.train(), BatchLoader.Options.shuffled(64, seed));
 *     ...
 * }
 * }</pre>
 *
 * <p>{@link #load(Path)} looks in a directory for {@code train-images-idx3-ubyte.gz},
 * {@code train-labels-idx1-ubyte.gz}, {@code t10k-images-idx3-ubyte.gz} and
 * {@code t10k-labels-idx1-ubyte.gz} (or the same names without {@code .gz}), as Debian's
 * {@code dataset-fashion-mnist} package installs them in {@value #DEBIAN_DIR}. It checks every file
 * before loading (see {@link Idx}), that each images file has as many images as its labels file has
 * labels, and that training and test images have the same size.
 */
public final class FashionMnist implements AutoCloseable {
    /** Where Debian's {@code dataset-fashion-mnist} package installs the files. */
    public static final String DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";
    /** {@link #DEBIAN_DIR} as a path. */
    public static final Path DEFAULT_DIR = Path.of(DEBIAN_DIR);

    /** Mean pixel value of the Fashion-MNIST training images, in [0, 1]. */
    public static final double MEAN = 0.2860;
    /** Standard deviation of the Fashion-MNIST training pixels, in [0, 1]. */
    public static final double STD = 0.3530;
    /** Mean pixel value of the MNIST digit training images. */
    public static final double MNIST_MEAN = 0.1307;
    /** Standard deviation of the MNIST digit training pixels. */
    public static final double MNIST_STD = 0.3081;
    /** Number of classes. */
    public static final int CLASSES = 10;
    /** The Fashion-MNIST class of each label. */
    public static final List<String> CLASS_NAMES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    /**
     * How to load.
     *
     * @param mean subtracted from each pixel scaled to [0, 1]
     * @param std then divided by this
     * @param flat images as {@code [N, rows * cols]} (for MLPs) instead of {@code [N, 1, rows, cols]}
     * @param labelType I64 or I32
     */
    public record Options(double mean, double std, boolean flat, DType labelType) {
        public Options {
            if (!Double.isFinite(mean) || !Double.isFinite(std) || std <= 0) {
                throw new IllegalArgumentException("FashionMnist.Options: mean " + mean + " and std " + std
                        + " must be finite, with std > 0");
            }
            if (labelType != DType.I64 && labelType != DType.I32) {
                throw new IllegalArgumentException("FashionMnist.Options: labels dtype must be i64 or i32, got " + labelType);
            }
        }

        /** Fashion-MNIST's mean and std, images {@code [N, 1, 28, 28]}, I64 labels. */
        public static Options defaults() {
            return new Options(MEAN, STD, false, DType.I64);
        }

        public Options withFlat(boolean value) {
            return new Options(mean, std, value, labelType);
        }

        public Options withNormalization(double newMean, double newStd) {
            return new Options(newMean, newStd, flat, labelType);
        }

        public Options withLabelType(DType type) {
            return new Options(mean, std, flat, type);
        }
    }

    private final Dataset train;
    private final Dataset test;
    private final TensorArena ownedArena; // null when the caller's arena holds the tensors

    private FashionMnist(Dataset train, Dataset test, TensorArena ownedArena) {
        this.train = train;
        this.test = test;
        this.ownedArena = ownedArena;
    }

    /** Loads with {@link Options#defaults()} into an arena of its own, freed by {@link #close()}. */
    public static FashionMnist load(Path dir) throws IOException {
        return load(dir, Options.defaults());
    }

    /** Loads into a shared arena of its own, sized to the files and freed by {@link #close()}. */
    public static FashionMnist load(Path dir, Options options) throws IOException {
        FileSet files = FileSet.find(dir);
        Idx.Header trainImages = Idx.readHeader(files.trainImages, Idx.IMAGES_MAGIC);
        Idx.Header testImages = Idx.readHeader(files.testImages, Idx.IMAGES_MAGIC);
        long labelBytes = options.labelType.byteSize();
        long bytes = aligned(trainImages.dataBytes() * Float.BYTES) + aligned(testImages.dataBytes() * Float.BYTES)
                + aligned(trainImages.count() * labelBytes) + aligned(testImages.count() * labelBytes);
        TensorArena arena = TensorArena.ofShared("fashion-mnist", Math.max(bytes, TensorArena.ALIGNMENT));
        try {
            Dataset[] sets = loadInto(files, arena, options);
            return new FashionMnist(sets[0], sets[1], arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Loads into {@code arena}, which must hold about 220 MB for Fashion-MNIST; {@link #close()} then does nothing. */
    public static FashionMnist load(Path dir, TensorArena arena, Options options) throws IOException {
        Dataset[] sets = loadInto(FileSet.find(dir), arena, options);
        return new FashionMnist(sets[0], sets[1], null);
    }

    private static Dataset[] loadInto(FileSet files, TensorArena arena, Options options) throws IOException {
        Idx.Header trainImages = Idx.readHeader(files.trainImages, Idx.IMAGES_MAGIC);
        Idx.Header trainLabels = Idx.readHeader(files.trainLabels, Idx.LABELS_MAGIC);
        Idx.Header testImages = Idx.readHeader(files.testImages, Idx.IMAGES_MAGIC);
        Idx.Header testLabels = Idx.readHeader(files.testLabels, Idx.LABELS_MAGIC);
        checkCounts(trainImages, trainLabels);
        checkCounts(testImages, testLabels);
        long[] a = trainImages.dims();
        long[] b = testImages.dims();
        if (a[1] != b[1] || a[2] != b[2]) {
            throw new IdxFormatException(files.testImages, "test images are " + b[1] + "x" + b[2] + " but the training images in "
                    + files.trainImages.getFileName() + " are " + a[1] + "x" + a[2]);
        }
        Dataset train = new Dataset("fashion-mnist train",
                Idx.readImages(files.trainImages, arena, options.mean, options.std, options.flat),
                Idx.readLabels(files.trainLabels, arena, options.labelType, CLASSES), CLASSES);
        Dataset test = new Dataset("fashion-mnist test",
                Idx.readImages(files.testImages, arena, options.mean, options.std, options.flat),
                Idx.readLabels(files.testLabels, arena, options.labelType, CLASSES), CLASSES);
        return new Dataset[] {train, test};
    }

    private static void checkCounts(Idx.Header images, Idx.Header labels) throws IdxFormatException {
        if (images.count() != labels.count()) {
            throw new IdxFormatException(labels.file(), "has " + labels.count() + " labels but " + images.file().getFileName()
                    + " has " + images.count() + " images; the counts must match");
        }
    }

    private static long aligned(long bytes) {
        return (bytes + TensorArena.ALIGNMENT - 1) & -TensorArena.ALIGNMENT;
    }

    /** The 60,000 training examples. */
    public Dataset train() {
        return train;
    }

    /** The 10,000 test examples. */
    public Dataset test() {
        return test;
    }

    /** Frees the arena this instance created; the tensors of {@link #train()} and {@link #test()} become stale. */
    @Override
    public void close() {
        if (ownedArena != null) {
            ownedArena.close();
        }
    }

    // ---------------------------------------------------------------- finding the files

    /** The four files of a dataset directory. */
    private record FileSet(Path trainImages, Path trainLabels, Path testImages, Path testLabels) {
        static FileSet find(Path dir) throws NoSuchFileException {
            if (!Files.isDirectory(dir)) {
                throw new NoSuchFileException(dir.toString(), null, "Fashion-MNIST directory not found: " + HINT);
            }
            return new FileSet(resolve(dir, TRAIN_IMAGES), resolve(dir, TRAIN_LABELS), resolve(dir, TEST_IMAGES), resolve(dir, TEST_LABELS));
        }
    }

    private static final String HINT = "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist; it puts the"
            + " files in " + DEBIAN_DIR + ") or pass --data DIR with the four *-ubyte.gz files";

    /**
     * {@code dir/base.gz}, else {@code dir/base}.
     *
     * @throws NoSuchFileException naming the missing file and how to get it
     */
    public static Path resolve(Path dir, String base) throws NoSuchFileException {
        Path gz = dir.resolve(base + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        Path plain = dir.resolve(base);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        throw new NoSuchFileException(gz.toString(), null, "Fashion-MNIST file not found (nor " + base
                + " uncompressed): " + HINT);
    }

    @Override
    public String toString() {
        return "FashionMnist(train " + describe(train) + ", test " + describe(test) + ")";
    }

    private static String describe(Dataset d) {
        Tensor x = d.images();
        return x.isValid() ? x.describe() + " / " + d.labels().describe() : "freed";
    }
}
