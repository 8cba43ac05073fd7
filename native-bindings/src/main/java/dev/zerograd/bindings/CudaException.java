package dev.zerograd.bindings;

/**
 * A CUDA runtime or cuBLAS call returned an error status. The message names the call, the status's
 * name and number, and the library's description of it, e.g. {@code "cudaMalloc failed:
 * cudaErrorMemoryAllocation (2): out of memory"}.
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int status;
    private final String statusName;

    public CudaException(String call, int status, String statusName, String description) {
        super(call + " failed: " + statusName + " (" + status + "): " + description);
        this.call = call;
        this.status = status;
        this.statusName = statusName;
    }

    /** The function that failed, e.g. {@code "cudaMalloc"}. */
    public String call() {
        return call;
    }

    /** The {@code cudaError_t} or {@code cublasStatus_t} it returned. */
    public int status() {
        return status;
    }

    /** The status's name, e.g. {@code "cudaErrorMemoryAllocation"}. */
    public String statusName() {
        return statusName;
    }
}
