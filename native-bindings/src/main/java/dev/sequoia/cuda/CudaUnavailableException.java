package dev.sequoia.cuda;

/**
 * CUDA cannot be used here at all: no driver library, no device, or the driver refused to initialise. The
 * message says which, so "why did --backend cuda fail" has a one-line answer.
 */
public final class CudaUnavailableException extends RuntimeException {
    public CudaUnavailableException(String reason) {
        super("CUDA is not available: " + reason);
    }
}
