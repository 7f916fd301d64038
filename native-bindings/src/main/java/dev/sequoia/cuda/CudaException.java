package dev.sequoia.cuda;

/**
 * A CUDA driver or cuBLAS call that returned an error. Carries the library, the call, the numeric status and
 * its symbolic name ({@code CUDA_ERROR_OUT_OF_MEMORY}, {@code CUBLAS_STATUS_INVALID_VALUE}), so logs and tests
 * can name the failure without a lookup table.
 */
public class CudaException extends RuntimeException {
    private final String library;
    private final String call;
    private final int status;
    private final String statusName;

    public CudaException(String library, String call, int status, String statusName, String detail) {
        super(call + " failed: " + statusName + " (" + library + " status " + status + ")"
                + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.library = library;
        this.call = call;
        this.status = status;
        this.statusName = statusName;
    }

    /** "CUDA driver" or "cuBLAS". */
    public String library() { return library; }

    /** The C function that failed, with a hint of its arguments. */
    public String call() { return call; }

    /** The raw CUresult or cublasStatus_t. */
    public int status() { return status; }

    /** The symbolic name of {@link #status()}. */
    public String statusName() { return statusName; }
}
