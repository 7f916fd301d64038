package dev.sequoia.engine.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;

/**
 * Streams planned tensors into a channel row by row through one reusable buffer: memory use is one buffer,
 * whatever the model's size. Used by the GGUF and safetensors writers.
 */
public final class RowStreamer {
    private static final int BUFFER_BYTES = 4 << 20;

    private final WritableByteChannel out;
    private ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);

    public RowStreamer(WritableByteChannel out) {
        this.out = out;
    }

    /** Generates, encodes and writes every row of {@code t}. */
    public void write(TensorPlan t) throws IOException {
        float[] row = new float[t.cols()];
        if (t.rowBytes() > buf.capacity()) {
            flush();
            buf = ByteBuffer.allocateDirect(Math.toIntExact(t.rowBytes())).order(ByteOrder.LITTLE_ENDIAN);
        }
        for (int r = 0; r < t.rowCount(); r++) {
            if (buf.remaining() < t.rowBytes()) flush();
            t.rows().fill(r, row);
            RowEncoder.encode(row, t.type(), buf);
        }
    }

    /** Writes {@code n} zero bytes (alignment padding). */
    public void pad(long n) throws IOException {
        for (long i = 0; i < n; i++) {
            if (!buf.hasRemaining()) flush();
            buf.put((byte) 0);
        }
    }

    public void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) out.write(buf);
        buf.clear();
    }
}
