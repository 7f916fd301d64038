package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.WeightMatrix;

/**
 * Opt-in GEMM with int8 activations for Q8_0, Q4_0 and K-quant weights, as llama.cpp does: each token's activations are
 * quantized in blocks of 32 (one fp16 scale per block, as llama.cpp's q8_0) and multiplied with the Q8_0 (or Q4_0) quants as exact integer
 * dots (AVX-512 VNNI in {@link NativeInt8Gemm}; {@link ScalarInt8MatMul} where VNNI is missing), summed over
 * blocks in fp32 with both scales. Results differ from the fp32 kernels by the activation rounding
 * (about 0.4% of a block's max per element). K-quant weights (Q2_K .. Q6_K) take activations quantized per
 * 256-value super-block (llama.cpp's q8_K) and stay integers through the dot ({@link NativeKQuantInt8} on
 * VNNI, {@link ScalarKQuantInt8} elsewhere, bit for bit the same). Every other matrix (F32, F16, BF16)
 * goes to the wrapped
 * {@link VectorMatMul} unchanged; the engine's default remains {@link VectorMatMul} alone.
 *
 * <p>Each weight row is read once per batch of n tokens: the kernel transposes panels of 16 rows into an
 * L1-resident scratch with the vector lanes along rows, then runs register tiles of 16 rows x 8 tokens
 * (see {@code sequoia_q8q8.c}); the K-quant kernels unpack a panel of 16 rows per super-block into a thread-local
 * scratch once for all the batch's tokens (see {@code sequoia_kq8.c}). A token's result does not depend on n, on the other tokens of the batch
 * or on the row split: native and scalar twin compute the same fma chain over blocks, bit for bit. Threading as {@link VectorMatMul}: one engine thread calls {@link #gemm}
 * at a time (the quantized-activation buffers belong to this object), row blocks run on the wrapped
 * matmul's {@link KernelPool}. Closing closes the wrapped matmul only when this object created it
 * ({@link #Int8ActivationMatMul(int)}); a borrowed one stays its caller's to close.
 */
public final class Int8ActivationMatMul implements MatMul, AutoCloseable {
    /** Rows per native panel (the kernel's vector width in fp32 lanes); tasks split rows at panel bounds. */
    private static final int ROWS = 16;
    /**
     * Row tasks per thread and matrix. Few and long: a decode task's 16 lanes each walk a run of rows/(16 x tasks)
     * rows, and longer runs keep the L2 streamer ahead; enough for the atomic hand-out to even out a thread that
     * loses its core for a while. Measured side by side on tinyllama-1.1b Q4_K_M, 2 threads: 3 against 8 gives
     * decode 30.0 against 28.8 tokens/s and t(16) 122 against 133 ms; 1 gives 29.4 (no balancing).
     */
    private static final int TASKS_PER_THREAD = 3;

    private final VectorMatMul fp32;
    private final boolean ownsFp32;
    /** The VNNI kernels, or null to run the scalar twin. */
    private final NativeInt8Gemm nativeInt8;
    private byte[] xq = new byte[0];
    private float[] xs = new float[0];
    private int[] xc = new int[0];
    /** The K-quant kernels (Q2_K .. Q6_K), or null to run their scalar twin. */
    private final NativeKQuantInt8 nativeKQuant;
    private byte[] kq = new byte[0];
    private float[] kd = new float[0];
    private float[] ksum32 = new float[0];
    private int[] kqsum16 = new int[0];

    /** Int8 activations on the VNNI kernel where it loads; fp32 kernels of {@code VectorMatMul(threads)} otherwise. */
    public Int8ActivationMatMul(int threads) {
        this(new VectorMatMul(threads), true, true);
    }

    /**
     * Int8 activations beside {@code fp32}, which this object borrows (its caller closes it);
     * {@code allowNative = false}: the scalar twin for Q8_0 (tests, comparisons).
     */
    public Int8ActivationMatMul(VectorMatMul fp32, boolean allowNative) {
        this(fp32, allowNative, false);
    }

