package dev.zerograd.nn.io;

import java.io.IOException;

/**
 * A safetensors file that is malformed, or that does not match the tensors it is loaded into: the message
 * names the file and what is wrong.
 */
public final class SafeTensorsException extends IOException {
    private static final long serialVersionUID = 1L;

    /** @param source the file (or other source) the problem is in, for the message */
    public SafeTensorsException(String source, String problem) {
        super(source + ": " + problem);
    }
}
