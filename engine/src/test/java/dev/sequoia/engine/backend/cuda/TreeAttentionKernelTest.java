package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaModule;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.cuda.DeviceBuffer;
import dev.sequoia.cuda.SequoiaKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Both tree-attention kernels launched directly against a plain double-precision host reference, on random
 * q/K/V and a random tree of pending rows (each token sees the committed rows, its ancestors and itself).
 * The output is poisoned with NaN first so every element must be written, and one row past the batch must
 * stay poisoned; cache rows past the visible ones are NaN so the kernels must not read them into a sum.
 * GPU cases skip without CUDA (fail under SEQUOIA_REQUIRE_CUDA=1); the kernel choice is tested everywhere.
 */
class TreeAttentionKernelTest {
    private static final int SPARE_ROWS = 40; // NaN cache rows past committed + pendingTotal

    /** heads, kvHeads, headDim, committed, pendingTotal, n (the batch is the last n pending rows). */
    record Shape(int heads, int kvHeads, int headDim, int committed, int pendingTotal, int n) {
        int first() { return pendingTotal - n; }
        int rows() { return committed + pendingTotal; }
        int kvDim() { return kvHeads * headDim; }
        int qDim() { return heads * headDim; }
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(new Shape(8, 2, 128, 300, 70, 70)),    // a whole tree in one batch
                Arguments.of(new Shape(8, 2, 128, 300, 70, 41)),    // earlier pending rows from a previous pass
                Arguments.of(new Shape(64, 8, 128, 1000, 33, 33)),  // the Llama-2-70B head layout
                Arguments.of(new Shape(4, 4, 64, 50, 40, 40)),      // G = 1
                Arguments.of(new Shape(6, 2, 32, 0, 64, 64)),       // G = 3, nothing committed, rows a tile multiple
                Arguments.of(new Shape(6, 3, 96, 17, 45, 30)),      // G = 2, a head size that is no power of two
                Arguments.of(new Shape(8, 2, 160, 40, 25, 25)),     // two chunks, the second partial
                Arguments.of(new Shape(8, 2, 256, 70, 20, 20)),     // two full chunks, 16 queries per block
                Arguments.of(new Shape(8, 8, 128, 5000, 1, 1)));    // one decode token over a long prefix
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void bothKernelsMatchTheHostReference(Shape s) {
        CudaTestSupport.requireCudaBackend();
        SplittableRandom rnd = new SplittableRandom(s.toString().hashCode());
        float[] q = random(rnd, s.n() * s.qDim(), 3.0);           // peaky enough that rows' weights differ
        float[] k = random(rnd, s.rows() * s.kvDim(), 1.0);
        float[] v = random(rnd, s.rows() * s.kvDim(), 1.0);
        byte[] mask = treeMask(rnd, s);
        double[] want = reference(s, q, k, v, mask);
        try (CudaContext ctx = CudaContext.open(0); CudaModule module = SequoiaKernels.load(ctx);
             CudaStream stream = ctx.createStream()) {
            for (TreeAttentionKernel kernel : TreeAttentionKernel.values()) {
                float[] got = run(ctx, module, stream, kernel, s, q, k, v, mask);
                assertClose(kernel, s, want, got);
            }
        }
    }

    @Test
    void theChoiceFollowsTheHeadSizeAndTheProperty() {
        assertEquals(TreeAttentionKernel.GQA, TreeAttentionKernel.choose(null, 128));
        assertEquals(TreeAttentionKernel.GQA, TreeAttentionKernel.choose(" ", 32));
        assertEquals(TreeAttentionKernel.NAIVE, TreeAttentionKernel.choose(null, 8));   // stories260K
        assertEquals(TreeAttentionKernel.NAIVE, TreeAttentionKernel.choose(null, 512));
        assertEquals(TreeAttentionKernel.NAIVE, TreeAttentionKernel.choose("naive", 128));
        assertEquals(TreeAttentionKernel.GQA, TreeAttentionKernel.choose("GQA", 64));
        var unsupported = assertThrows(IllegalArgumentException.class, () -> TreeAttentionKernel.choose("gqa", 8));
        assertTrue(unsupported.getMessage().contains("head size is 8"), unsupported.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> TreeAttentionKernel.choose("flash", 128));
        assertTrue(unknown.getMessage().contains("naive or gqa"), unknown.getMessage());
        assertEquals(32, TreeAttentionKernel.gqaQueriesPerBlock(128));
        assertEquals(16, TreeAttentionKernel.gqaQueriesPerBlock(160));
    }

