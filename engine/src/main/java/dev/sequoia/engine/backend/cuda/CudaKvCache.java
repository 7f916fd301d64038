package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.DeviceBuffer;
import dev.sequoia.engine.model.LlamaConfig;

/**
 * One sequence's device KV cache for a {@link CudaTransformer}: keys and values (rows, kvDim) fp32 per layer,
 * and the host bookkeeping of its committed and pending rows ({@link TreeRows}). Sessions each hold their own
 * caches while the transformer (weights, scratch, streams) is shared, so their forwards can run as one pass
 * ({@link CudaTransformer#forward(java.util.List)}). Made by {@link CudaTransformer#newCache}; used only with
 * that transformer.
 *
 * <p>Owner: the session's decoder (or the transformer, for its own cache), which closes it before the
 * transformer and the context. Confined to the thread the context is current on.
 */
public final class CudaKvCache implements AutoCloseable {
    final CudaTransformer owner;
    final DeviceBuffer[] keys, values;
    final TreeRows rows;
    private final int kvDim;
    private boolean closed;

    CudaKvCache(CudaContext ctx, CudaTransformer owner, LlamaConfig c, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("a KV cache needs at least one row, got " + capacity);
        this.owner = owner;
        this.kvDim = c.kvDim();
        this.rows = new TreeRows(capacity);
        keys = new DeviceBuffer[c.layers()];
        values = new DeviceBuffer[c.layers()];
        try {
            for (int l = 0; l < c.layers(); l++) {
                keys[l] = ctx.allocate(4L * capacity * kvDim);
                values[l] = ctx.allocate(4L * capacity * kvDim);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Committed rows. */
    public int committed() { return rows.committed(); }

    /** Most rows (committed plus pending). */
    public int capacity() { return rows.capacity(); }

    /** Bytes of device memory: keys and values, fp32, every layer. */
    public long kvBytes() { return 8L * keys.length * rows.capacity() * kvDim; }

    boolean isClosed() { return closed; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (DeviceBuffer b : keys) if (b != null) b.close();
        for (DeviceBuffer b : values) if (b != null) b.close();
    }
}
