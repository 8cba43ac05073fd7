package dev.zerograd.bindings;

import java.util.List;

/**
 * A native library could not be found, opened or used. The message names every place searched
 * and how to provide the library; {@link #searched()} lists the places, one line each.
 */
public final class NativeLibraryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** One line per place tried, in order; empty when the failure was not a search. */
    private final String[] searched;

    public NativeLibraryException(String message) {
        this(message, List.of(), null);
    }

    public NativeLibraryException(String message, Throwable cause) {
        this(message, List.of(), cause);
    }

    public NativeLibraryException(String message, List<String> searched, Throwable cause) {
        super(message, cause);
        this.searched = searched.toArray(String[]::new);
    }

    /** The places searched, one line each, in the order they were tried; empty when unknown. */
    public List<String> searched() {
        return List.of(searched);
    }
}
