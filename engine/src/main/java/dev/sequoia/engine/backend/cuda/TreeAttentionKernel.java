package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaModule;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.cuda.Kernel.Dim3;
import dev.sequoia.engine.model.LlamaConfig;

import java.util.Locale;

/**
 * Which CUDA kernel computes tree attention, and its launch geometry (both kernels are in
 * {@code sequoia_kernels.cu}, same arguments, same semantics):
 * <ul>
 *   <li>{@link #NAIVE} {@code tree_attention}: one block per (token, head), scores in dynamic shared memory.
 *       Any head size; re-reads every K/V row per (token, head), so it is slow for long batches. The reference.
 *   <li>{@link #GQA} {@code tree_attention_gqa}: one block per (kv head, tile of queries of that kv head's
 *       group), K/V tiles staged in shared memory, online softmax. Head sizes multiple of 32 up to 256.
 * </ul>
 * {@link #forModel} picks GQA when the head size allows, else NAIVE; the system property
 * {@value #PROPERTY} = {@code naive|gqa} overrides (gqa on an unsupported head size is an error).
 * Stateless; launches on the caller's stream.
 */
public enum TreeAttentionKernel {
    NAIVE("tree_attention"),
    GQA("tree_attention_gqa");

    public static final String PROPERTY = "sequoia.cuda.attention";
    private static final int BLOCK = 256;

    private final String symbol;

    TreeAttentionKernel(String symbol) { this.symbol = symbol; }

    public String symbol() { return symbol; }

    /** True when this kernel handles heads of {@code headDim}. */
    public boolean supports(int headDim) {
        return switch (this) {
            case NAIVE -> headDim > 0;
            case GQA -> headDim > 0 && headDim % 32 == 0 && headDim <= 256;
        };
    }

    /** The kernel for {@code c}: the {@value #PROPERTY} property when set, else GQA when supported, else NAIVE. */
    public static TreeAttentionKernel forModel(LlamaConfig c) {
        return choose(System.getProperty(PROPERTY), c.headDim());
    }

    static TreeAttentionKernel choose(String property, int headDim) {
        if (property == null || property.isBlank()) return GQA.supports(headDim) ? GQA : NAIVE;
        TreeAttentionKernel k = switch (property.trim().toLowerCase(Locale.ROOT)) {
            case "naive" -> NAIVE;
            case "gqa" -> GQA;
            default -> throw new IllegalArgumentException("-D" + PROPERTY + " must be naive or gqa, got '" + property + "'");
        };
        if (!k.supports(headDim)) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + property + " needs a head size that is a multiple"
                    + " of 32 up to 256; this model's head size is " + headDim);
        }
        return k;
    }

    /** Queries (token, head pairs of one kv head) per GQA block; mirrors gqa_queries_per_block in the .cu. */
    static int gqaQueriesPerBlock(int headDim) { return headDim <= 128 ? 32 : 16; }

    /**
     * out (n, heads*headDim) fp16 = attention of q (n, heads*headDim) fp32 over keys/values (rows, kvHeads*headDim)
     * fp32, token t seeing rows [0, committed) and committed + j where visible[t * pendingTotal + j] != 0.
     */
    public void launch(CudaModule module, CudaStream stream, long q, long keys, long values, long out, long visible,
                       int n, int committed, int pendingTotal, int heads, int kvHeads, int headDim) {
        if (!supports(headDim)) throw new IllegalArgumentException(symbol + " does not support head size " + headDim);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        switch (this) {
            case NAIVE -> module.kernel(symbol).launch(Dim3.of(n, heads), Dim3.of(BLOCK), 4 * (committed + pendingTotal),
                    stream, q, keys, values, out, visible, committed, pendingTotal, heads, kvHeads, headDim, scale);
            case GQA -> {
                long queries = (long) n * (heads / kvHeads);
                int per = gqaQueriesPerBlock(headDim);
                module.kernel(symbol).launch(Dim3.of((int) ((queries + per - 1) / per), kvHeads), Dim3.of(BLOCK), 0,
                        stream, q, keys, values, out, visible, n, committed, pendingTotal, heads, kvHeads, headDim, scale);
            }
        }
    }
}
