package dev.sequoia.offload.stream;

/**
 * Streaming a layer failed in the middle of a pass (read error, truncated file, failing copy engine). The
 * pass is over; the streamer has already stopped its loader and freed its slots, and the next pass starts
 * afresh. The cause carries the file and offset.
 */
public final class StreamFaultException extends RuntimeException {
    private final int layer;

    public StreamFaultException(int layer, Throwable cause) {
        super("streaming layer " + layer + " failed: " + cause.getMessage(), cause);
        this.layer = layer;
    }

    public int layer() { return layer; }
}