    private Int8ActivationMatMul(VectorMatMul fp32, boolean allowNative, boolean ownsFp32) {
        this.fp32 = fp32;
        this.ownsFp32 = ownsFp32;
        this.nativeInt8 = allowNative ? NativeInt8Gemm.load().orElse(null) : null;
        this.nativeKQuant = allowNative ? NativeKQuantInt8.load().orElse(null) : null;
    }

    public int threads() { return fp32.threads(); }

    /** The pool, for other kernels of the same forward pass (attention). */
    public KernelPool pool() { return fp32.pool(); }

    /** The fp32 kernels this object falls back to for the matrices the int8 path does not take. */
    public VectorMatMul fp32() { return fp32; }

    /** Which kernel multiplies {@code w}: "int8-vnni", "int8-scalar", or the wrapped matmul's answer. */
    public String kernelFor(WeightMatrix w) {
        if (ScalarInt8MatMul.handles(w)) return nativeInt8 != null && w.data().isNative() ? "int8-vnni" : "int8-scalar";
        if (ScalarKQuantInt8.handles(w)) return nativeKQuant != null && w.data().isNative() ? "int8-vnni" : "int8-scalar";
        return fp32.kernelFor(w);
    }

    /** Why the VNNI kernel is not in use, or null when it is. */
    public String nativeUnavailableReason() {
        if (nativeInt8 != null && nativeKQuant != null) return null;
        if (nativeInt8 == null && NativeInt8Gemm.load().isPresent() || nativeKQuant == null && NativeKQuantInt8.load().isPresent()) {
            return "disabled";
        }
        return NativeInt8Gemm.load().isEmpty() ? NativeInt8Gemm.unavailableReason() : NativeKQuantInt8.unavailableReason();
    }

    /**
     * A line for the user when the VNNI kernels do not run (no compiler, no VNNI, or disabled): the scalar twin
     * then multiplies every Q8_0, Q4_0 and K-quant matrix, correct but tens of times slower than the default fp32
     * kernels. Null when the VNNI kernels run.
     */
    public String fallbackWarning() {
        String why = nativeUnavailableReason();
        return why == null ? null : "int8 activations: the VNNI kernels do not run here (" + why + "); their scalar twin"
                + " is much slower than the default fp32 kernels: drop --int8";
    }

    @Override
    public void gemm(WeightMatrix w, float[] x, float[] out, int n) {
        WeightMatrix[] ws = {w};
        float[][] outs = {out};
        if (gemmNative(ws, x, outs, n)) return;
        if (ScalarInt8MatMul.handles(w)) {
            VectorMatMul.checkShapes(w, x, out, n);
            ScalarInt8MatMul.Quantized q = ScalarInt8MatMul.quantize(x, n, w.cols());
            forEachRowRange(ws, (m, r0, r1) -> ScalarInt8MatMul.gemmRows(w, q, out, r0, r1));
        } else if (ScalarKQuantInt8.handles(w)) {
            VectorMatMul.checkShapes(w, x, out, n);
            ScalarKQuantInt8.Quantized q = ScalarKQuantInt8.quantize(x, n, w.cols());
            forEachRowRange(ws, (m, r0, r1) -> ScalarKQuantInt8.gemmRows(w, q, out, r0, r1));
        } else {
            fp32.gemm(w, x, out, n);
        }
    }

    /**
     * One activation quantization and one parallel loop over every matrix's row ranges when all of them take
     * the same native kernel (all Q8_0 or Q4_0, or all K-quants); otherwise one {@link #gemm} each. The row ranges and
     * the kernel calls are those of {@link #gemm}, so each output has the same bits.
     */
    @Override
    public void gemmAll(WeightMatrix[] ws, float[] x, float[][] outs, int n) {
        if (ws.length != outs.length || ws.length == 0 || !gemmNative(ws, x, outs, n)) MatMul.super.gemmAll(ws, x, outs, n);
    }

