package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.Cublas;
import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaModule;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.cuda.DeviceBuffer;
import dev.sequoia.cuda.Kernel;
import dev.sequoia.cuda.PinnedHostBuffer;
import dev.sequoia.cuda.Kernel.Dim3;
import dev.sequoia.cuda.SequoiaKernels;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.offload.device.StreamedPass;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Llama forward pass on one GPU, with the CPU backend's semantics ({@code LlamaTransformer}): a batch of
 * tokens naming parents forms a tree; each token attends to the committed prefix, its ancestors and itself at
 * position {@code committed + depth}; one logits row per token. GEMMs are cuBLAS fp16 with fp32 accumulation
 * (the residual adds ride on beta = 1); everything else is in {@link SequoiaKernels}. Streamed layers arrive
 * through {@link StreamedPass}; the host enqueues a whole pass and waits once, for the logits.
 *
 * <p>Attention kernel: {@link TreeAttentionKernel#forModel} picks {@code tree_attention_gqa} when the head size is
 * a multiple of 32 up to 256, else the reference {@code tree_attention}; system property
 * {@code -Dsequoia.cuda.attention=naive|gqa} overrides (the constructor taking a kernel ignores it).
 *
 * <p>Quantized layer images ({@link CudaWeights#format} Q8_0 / Q4_0): before a layer's GEMMs, the layer's
 * image (resident or in its slot) is dequantized on the compute stream into one reusable fp16 scratch image
 * ({@link LayerDequantizer}); this happens between the layer's "ready" wait and its "slot free" record, so the
 * streamed pass's ordering covers it. The GEMMs then read fp16 exactly as for an fp16 model.
 *
 * <p>Owner and threading: one engine thread owns the context, this object, its KV cache and scratch; not
 * thread-safe. {@link #close()} frees scratch, cache, streams and module (the weights have their own owner).
 */
public final class CudaTransformer implements AutoCloseable {
    private static final int BLOCK = 256;
    private final CudaContext ctx;
    private final LlamaConfig c;
    private final CudaWeights w;
    private final CudaModule module;
    private final CudaStream compute;
    private final Cublas blas;
    private final CudaStreamDevice streamDevice;
    private final StreamedPass pass;
    private final DeviceBuffer[] keys, values;
    private final DeviceBuffer invFreq;
    private final TreeRows rows;
    private final int maxBatch;
    private final Scratch s;
    private final TreeAttentionKernel attention;
    private final LayerDequantizer dequantizer; // null for fp16 images
    private final StagedInputs<DeviceBuffer> inputs; // per-pass inputs, ordered on the compute stream

    public CudaTransformer(CudaContext ctx, CudaWeights weights, int cacheRows, int maxBatch) {
        this(ctx, weights, cacheRows, maxBatch, TreeAttentionKernel.forModel(weights.config));
    }

    public CudaTransformer(CudaContext ctx, CudaWeights weights, int cacheRows, int maxBatch, TreeAttentionKernel attention) {
        if (!attention.supports(weights.config.headDim())) {
            throw new IllegalArgumentException(attention.symbol() + " does not support head size " + weights.config.headDim());
        }
        this.attention = attention;
        this.ctx = ctx;
        this.c = weights.config;
        this.w = weights;
        this.maxBatch = maxBatch;
        this.module = SequoiaKernels.load(ctx);
        this.compute = ctx.createStream();
        this.blas = Cublas.create(compute);
        this.streamDevice = new CudaStreamDevice(ctx, weights, compute);
        this.streamDevice.onCompute(this::layer);
        this.pass = new StreamedPass(weights.plan);
        this.rows = new TreeRows(cacheRows);
        keys = new DeviceBuffer[c.layers()];
        values = new DeviceBuffer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = ctx.allocate(4L * cacheRows * c.kvDim());
            values[l] = ctx.allocate(4L * cacheRows * c.kvDim());
        }
        invFreq = ctx.allocate(4L * (c.ropeDim() / 2));
        try (Arena a = Arena.ofConfined()) {
            invFreq.copyFrom(a.allocateFrom(ValueLayout.JAVA_FLOAT, inverseFrequencies(c)), 0);
        }
        s = new Scratch(ctx, c, maxBatch, cacheRows);
        inputs = new StagedInputs<>(new CudaStagingDevice(ctx, compute, 2, StagedInputs.slotBytes(maxBatch, cacheRows)));
        dequantizer = weights.format.isQuantized() ? new LayerDequantizer(ctx, weights.format, weights.fp16Offsets, weights.kquant, weights.offsets) : null;
        // the synchronous uploads so far (weights, inverse frequencies) may return before their DMA lands and do
        // not order the non-blocking compute stream: wait for all of them once, before the first kernel
        ctx.synchronize();
    }

    /** Pair j of ropeDim/2 rotates by pos * invFreq[j], scaling and per-pair factors applied as {@link dev.sequoia.engine.model.Rope} does. */
    static float[] inverseFrequencies(LlamaConfig c) {
        double[] d = dev.sequoia.engine.model.Rope.inverseFrequencies(c);
        float[] f = new float[d.length];
        for (int j = 0; j < f.length; j++) f[j] = (float) d[j];
        return f;
    }

    public int committed() { return rows.committed(); }

    /**
     * Drops committed rows from {@code length} on, and every pending row. The device rows past the new end
     * are stale but never read: attention reads the committed rows and the batch's own pending rows, and the
     * next forward overwrites rows from the committed end on.
     */
    public void truncate(int length) { rows.truncateCommitted(length); }

    /** Most rows the KV cache holds. */
    public int capacity() { return rows.capacity(); }

    /** Bytes of the device KV cache: keys and values, fp32, every layer. */
    public long kvBytes() { return 8L * c.layers() * rows.capacity() * c.kvDim(); }

    /** Most tokens one forward takes. */
    public int maxBatch() { return maxBatch; }

    /** The tree-attention kernel this transformer launches. */
    public TreeAttentionKernel attention() { return attention; }

    /** Appends the batch as pending rows and returns logits (n, vocab). */
    public float[][] forward(int[] tokens, int[] parents) {
        int n = tokens.length;
        if (n == 0 || n != parents.length || n > maxBatch) {
            throw new IllegalArgumentException("batch of " + n + " tokens with " + parents.length
                    + " parents; must be 1.." + maxBatch);
        }
        for (int t : tokens) {
            if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " is outside [0, " + c.vocabSize() + ")");
        }
        int first = rows.append(parents);
        try {
            enqueuePass(tokens, first);
            return readLogits(n);
        } catch (RuntimeException e) {
            rows.truncate(first);
            throw e;
        }
    }

    /** Commits the pending chain {@code path} (see KvCache.keep) and drops the other pending rows. */
    public void keep(int[] path) {
        int base = rows.committed();
        int[] src = rows.keep(path);
        if (path.length == 0) return;
        try (StagedInputs<DeviceBuffer>.Upload up = inputs.begin()) {
            up.ints(src, s.rowIndex);
        }
        long rowBytes = 4L * c.kvDim();
        for (int l = 0; l < c.layers(); l++) {
            for (DeviceBuffer cache : new DeviceBuffer[]{keys[l], values[l]}) {
                // gather kept rows into scratch, then one copy back: reads and writes never overlap
                launch("kv_gather_rows", path.length, cache.address(), s.gather.address(), s.rowIndex.address(), c.kvDim());
                cache.copyFromDeviceAsync(s.gather, 0, base * rowBytes, path.length * rowBytes, compute);
            }
        }
        compute.synchronize();
    }

    private void enqueuePass(int[] tokens, int first) {
        int n = tokens.length;
        int[] pos = new int[n];
        for (int t = 0; t < n; t++) pos[t] = rows.position(first + t);
        byte[] mask = rows.visibility(first, n);
        try (StagedInputs<DeviceBuffer>.Upload up = inputs.begin()) {
            up.ints(tokens, s.tokens).ints(pos, s.positions).bytes(mask, s.mask);
        }
        s.n = n;
        s.first = first;
        streamDevice.beginPass();
        // x (n, dim) = embedding rows
        launch("embedding_gather_f16", n, w.embedding.address(), s.tokens.address(), s.x.address(), c.dim());
        pass.issue(streamDevice);
        // logits (n, vocab) = classifier (vocab, dim) @ rmsnorm(x) (n, dim)
        launch("rmsnorm_f32_to_f16", n, s.x.address(), w.finalNorm(), s.xb16.address(), c.dim(), c.rmsEps());
        blas.gemmRowMajor(w.classifier.address(), c.vocabSize(), c.dim(), s.xb16.address(), n, s.logits.address(),
                Cublas.Out.F32);
        streamDevice.endPass();
    }

    /** The last forward's device-timed duration and its stall waiting for streamed layers (event-timed). */
    public PassTiming lastPassTiming() { return streamDevice.lastPass(); }

    /** Enqueues one block on the compute stream; slot -1 means the layer is resident. */
    private void layer(int l, int slot) {
        int n = s.n, dim = c.dim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        long image = w.layerBase(l, slot);
        // fp16 layer image the GEMMs read: the stored one, or the quantized one dequantized into scratch
        long base = dequantizer == null ? image : dequantizer.toFp16(module, compute, image, l);
        Fp16Layers.Offsets o = w.fp16Offsets;
        int row0 = rows.committed() + s.first;
        long kRows = keys[l].address(4L * row0 * kvDim), vRows = values[l].address(4L * row0 * kvDim);
        // attention: x += wo . attend(rope(wq.xb), rope(wk.xb), wv.xb), xb = rmsnorm(x)
        launch("rmsnorm_f32_to_f16", n, s.x.address(), w.attnNorm(l), s.xb16.address(), dim, c.rmsEps());
        blas.gemmRowMajor(base + o.q(), dim, dim, s.xb16.address(), n, s.q.address(), Cublas.Out.F32);  // (dim,dim)@(n,dim)->(n,dim)
        blas.gemmRowMajor(base + o.k(), kvDim, dim, s.xb16.address(), n, kRows, Cublas.Out.F32);        // -> cache rows (n,kvDim)
        blas.gemmRowMajor(base + o.v(), kvDim, dim, s.xb16.address(), n, vRows, Cublas.Out.F32);
        int halves = c.ropeLayout() == RopeLayout.HALVES ? 1 : 0;
        launch("rope_f32", n, s.q.address(), dim, c.heads(), c.headDim(), c.ropeDim(), s.positions.address(), invFreq.address(), halves);
        launch("rope_f32", n, kRows, kvDim, c.kvHeads(), c.headDim(), c.ropeDim(), s.positions.address(), invFreq.address(), halves);
        attention.launch(module, compute, s.q.address(), keys[l].address(), values[l].address(), s.att16.address(),
                s.mask.address(), n, rows.committed(), s.first + n, c.heads(), c.kvHeads(), c.headDim());
        blas.gemmRowMajor(base + o.o(), dim, dim, s.att16.address(), n, s.x.address(), Cublas.Out.F32, true);
        // feed-forward: x += w2 . (silu(w1.xb) * w3.xb), xb = rmsnorm(x)
        launch("rmsnorm_f32_to_f16", n, s.x.address(), w.ffnNorm(l), s.xb16.address(), dim, c.rmsEps());
        blas.gemmRowMajor(base + o.gate(), hidden, dim, s.xb16.address(), n, s.gate.address(), Cublas.Out.F32);
        blas.gemmRowMajor(base + o.up(), hidden, dim, s.xb16.address(), n, s.up.address(), Cublas.Out.F32);
        long count = (long) n * hidden;
        module.kernel("swiglu_f32_to_f16").launch(Dim3.of((int) Math.min(65535, (count + BLOCK - 1) / BLOCK)), Dim3.of(BLOCK), 0,
                compute, s.gate.address(), s.up.address(), s.h16.address(), count);
        blas.gemmRowMajor(base + o.down(), dim, hidden, s.h16.address(), n, s.x.address(), Cublas.Out.F32, true);
    }

    private void launch(String kernel, int gridX, Object... args) {
        module.kernel(kernel).launch(Dim3.of(gridX), Dim3.of(BLOCK), 0, compute, args);
    }

    private float[][] readLogits(int n) {
        int vocab = c.vocabSize();
        float[][] out = new float[n][vocab];
        MemorySegment host = s.logitsHost.segment();
        // the one host wait of a pass: the copy is queued behind the pass, into pinned memory (full PCIe rate;
        // a pageable copy of 2048 x 32000 logits ran at ~6 GB/s, a visible share of a large verification)
        s.logits.copyToAsync(0, host.asSlice(0, 4L * n * vocab), compute);
        compute.synchronize();
        for (int t = 0; t < n; t++) {
            MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 4L * t * vocab, out[t], 0, vocab);
        }
        return out;
    }

    @Override
    public void close() {
        compute.synchronize();
        inputs.close();
        if (dequantizer != null) dequantizer.close();
        s.close();
        invFreq.close();
        for (DeviceBuffer b : keys) b.close();
        for (DeviceBuffer b : values) b.close();
        streamDevice.close();
        blas.close();
        compute.close();
        module.close();
    }

    /** Device activations for batches of up to maxBatch tokens. */
    private static final class Scratch implements AutoCloseable {
        final DeviceBuffer x, xb16, q, att16, gate, up, h16, logits, tokens, positions, mask, rowIndex, gather;
        final PinnedHostBuffer logitsHost;
        int n, first;

        Scratch(CudaContext ctx, LlamaConfig c, int maxBatch, int cacheRows) {
            long nb = maxBatch;
            x = ctx.allocate(4 * nb * c.dim());
            xb16 = ctx.allocate(2 * nb * c.dim());
            q = ctx.allocate(4 * nb * c.dim());
            att16 = ctx.allocate(2 * nb * c.dim());
            gate = ctx.allocate(4 * nb * c.hiddenDim());
            up = ctx.allocate(4 * nb * c.hiddenDim());
            h16 = ctx.allocate(2 * nb * c.hiddenDim());
            logits = ctx.allocate(4 * nb * c.vocabSize());
            tokens = ctx.allocate(4 * nb);
            positions = ctx.allocate(4 * nb);
            mask = ctx.allocate(nb * cacheRows);
            rowIndex = ctx.allocate(4L * cacheRows);
            gather = ctx.allocate(4L * cacheRows * c.kvDim());
            logitsHost = ctx.allocatePinned(4 * nb * c.vocabSize());
        }

        @Override
        public void close() {
            for (DeviceBuffer b : new DeviceBuffer[]{x, xb16, q, att16, gate, up, h16, logits, tokens, positions, mask, rowIndex, gather}) b.close();
            logitsHost.close();
        }
    }
}
