package dev.zerograd.nn.data;

import java.io.IOException;
import java.nio.file.Path;

/** An IDX file that cannot be loaded: the message names the file and what is wrong with it. */
public final class IdxFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public IdxFormatException(Path file, String problem) {
        super("IDX file " + file + ": " + problem);
        this.file = file;
    }

    public IdxFormatException(Path file, String problem, Throwable cause) {
        super("IDX file " + file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file. */
    public Path file() {
        return file;
    }
}