    /**
     * The matrices on one native kernel (all Q8_0 or Q4_0, or all K-quants, native segments of equal width): one activation
     * quantization, one loop over every matrix's row ranges. False, having run nothing, when they do not.
     */
    private boolean gemmNative(WeightMatrix[] ws, float[] x, float[][] outs, int n) {
        boolean allBlocks32 = true, allK = true;
        for (int i = 0; i < ws.length; i++) {
            WeightMatrix w = ws[i];
            VectorMatMul.checkShapes(w, x, outs[i], n);
            boolean nat = w.data().isNative() && w.cols() == ws[0].cols();
            allBlocks32 &= nat && nativeInt8 != null && ScalarInt8MatMul.handles(w);
            allK &= nat && nativeKQuant != null && ScalarKQuantInt8.handles(w);
        }
        if (allBlocks32) {
            ensureBuffers(n, ws[0].cols());
            nativeInt8.quantize(x, n, ws[0].cols(), xq, xs, xc);
            byte[] q = xq;
            float[] s = xs;
            int[] c = xc;
            forEachRowRange(ws, (m, r0, r1) -> nativeInt8.gemmRows(ws[m], q, s, c, n, outs[m], r0, r1));
        } else if (allK) {
            ensureKBuffers(n, ws[0].cols());
            nativeKQuant.quantize(x, n, ws[0].cols(), kq, kd, ksum32, kqsum16);
            byte[] q = kq;
            float[] d = kd;
            float[] s32 = ksum32;
            int[] i16 = kqsum16;
            forEachRowRange(ws, (m, r0, r1) -> nativeKQuant.gemmRows(ws[m], q, d, s32, i16, n, outs[m], r0, r1));
        }
        return allBlocks32 || allK;
    }

    private interface MatrixRowRange {
        void run(int matrix, int r0, int r1);
    }

    /**
     * Every matrix's row ranges, in one loop on the pool: per matrix, tasks of {@link #blocksPerTask} panels of
     * {@link #ROWS} rows (a row split the kernels' results do not depend on).
     */
    private void forEachRowRange(WeightMatrix[] ws, MatrixRowRange body) {
        int[] firstTask = new int[ws.length + 1];
        int[] perTask = new int[ws.length];
        for (int m = 0; m < ws.length; m++) {
            int rows = ws[m].rows();
            perTask[m] = blocksPerTask(rows);
            int blocks = (rows + ROWS - 1) / ROWS;
            firstTask[m + 1] = firstTask[m] + (blocks + perTask[m] - 1) / perTask[m];
        }
        long bytes = 0;
        for (WeightMatrix w : ws) bytes += w.byteSize();
        pool().forEach(firstTask[ws.length], bytes, (worker, task) -> {
            int m = 0;
            while (task >= firstTask[m + 1]) m++;
            int r0 = (task - firstTask[m]) * perTask[m] * ROWS;
            body.run(m, r0, Math.min(ws[m].rows(), r0 + perTask[m] * ROWS));
        });
    }

    private int blocksPerTask(int rows) {
        int blocks = (rows + ROWS - 1) / ROWS;
        return Math.max(1, blocks / (threads() * TASKS_PER_THREAD));
    }

    private void ensureBuffers(int n, int cols) {
        if (xq.length < n * cols) xq = new byte[n * cols];
        if (xs.length < n * (cols / 32)) xs = new float[n * (cols / 32)];
        if (xc.length < n * (cols / 32)) xc = new int[n * (cols / 32)];
    }

    private void ensureKBuffers(int n, int cols) {
        if (kq.length < n * cols) kq = new byte[n * cols];
        if (kd.length < n * (cols / 256)) kd = new float[n * (cols / 256)];
        if (ksum32.length < n * (cols / 32)) ksum32 = new float[n * (cols / 32)];
        if (kqsum16.length < n * (cols / 16)) kqsum16 = new int[n * (cols / 16)];
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] dst, int dstOffset) {
        fp32.dequantizeRow(w, row, dst, dstOffset);
    }

    @Override
    public void close() {
        if (ownsFp32) fp32.close();
    }
}
