package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The CPU GEMM: each weight row is read from memory once per batch of n tokens.
 *
 * <p>Where the native kernels load ({@link NativeGemm}: AVX-512 C with software prefetch, compiled on first
 * use), each task of the pool hands its row range to them; that is what reaches the streaming bandwidth
 * (measured 10 -> 22 GB/s for Q8_0 on one thread once the next row block is prefetched). Everywhere else,
 * and for Q4_0 and row lengths that are not whole blocks of 32, the Vector API kernels below run.
 *
 * <p>Work is split over blocks of {@link GemmTile#ROWS} rows handed to the threads of a {@link KernelPool}
 * owned by this object. For each row block, each column chunk of {@link #CHUNK} columns is first copied raw
 * into the worker's native stage with a bulk copy (wide streaming loads: measured 5.7 -> 7.9 GB/s for Q8_0 on one
 * thread against decoding straight from DRAM), then decoded once into the worker's scratch (4 x 2048 floats = 32 KB, L1-resident) by {@link VectorDequant}, then multiplied
 * against every token through the register tiles of {@link GemmTile} (4 rows x 4 tokens, or 4 rows x 1 token
 * for the decode shape and the token remainder). The activations of a chunk (n x 8 KB) stay in L2.
 *
 * <p>Threading: one engine thread calls {@link #gemm} at a time; the pool's workers own their scratch by
 * worker id. Close this object to stop the pool. Weight segments are read from the pool's threads, so they
 * must come from a shared, global or automatic arena (a confined arena's memory fails with WrongThreadException).
 */
public final class VectorMatMul implements MatMul, AutoCloseable {
    /** Columns decoded per step; a multiple of every block size and vector length. */
    static final int CHUNK = 2048;
    /** Row blocks per parallel task, chosen so that each thread gets several tasks of a projection. */
    private static final int TASKS_PER_THREAD = 8;

    /** Bytes of one row's chunk in the widest type (F32). */
    private static final long STAGE_ROW_BYTES = 4L * CHUNK;

    private final KernelPool pool;
    private final Arena arena = Arena.ofShared();
    private final float[][] scratch;
    private final MemorySegment[] stage;

    /** The native AVX-512 kernels, or null to use only the Vector API ones. */
    private final NativeGemm nativeGemm;

    /** Uses the native kernels where they load (see {@link NativeGemm}), the Vector API ones elsewhere. */
    public VectorMatMul(int threads) {
        this(threads, true);
    }

    /** {@code allowNative = false}: the Vector API kernels only (the fallback, and a comparison point). */
    public VectorMatMul(int threads, boolean allowNative) {
        this.nativeGemm = allowNative ? NativeGemm.load().orElse(null) : null;
        this.pool = new KernelPool(threads);
        this.scratch = new float[threads][GemmTile.ROWS * CHUNK];
        this.stage = new MemorySegment[threads];
        for (int i = 0; i < threads; i++) stage[i] = arena.allocate(GemmTile.ROWS * STAGE_ROW_BYTES, 64);
    }

    public int threads() { return pool.threads(); }

    /** Which kernel multiplies {@code w}: "native-avx512" or "vector-api". */
    public String kernelFor(WeightMatrix w) {
        return nativeGemm != null && NativeGemm.supports(w) ? "native-avx512" : "vector-api";
    }

    /** Why the native kernels are not in use, or null when they are. */
    public String nativeUnavailableReason() {
        return nativeGemm != null ? null : NativeGemm.load().isEmpty() ? NativeGemm.unavailableReason() : "disabled";
    }

    /** The pool, for other kernels of the same forward pass (attention, the bandwidth probe). */
    public KernelPool pool() { return pool; }

    @Override
    public void gemm(WeightMatrix w, float[] x, float[] out, int n) {
        int rows = w.rows(), cols = w.cols();
        checkShapes(w, x, out, n);
        int blocks = (rows + GemmTile.ROWS - 1) / GemmTile.ROWS;
        int blocksPerTask = Math.max(1, blocks / (pool.threads() * TASKS_PER_THREAD));
        int tasks = (blocks + blocksPerTask - 1) / blocksPerTask;
        NativeGemm nat = nativeGemm != null && NativeGemm.supports(w) ? nativeGemm : null;
        pool.forEach(tasks, w.byteSize(), (worker, task) -> {
            int r0 = task * blocksPerTask * GemmTile.ROWS;
            int r1 = Math.min(rows, r0 + blocksPerTask * GemmTile.ROWS);
            if (nat != null) nat.gemmRows(w, x, out, n, r0, r1);
            else gemmRows(w, x, out, n, r0, r1, scratch[worker], stage[worker]);
        });
    }

    /**
     * Every matrix's row blocks of {@link #gemm} (same split, same kernel, so the same bits) in one parallel
     * loop: one hand-off instead of one per matrix.
     */
    @Override
    public void gemmAll(WeightMatrix[] ws, float[] x, float[][] outs, int n) {
        if (ws.length != outs.length) {
            throw new IllegalArgumentException("gemmAll needs one output per matrix, got " + ws.length + " and " + outs.length);
        }
        int[] firstTask = new int[ws.length + 1];
        int[] perTask = new int[ws.length];
        NativeGemm[] nat = new NativeGemm[ws.length];
        for (int m = 0; m < ws.length; m++) {
            checkShapes(ws[m], x, outs[m], n);
            int blocks = (ws[m].rows() + GemmTile.ROWS - 1) / GemmTile.ROWS;
            perTask[m] = Math.max(1, blocks / (pool.threads() * TASKS_PER_THREAD));
            firstTask[m + 1] = firstTask[m] + (blocks + perTask[m] - 1) / perTask[m];
            nat[m] = nativeGemm != null && NativeGemm.supports(ws[m]) ? nativeGemm : null;
        }
        long bytes = 0;
        for (WeightMatrix w : ws) bytes += w.byteSize();
        pool.forEach(firstTask[ws.length], bytes, (worker, task) -> {
            int m = 0;
            while (task >= firstTask[m + 1]) m++;
            WeightMatrix w = ws[m];
            int r0 = (task - firstTask[m]) * perTask[m] * GemmTile.ROWS;
            int r1 = Math.min(w.rows(), r0 + perTask[m] * GemmTile.ROWS);
            if (nat[m] != null) nat[m].gemmRows(w, x, outs[m], n, r0, r1);
            else gemmRows(w, x, outs[m], n, r0, r1, scratch[worker], stage[worker]);
        });
    }

    /** W rows [r0, r1) @ x (n, cols)^T -> out[0..n, r0..r1). */
    private static void gemmRows(WeightMatrix w, float[] x, float[] out, int n, int r0, int r1, float[] s,
                                 MemorySegment stage) {
        int rows = w.rows(), cols = w.cols();
        TensorType type = w.type();
        long rowBytes = w.rowBytes();
        for (int t = 0; t < n; t++) Arrays.fill(out, t * rows + r0, t * rows + r1, 0f);
        int r = r0;
        for (; r + GemmTile.ROWS <= r1; r += GemmTile.ROWS) {
            for (int c0 = 0; c0 < cols; c0 += CHUNK) {
                int len = Math.min(CHUNK, cols - c0);
                long from = type.byteSize(c0), bytes = type.byteSize(len);
                for (int i = 0; i < GemmTile.ROWS; i++) {
                    MemorySegment.copy(w.data(), (r + i) * rowBytes + from, stage, i * STAGE_ROW_BYTES, bytes);
                }
                for (int i = 0; i < GemmTile.ROWS; i++) {
                    VectorDequant.decode(type, stage, i * STAGE_ROW_BYTES, len, s, i * CHUNK);
                }
                int t = 0;
                for (; t + GemmTile.TOKENS <= n; t += GemmTile.TOKENS) {
                    GemmTile.rows4Tokens4(s, CHUNK, len, x, cols, c0, t, out, rows, r);
                }
                for (; t < n; t++) GemmTile.rows4Token1(s, CHUNK, len, x, cols, c0, t, out, rows, r);
            }
        }
        for (; r < r1; r++) {
            for (int c0 = 0; c0 < cols; c0 += CHUNK) {
                int len = Math.min(CHUNK, cols - c0);
                VectorDequant.decode(w, r, c0, len, s, 0);
                for (int t = 0; t < n; t++) GemmTile.row1Token1(s, len, x, cols, c0, t, out, rows, r);
            }
        }
    }

    /** Rejects a batch whose arrays are too small for W's shape (shared by the kernels of this package). */
    static void checkShapes(WeightMatrix w, float[] x, float[] out, int n) {
        if (n < 1) throw new IllegalArgumentException(w.name() + ": gemm needs n >= 1 tokens, got " + n);
        if (x.length < (long) n * w.cols()) {
            throw new IllegalArgumentException(w.name() + ": x holds " + x.length + " floats, expected at least n * cols = "
                    + n + " * " + w.cols());
        }
        if (out.length < (long) n * w.rows()) {
            throw new IllegalArgumentException(w.name() + ": out holds " + out.length
                    + " floats, expected at least n * rows = " + n + " * " + w.rows());
        }
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOffset) {
        if (row < 0 || row >= w.rows()) {
            throw new IndexOutOfBoundsException(w.name() + ": row " + row + " outside [0, " + w.rows() + ")");
        }
        VectorDequant.decode(w, row, 0, w.cols(), dst, dstOffset);
    }

    @Override
    public void close() {
        pool.close();
        arena.close();
    }
}
