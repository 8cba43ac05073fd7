package dev.zerograd.bindings;

/**
 * A native library could not be found, opened or used. The message names every place searched
 * and how to provide the library.
 */
public final class NativeLibraryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