    private static float[] run(CudaContext ctx, CudaModule module, CudaStream stream, TreeAttentionKernel kernel,
                               Shape s, float[] q, float[] k, float[] v, byte[] mask) {
        long outElems = (long) (s.n() + 1) * s.qDim(); // one poisoned row past the batch
        float[] nan = new float[SPARE_ROWS * s.kvDim()];
        Arrays.fill(nan, Float.NaN);
        try (Arena a = Arena.ofConfined();
             DeviceBuffer dq = ctx.allocate(4L * q.length);
             DeviceBuffer dk = ctx.allocate(4L * (k.length + nan.length));
             DeviceBuffer dv = ctx.allocate(4L * (v.length + nan.length));
             DeviceBuffer dmask = ctx.allocate(mask.length);
             DeviceBuffer dout = ctx.allocate(2 * outElems)) {
            dq.copyFrom(a.allocateFrom(ValueLayout.JAVA_FLOAT, q), 0);
            dk.copyFrom(a.allocateFrom(ValueLayout.JAVA_FLOAT, k), 0);
            dk.copyFrom(a.allocateFrom(ValueLayout.JAVA_FLOAT, nan), 4L * k.length);
            dv.copyFrom(a.allocateFrom(ValueLayout.JAVA_FLOAT, v), 0);
            dv.copyFrom(a.allocateFrom(ValueLayout.JAVA_FLOAT, nan), 4L * v.length);
            dmask.copyFrom(a.allocateFrom(ValueLayout.JAVA_BYTE, mask), 0);
            dout.fill((byte) 0xFF); // every fp16 0xFFFF is a NaN
            kernel.launch(module, stream, dq.address(), dk.address(), dv.address(), dout.address(), dmask.address(),
                    s.n(), s.committed(), s.pendingTotal(), s.heads(), s.kvHeads(), s.headDim());
            stream.synchronize();
            MemorySegment host = a.allocate(2 * outElems, 2);
            dout.copyTo(0, host);
            float[] out = new float[(int) outElems];
            for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(host.getAtIndex(ValueLayout.JAVA_SHORT, i));
            return out;
        }
    }

    /** Random parents over all pendingTotal rows; mask row t = what batch token first + t sees. */
    private static byte[] treeMask(SplittableRandom rnd, Shape s) {
        int[] parent = new int[s.pendingTotal()];
        for (int j = 0; j < parent.length; j++) parent[j] = j == 0 || rnd.nextInt(5) == 0 ? -1 : rnd.nextInt(j);
        byte[] mask = new byte[s.n() * s.pendingTotal()];
        for (int t = 0; t < s.n(); t++) {
            for (int j = s.first() + t; j >= 0; j = parent[j]) mask[t * s.pendingTotal() + j] = 1;
        }
        return mask;
    }

    /** out (n, heads*headDim) = softmax(q.k * scale) V over each token's visible rows, GQA head mapping. */
    private static double[] reference(Shape s, float[] q, float[] k, float[] v, byte[] mask) {
        int hd = s.headDim(), group = s.heads() / s.kvHeads();
        double scale = 1.0 / Math.sqrt(hd);
        double[] out = new double[s.n() * s.qDim()];
        double[] score = new double[s.rows()];
        for (int t = 0; t < s.n(); t++) {
            for (int h = 0; h < s.heads(); h++) {
                int qOff = t * s.qDim() + h * hd, kvOff = (h / group) * hd;
                double max = Double.NEGATIVE_INFINITY;
                for (int r = 0; r < s.rows(); r++) {
                    boolean sees = r < s.committed() || mask[t * s.pendingTotal() + r - s.committed()] != 0;
                    double dot = 0;
                    if (sees) for (int d = 0; d < hd; d++) dot += (double) q[qOff + d] * k[r * s.kvDim() + kvOff + d];
                    score[r] = sees ? dot * scale : Double.NEGATIVE_INFINITY;
                    max = Math.max(max, score[r]);
                }
                double sum = 0;
                for (int r = 0; r < s.rows(); r++) {
                    score[r] = score[r] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(score[r] - max);
                    sum += score[r];
                }
                for (int r = 0; r < s.rows(); r++) {
                    if (score[r] == 0) continue;
                    for (int d = 0; d < hd; d++) out[qOff + d] += score[r] / sum * v[r * s.kvDim() + kvOff + d];
                }
            }
        }
        return out;
    }

    private static void assertClose(TreeAttentionKernel kernel, Shape s, double[] want, float[] got) {
        for (int i = 0; i < want.length; i++) {
            // fp16 output: relative 1e-3 (half an fp16 ulp is 2.4e-4) plus a floor for values near zero
            if (!(Math.abs(got[i] - want[i]) <= 1e-3 * Math.abs(want[i]) + 1e-4)) {
                int t = i / s.qDim(), h = i % s.qDim() / s.headDim(), d = i % s.headDim();
                fail(kernel.symbol() + " " + s + ": token " + t + " head " + h + " dim " + d + ": want " + want[i]
                        + " got " + got[i]);
            }
        }
        for (int i = want.length; i < got.length; i++) {
            assertTrue(Float.isNaN(got[i]), kernel.symbol() + " " + s + " wrote past the batch at element " + i);
        }
    }

    private static float[] random(SplittableRandom rnd, int count, double amplitude) {
        float[] f = new float[count];
        for (int i = 0; i < count; i++) f[i] = (float) ((rnd.nextDouble() * 2 - 1) * amplitude);
        return f;
    }
}
