package dev.sequoia.engine.format;

import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.tensor.TensorType;

/**
 * A whole model file's quantization, as llama.cpp names it ({@code llama_ftype}, written as GGUF's
 * {@code general.file_type}): a base tensor type plus, for the K-quant mixes, llama.cpp's per-tensor
 * choices ({@code llama_tensor_get_type} without an importance matrix, for the Llama architecture):
 * <ul>
 * <li>output.weight: Q6_K unless the file is Q8_0 (or F16/F32/BF16, which stay unquantized);
 * <li>attn_v: Q2_K -> Q4_K when heads/kv_heads >= 4 else Q3_K; Q3_K_M -> Q5_K in the first two layers, else
 *     Q4_K; Q4_K_M and Q5_K_M -> Q6_K in the layers {@link #useMoreBits} picks;
 * <li>ffn_down: Q2_K -> Q3_K; Q3_K_M -> Q5_K in the first 1/16 of the layers, else Q4_K; Q4_K_M and Q5_K_M
 *     -> Q6_K in the layers {@link #useMoreBits} picks;
 * <li>attn_output: Q2_K -> Q3_K; Q3_K_M -> Q4_K.
 * </ul>
 * A K-quant choice for a tensor whose rows are not whole 256-value super-blocks falls back to Q8_0 (llama.cpp
 * falls back to legacy types this engine does not read).
 */
public enum FileType {
    F32(0, TensorType.F32),
    F16(1, TensorType.F16),
    Q4_0(2, TensorType.Q4_0),
    Q8_0(7, TensorType.Q8_0),
    Q2_K(10, TensorType.Q2_K),
    Q3_K_M(12, TensorType.Q3_K),
    Q4_K_M(15, TensorType.Q4_K),
    Q5_K_M(17, TensorType.Q5_K),
    Q6_K(18, TensorType.Q6_K),
    BF16(32, TensorType.BF16);

    /** The projections and matrices whose type the mixes choose. */
    public enum Role { EMBEDDING, OUTPUT, ATTN_Q, ATTN_K, ATTN_V, ATTN_OUTPUT, FFN_GATE, FFN_DOWN, FFN_UP }

    private final int llamaFtype;
    private final TensorType base;

    FileType(int llamaFtype, TensorType base) {
        this.llamaFtype = llamaFtype;
        this.base = base;
    }

    /** llama.cpp's {@code LLAMA_FTYPE_MOSTLY_*} number, for {@code general.file_type}. */
    public int llamaFtype() { return llamaFtype; }

    /** The type of most tensors. */
    public TensorType base() { return base; }

    /**
     * The file type built on {@code type}: every matrix of that type for F32/F16/BF16/Q8_0, Q4_0 (with
     * llama.cpp's Q6_K output), and for a K-quant the mix llama.cpp names after it (Q4_K -> Q4_K_M).
     */
    public static FileType of(TensorType type) {
        return switch (type) {
            case F32 -> F32;
            case F16 -> F16;
            case BF16 -> BF16;
            case Q8_0 -> Q8_0;
            case Q4_0 -> Q4_0;
            case Q2_K -> Q2_K;
            case Q3_K -> Q3_K_M;
            case Q4_K -> Q4_K_M;
            case Q5_K -> Q5_K_M;
            case Q6_K -> Q6_K;
        };
    }

    /**
     * The type of a matrix of {@code role} in layer {@code layer} (ignored for the embedding and output) of a model
     * of {@code shape} (its layer count and heads / kv_heads choose as llama.cpp does), rows of {@code cols} values.
     */
    public TensorType typeFor(Role role, int layer, LlamaConfig shape, long cols) {
        TensorType t = chosen(role, layer, shape.layers(), shape.heads() / shape.kvHeads());
        return t.isKQuant() && cols % t.blockSize() != 0 ? TensorType.Q8_0 : t;
    }

    private TensorType chosen(Role role, int layer, int layers, int gqa) {
        if (!base.isQuantized()) return base;
        return switch (role) {
            case OUTPUT -> this == Q8_0 ? TensorType.Q8_0 : TensorType.Q6_K;
            case ATTN_V -> switch (this) {
                case Q2_K -> gqa >= 4 ? TensorType.Q4_K : TensorType.Q3_K;
                case Q3_K_M -> layer < 2 ? TensorType.Q5_K : TensorType.Q4_K;
                case Q4_K_M, Q5_K_M -> useMoreBits(layer, layers) ? TensorType.Q6_K : base;
                default -> base;
            };
            case FFN_DOWN -> switch (this) {
                case Q2_K -> TensorType.Q3_K;
                case Q3_K_M -> layer < layers / 16 ? TensorType.Q5_K : TensorType.Q4_K;
                case Q4_K_M, Q5_K_M -> useMoreBits(layer, layers) ? TensorType.Q6_K : base;
                default -> base;
            };
            case ATTN_OUTPUT -> switch (this) {
                case Q2_K -> TensorType.Q3_K;
                case Q3_K_M -> TensorType.Q4_K;
                default -> base;
            };
            default -> base;
        };
    }

    /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers and every third between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }
}
