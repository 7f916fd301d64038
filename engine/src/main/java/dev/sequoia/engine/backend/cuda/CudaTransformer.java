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
import dev.sequoia.engine.session.PassModel;
import dev.sequoia.offload.device.StreamedPass;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

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
 * <p>Several sequences, one pass (issue 18): each sequence has its own device KV cache ({@link CudaKvCache},
 * {@link #newCache}) and {@link #forward(List)} runs the rows of several of them as one batch: one embedding
 * gather, one pass over the (streamed) layers whose GEMMs take every row, RoPE at each row's own position, each
 * part's K/V rows copied into its own cache, tree attention per part over its own cache and mask, and the
 * classifier over the rows that want logits only ({@link PassLayout}). A transformer made with {@code cacheRows}
 * &gt; 0 also owns one cache of its own, which the single-sequence methods ({@link #forward(int[], int[])},
 * {@link #keep(int[])}, ...) use; the engine's sessions share one transformer with {@code cacheRows} = 0 and hold
 * their own caches. The scratch and the pinned staging grow when a pass needs more than they hold.
 *
 * <p>Owner and threading: one engine thread owns the context, this object, its caches and scratch; not
 * thread-safe. {@link #close()} frees scratch, its own cache, streams and module (the weights have their own
 * owner; caches made by {@link #newCache} are their holders' to close, before this object).
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
    private final DeviceBuffer invFreq;
    private final CudaKvCache own; // null for a transformer shared by sequences that hold their own caches
    private final int maxBatch;
    private Scratch s;
    private final TreeAttentionKernel attention;
    private final LayerDequantizer dequantizer; // null for fp16 images
    private StagedInputs<DeviceBuffer> inputs; // per-pass inputs, ordered on the compute stream
    private long stagingBytes;
    private volatile long sharedForwards; // forwards that ran several sequences as one pass (one writer: the engine thread)
    /** The pass being enqueued: its layout and each part's cache (read by {@link #layer}). */
    private PassLayout layout;
    private CudaKvCache[] caches;
    /** Forwards of models over caches of this transformer share a pass (one key per transformer). */
    private final PassModel.Key passKey = requests -> forward(CudaDecodingModel.parts(this, requests));

    public CudaTransformer(CudaContext ctx, CudaWeights weights, int cacheRows, int maxBatch) {
        this(ctx, weights, cacheRows, maxBatch, TreeAttentionKernel.forModel(weights.config));
    }

    /**
     * @param cacheRows rows of this transformer's own KV cache (for the single-sequence methods), or 0 for none
     *                  (a transformer whose sequences hold caches of {@link #newCache})
     * @param maxBatch  most tokens of a single-sequence forward; the initial scratch capacity of a shared one
     */
    public CudaTransformer(CudaContext ctx, CudaWeights weights, int cacheRows, int maxBatch, TreeAttentionKernel attention) {
        if (!attention.supports(weights.config.headDim())) {
            throw new IllegalArgumentException(attention.symbol() + " does not support head size " + weights.config.headDim());
        }
        if (cacheRows < 0 || maxBatch < 1) {
            throw new IllegalArgumentException("cacheRows " + cacheRows + " must be >= 0 and maxBatch " + maxBatch + " >= 1");
        }
        this.attention = attention;
        this.ctx = ctx;
        this.c = weights.config;
        this.w = weights;
        this.maxBatch = maxBatch;
        try {
            this.module = SequoiaKernels.load(ctx);
            this.compute = ctx.createStream();
            this.blas = Cublas.create(compute);
            this.streamDevice = new CudaStreamDevice(ctx, weights, compute);
            this.streamDevice.onCompute(this::layer);
            this.pass = new StreamedPass(weights.plan);
            this.own = cacheRows > 0 ? new CudaKvCache(ctx, this, c, cacheRows) : null;
            invFreq = ctx.allocate(4L * (c.ropeDim() / 2));
            try (Arena a = Arena.ofConfined()) {
                invFreq.copyFrom(a.allocateFrom(ValueLayout.JAVA_FLOAT, inverseFrequencies(c)), 0);
            }
            // a single sequence's forward never needs more than this; a shared pass grows it (ensureCapacity)
            int rowsSeen = cacheRows > 0 ? cacheRows : maxBatch;
            s = new Scratch(ctx, c, maxBatch, (long) maxBatch * rowsSeen, rowsSeen, maxBatch);
            stagingBytes = StagedInputs.slotBytes(maxBatch, rowsSeen);
            inputs = new StagedInputs<>(new CudaStagingDevice(ctx, compute, 2, stagingBytes));
            dequantizer = weights.format.isQuantized() ? new LayerDequantizer(ctx, weights.format, weights.fp16Offsets, weights.kquant, weights.offsets) : null;
            // the synchronous uploads so far (weights, inverse frequencies) may return before their DMA lands and do
            // not order the non-blocking compute stream: wait for all of them once, before the first kernel
            ctx.synchronize();
        } catch (RuntimeException e) {
            // made lazily while sessions are served: an allocation that fails must not leak what was made before it
            try {
                close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Pair j of ropeDim/2 rotates by pos * invFreq[j], scaling and per-pair factors applied as {@link dev.sequoia.engine.model.Rope} does. */
    static float[] inverseFrequencies(LlamaConfig c) {
        double[] d = dev.sequoia.engine.model.Rope.inverseFrequencies(c);
        float[] f = new float[d.length];
        for (int j = 0; j < f.length; j++) f[j] = (float) d[j];
        return f;
    }

    /** A new, empty KV cache of {@code capacity} rows for one sequence of this transformer; the caller closes it. */
    public CudaKvCache newCache(int capacity) { return new CudaKvCache(ctx, this, c, capacity); }

    /** Forwards so far that ran the rows of several sequences as one pass. */
    public long sharedForwards() { return sharedForwards; }

    /** The key under which forwards over this transformer's caches share one pass ({@link PassModel#passKey}). */
    public PassModel.Key passKey() { return passKey; }

    public int committed() { return own().committed(); }

    /**
     * Drops committed rows from {@code length} on, and every pending row. The device rows past the new end
     * are stale but never read: attention reads the committed rows and the batch's own pending rows, and the
     * next forward overwrites rows from the committed end on.
     */
    public void truncate(int length) { truncate(own(), length); }

    /** {@link #truncate(int)} of one of this transformer's caches. */
    public void truncate(CudaKvCache cache, int length) {
        checkOwned(cache);
        cache.rows.truncateCommitted(length);
    }

    /** Most rows the own KV cache holds. */
    public int capacity() { return own().capacity(); }

    /** Bytes of the own device KV cache: keys and values, fp32, every layer. */
    public long kvBytes() { return own().kvBytes(); }

    /** Most tokens one single-sequence forward takes. */
    public int maxBatch() { return maxBatch; }

    /** The tree-attention kernel this transformer launches. */
    public TreeAttentionKernel attention() { return attention; }

    private CudaKvCache own() {
        if (own == null) throw new IllegalStateException("this transformer has no KV cache of its own: its sequences hold theirs");
        return own;
    }

    /** Appends the batch as pending rows of the own cache and returns logits (n, vocab). */
    public float[][] forward(int[] tokens, int[] parents) {
        int n = tokens.length;
        if (n == 0 || n != parents.length || n > maxBatch) {
            throw new IllegalArgumentException("batch of " + n + " tokens with " + parents.length
                    + " parents; must be 1.." + maxBatch);
        }
        return forward(List.of(new Part(own(), tokens, parents, 0))).getFirst();
    }

    /**
     * One sequence's share of a shared forward: its cache (of this transformer) and the rows appended to the
     * cache's pending rows (parent: a pending row of this cache, -1 for its last committed token); logits for
     * the rows from {@code logitsFrom} on (the rows before it are a prompt chain fed in the same pass).
     */
    public record Part(CudaKvCache cache, int[] tokens, int[] parents, int logitsFrom) {
        public Part {
            if (logitsFrom < 0 || logitsFrom > tokens.length) {
                throw new IllegalArgumentException("logitsFrom " + logitsFrom + " is outside [0, " + tokens.length + "]");
            }
        }
    }

    /**
     * One forward over several sequences, each with its own cache: the GEMMs and the classifier run once over every
     * part's rows, attention per part against its own cache. A row's logits are those the part alone would give,
     * up to cuBLAS's summation order for a different batch size. Returns logits per part, in order (a part's rows
     * from its logitsFrom on). On an exception every cache's rows are as before the call.
     */
    public List<float[][]> forward(List<Part> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("a shared forward needs at least one part");
        Set<CudaKvCache> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Part p : parts) {
            validate(p);
            if (!seen.add(p.cache())) throw new IllegalArgumentException("two parts of one forward share a KV cache");
        }
        int[] first = new int[parts.size()];
        int appended = 0;
        boolean done = false;
        try {
            List<PassLayout.Part> laid = new ArrayList<>(parts.size());
            for (; appended < parts.size(); appended++) {
                Part p = parts.get(appended);
                first[appended] = p.cache().rows.append(p.parents());
                laid.add(new PassLayout.Part(p.cache().rows, first[appended], p.tokens(), p.logitsFrom()));
            }
            CudaKvCache[] partCaches = parts.stream().map(Part::cache).toArray(CudaKvCache[]::new);
            List<float[][]> logits = run(PassLayout.of(laid), partCaches);
            if (parts.size() > 1) sharedForwards++;
            done = true;
            return logits;
        } finally {
            if (!done) {
                for (int i = 0; i < appended; i++) parts.get(i).cache().rows.truncate(first[i]);
            }
        }
    }

    private void validate(Part p) {
        int n = p.tokens().length;
        if (n == 0 || n != p.parents().length) {
            throw new IllegalArgumentException("a part needs one parent per token and at least one token, got " + n
                    + " tokens and " + p.parents().length + " parents");
        }
        for (int t : p.tokens()) {
            if (t < 0 || t >= c.vocabSize()) throw new IllegalArgumentException("token id " + t + " is outside [0, " + c.vocabSize() + ")");
        }
        checkOwned(p.cache());
    }

    private void checkOwned(CudaKvCache cache) {
        if (cache.owner != this) throw new IllegalArgumentException("the KV cache belongs to another transformer");
        if (cache.isClosed()) throw new IllegalStateException("the KV cache is closed");
    }

    /** Commits the pending chain {@code path} of the own cache (see KvCache.keep) and drops the other pending rows. */
    public void keep(int[] path) { keep(own(), path); }

    /** {@link #keep(int[])} of one of this transformer's caches. */
    public void keep(CudaKvCache cache, int[] path) {
        checkOwned(cache);
        if (path.length > 0) ensureCapacity(0, 0, path.length, 0, StagedInputs.bytesFor(4L * path.length));
        int base = cache.rows.committed();
        int[] src = cache.rows.keep(path);
        if (path.length == 0) return;
        try (StagedInputs<DeviceBuffer>.Upload up = inputs.begin()) {
            up.ints(src, s.rowIndex);
        }
        long rowBytes = 4L * c.kvDim();
        for (int l = 0; l < c.layers(); l++) {
            for (DeviceBuffer rowsOf : new DeviceBuffer[]{cache.keys[l], cache.values[l]}) {
                // gather kept rows into scratch, then one copy back: reads and writes never overlap
                launch("kv_gather_rows", path.length, rowsOf.address(), s.gather.address(), s.rowIndex.address(), c.kvDim());
                rowsOf.copyFromDeviceAsync(s.gather, 0, base * rowBytes, path.length * rowBytes, compute);
            }
        }
        compute.synchronize();
    }

    private List<float[][]> run(PassLayout p, CudaKvCache[] partCaches) {
        ensureCapacity(p.rows, p.mask.length, 0, p.logitRows.length, p.stagingBytes());
        try (StagedInputs<DeviceBuffer>.Upload up = inputs.begin()) {
            up.ints(p.tokens, s.tokens).ints(p.positions, s.positions).bytes(p.mask, s.mask);
            if (p.compacts() && p.logitRows.length > 0) up.ints(p.logitRows, s.logitIndex);
        }
        layout = p;
        caches = partCaches;
        try {
            enqueuePass(p);
            return readLogits(p);
        } finally {
            layout = null;
            caches = null;
        }
    }

    private void enqueuePass(PassLayout p) {
        int n = p.rows, out = p.logitRows.length;
        streamDevice.beginPass();
        // x (n, dim) = embedding rows
        launch("embedding_gather_f16", n, w.embedding.address(), s.tokens.address(), s.x.address(), c.dim());
        pass.issue(streamDevice);
        if (out > 0) {
            // the rows that want logits: all of x, or gathered (in order) into q's scratch, which is free by now
            long hidden = s.x.address();
            if (p.compacts()) {
                launch("kv_gather_rows", out, s.x.address(), s.q.address(), s.logitIndex.address(), c.dim());
                hidden = s.q.address();
            }
            // logits (out, vocab) = classifier (vocab, dim) @ rmsnorm(hidden) (out, dim)
            launch("rmsnorm_f32_to_f16", out, hidden, w.finalNorm(), s.xb16.address(), c.dim(), c.rmsEps());
            blas.gemmRowMajor(w.classifier.address(), c.vocabSize(), c.dim(), s.xb16.address(), out, s.logits.address(),
                    Cublas.Out.F32);
        }
        streamDevice.endPass();
    }

    /** The last forward's device-timed duration and its stall waiting for streamed layers (event-timed). */
    public PassTiming lastPassTiming() { return streamDevice.lastPass(); }

    /** Enqueues one block on the compute stream; slot -1 means the layer is resident. */
    private void layer(int l, int slot) {
        PassLayout p = layout;
        int n = p.rows, dim = c.dim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        long image = w.layerBase(l, slot);
        // fp16 layer image the GEMMs read: the stored one, or the quantized one dequantized into scratch
        long base = dequantizer == null ? image : dequantizer.toFp16(module, compute, image, l);
        Fp16Layers.Offsets o = w.fp16Offsets;
        int halves = c.ropeLayout() == RopeLayout.HALVES ? 1 : 0;
        // attention: x += wo . attend(rope(wq.xb), rope(wk.xb), wv.xb), xb = rmsnorm(x)
        launch("rmsnorm_f32_to_f16", n, s.x.address(), w.attnNorm(l), s.xb16.address(), dim, c.rmsEps());
        blas.gemmRowMajor(base + o.q(), dim, dim, s.xb16.address(), n, s.q.address(), Cublas.Out.F32);  // (dim,dim)@(n,dim)->(n,dim)
        launch("rope_f32", n, s.q.address(), dim, c.heads(), c.headDim(), c.ropeDim(), s.positions.address(), invFreq.address(), halves);
        if (p.parts() == 1) {
            // one sequence: K and V go straight to its cache rows (n,kvDim), rotated there
            CudaKvCache cache = caches[0];
            long kRows = cache.keys[l].address(4L * p.cacheRow[0] * kvDim), vRows = cache.values[l].address(4L * p.cacheRow[0] * kvDim);
            blas.gemmRowMajor(base + o.k(), kvDim, dim, s.xb16.address(), n, kRows, Cublas.Out.F32);
            blas.gemmRowMajor(base + o.v(), kvDim, dim, s.xb16.address(), n, vRows, Cublas.Out.F32);
            launch("rope_f32", n, kRows, kvDim, c.kvHeads(), c.headDim(), c.ropeDim(), s.positions.address(), invFreq.address(), halves);
        } else {
            // several: K and V of every row into scratch, rotated at each row's own position, then each part's
            // rows (contiguous in the batch and in its cache) copied to its own cache
            blas.gemmRowMajor(base + o.k(), kvDim, dim, s.xb16.address(), n, s.k.address(), Cublas.Out.F32);
            blas.gemmRowMajor(base + o.v(), kvDim, dim, s.xb16.address(), n, s.v.address(), Cublas.Out.F32);
            launch("rope_f32", n, s.k.address(), kvDim, c.kvHeads(), c.headDim(), c.ropeDim(), s.positions.address(), invFreq.address(), halves);
            long rowBytes = 4L * kvDim;
            for (int i = 0; i < p.parts(); i++) {
                long from = p.offset[i] * rowBytes, to = p.cacheRow[i] * rowBytes, bytes = p.count[i] * rowBytes;
                caches[i].keys[l].copyFromDeviceAsync(s.k, from, to, bytes, compute);
                caches[i].values[l].copyFromDeviceAsync(s.v, from, to, bytes, compute);
            }
        }
        for (int i = 0; i < p.parts(); i++) {
            attention.launch(module, compute, s.q.address(4L * p.offset[i] * dim), caches[i].keys[l].address(),
                    caches[i].values[l].address(), s.att16.address(2L * p.offset[i] * dim), s.mask.address(p.maskOffset[i]),
                    p.count[i], p.committed[i], p.pendingTotal[i], c.heads(), c.kvHeads(), c.headDim());
        }
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

    private List<float[][]> readLogits(PassLayout p) {
        int vocab = c.vocabSize(), out = p.logitRows.length;
        MemorySegment host = s.logitsHost.segment();
        // the one host wait of a pass: the copy is queued behind the pass, into pinned memory (full PCIe rate;
        // a pageable copy of 2048 x 32000 logits ran at ~6 GB/s, a visible share of a large verification)
        if (out > 0) s.logits.copyToAsync(0, host.asSlice(0, 4L * out * vocab), compute);
        compute.synchronize();
        List<float[][]> result = new ArrayList<>(p.parts());
        for (int i = 0; i < p.parts(); i++) {
            float[][] rows = new float[p.logitCount[i]][vocab];
            for (int t = 0; t < rows.length; t++) {
                MemorySegment.copy(host, ValueLayout.JAVA_FLOAT, 4L * (p.logitOffset[i] + t) * vocab, rows[t], 0, vocab);
            }
            result.add(rows);
        }
        return result;
    }

    /**
     * Grows the scratch (rows of activations, visibility bytes, kept rows) and the pinned staging to what the next
     * operation needs. Every forward and keep ends with a synchronize, so nothing queued still reads the old ones;
     * the synchronize here is for safety.
     */
    private void ensureCapacity(int rows, long maskBytes, int keptRows, int logitRows, long staging) {
        if (rows > s.rows || maskBytes > s.maskBytes || keptRows > s.keptRows || logitRows > s.logitRows) {
            compute.synchronize();
            Scratch grown = new Scratch(ctx, c, Math.max(rows, s.rows), Math.max(maskBytes, s.maskBytes),
                    Math.max(keptRows, s.keptRows), Math.max(logitRows, s.logitRows));
            s.close();
            s = grown;
        }
        if (staging > stagingBytes) {
            compute.synchronize();
            StagedInputs<DeviceBuffer> grown = new StagedInputs<>(new CudaStagingDevice(ctx, compute, 2, staging));
            inputs.close();
            inputs = grown;
            stagingBytes = staging;
        }
    }

    @Override
    public void close() {
        // null-tolerant: also frees what a constructor that failed half-way had made
        if (compute != null) compute.synchronize();
        if (inputs != null) inputs.close();
        if (dequantizer != null) dequantizer.close();
        if (s != null) s.close();
        if (invFreq != null) invFreq.close();
        if (own != null) own.close();
        if (streamDevice != null) streamDevice.close();
        if (blas != null) blas.close();
        if (compute != null) compute.close();
        if (module != null) module.close();
    }

    /**
     * Device activations for passes of up to {@code rows} tokens, of which up to {@code logitRows} get logits, and
     * room to keep up to {@code keptRows} rows.
     */
    private static final class Scratch implements AutoCloseable {
        final int rows, keptRows, logitRows;
        final long maskBytes;
        final DeviceBuffer x, xb16, q, k, v, att16, gate, up, h16, logits, tokens, positions, mask, logitIndex, rowIndex, gather;
        final PinnedHostBuffer logitsHost;

        Scratch(CudaContext ctx, LlamaConfig c, int rows, long maskBytes, int keptRows, int logitRows) {
            this.rows = rows;
            this.maskBytes = maskBytes;
            this.keptRows = keptRows;
            this.logitRows = logitRows;
            long nb = rows;
            List<AutoCloseable> made = new ArrayList<>();
            try {
                x = own(made, ctx.allocate(4 * nb * c.dim()));
                xb16 = own(made, ctx.allocate(2 * nb * c.dim()));
                q = own(made, ctx.allocate(4 * nb * c.dim()));
                k = own(made, ctx.allocate(4 * nb * c.kvDim()));
                v = own(made, ctx.allocate(4 * nb * c.kvDim()));
                att16 = own(made, ctx.allocate(2 * nb * c.dim()));
                gate = own(made, ctx.allocate(4 * nb * c.hiddenDim()));
                up = own(made, ctx.allocate(4 * nb * c.hiddenDim()));
                h16 = own(made, ctx.allocate(2 * nb * c.hiddenDim()));
                // logits only for the rows that want them (a shared pass's prompt rows do not): vocab-wide rows
                logits = own(made, ctx.allocate(4L * Math.max(1, logitRows) * c.vocabSize()));
                tokens = own(made, ctx.allocate(4 * nb));
                positions = own(made, ctx.allocate(4 * nb));
                mask = own(made, ctx.allocate(Math.max(1, maskBytes)));
                logitIndex = own(made, ctx.allocate(4 * nb));
                rowIndex = own(made, ctx.allocate(4L * Math.max(1, keptRows)));
                gather = own(made, ctx.allocate(4L * Math.max(1, keptRows) * c.kvDim()));
                logitsHost = own(made, ctx.allocatePinned(4L * Math.max(1, logitRows) * c.vocabSize()));
            } catch (RuntimeException e) {
                for (int i = made.size() - 1; i >= 0; i--) {
                    try {
                        made.get(i).close();
                    } catch (Exception suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }

        private static <T extends AutoCloseable> T own(List<AutoCloseable> made, T resource) {
            made.add(resource);
            return resource;
        }

        @Override
        public void close() {
            for (DeviceBuffer b : new DeviceBuffer[]{x, xb16, q, k, v, att16, gate, up, h16, logits, tokens, positions, mask, logitIndex, rowIndex, gather}) b.close();
            logitsHost.close();
        }
    }
}
