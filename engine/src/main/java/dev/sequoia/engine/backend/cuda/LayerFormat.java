package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.util.List;

/**
 * How a layer image stores its seven projections on the CUDA side (host pinned image, resident buffer, slot):
 * fp16, or the model's own GGUF Q8_0 / Q4_0 / K-quant blocks copied verbatim (half or less of the fp16 bytes
 * over PCIe). A quantized image is dequantized on the device into one fp16 scratch image before the layer's
 * GEMMs ({@link LayerDequantizer}); the GEMMs always read fp16. K-quant images hold one K type throughout (a
 * Q6_K file) or, {@link #K_MIXED}, each projection in its own K type ({@link KQuantLayout}: a Q4_K_M file).
 */
public enum LayerFormat {
    F16(TensorType.F16, null),
    Q8_0(TensorType.Q8_0, "dequant_q8_0_f16"),
    Q4_0(TensorType.Q4_0, "dequant_q4_0_f16"),
    Q2_K(TensorType.Q2_K, "dequant_q2_K_f16"),
    Q3_K(TensorType.Q3_K, "dequant_q3_K_f16"),
    Q4_K(TensorType.Q4_K, "dequant_q4_K_f16"),
    Q5_K(TensorType.Q5_K, "dequant_q5_K_f16"),
    Q6_K(TensorType.Q6_K, "dequant_q6_K_f16"),
    /** K-quant projections of several types: no single type; offsets and kernels come from {@link KQuantLayout}. */
    K_MIXED(null, "per projection");

    private final TensorType type;
    private final String dequantKernel;

    LayerFormat(TensorType type, String dequantKernel) {
        this.type = type;
        this.dequantKernel = dequantKernel;
    }

    /** The element type of the image's projections. */
    public TensorType type() { return type; }

    public boolean isQuantized() { return dequantKernel != null; }

    /** The kernel turning an image of this format into fp16 (blocks -> blockSize halves each); null for F16. */
    String dequantKernel() { return dequantKernel; }

    /** Byte offsets of the projections in an image of this format, and its total size (not for K_MIXED). */
    public Fp16Layers.Offsets offsets(LlamaConfig c) {
        if (this == K_MIXED) throw new IllegalStateException("K_MIXED images are laid out per model: KQuantLayout.offsets");
        return Fp16Layers.Offsets.of(this, c.dim(), c.kvDim(), c.hiddenDim());
    }

    /**
     * The model's own format: a quantized one when every projection of every layer is stored in it, K_MIXED when
     * every projection is some K-quant, else F16 (F32, BF16, F16 and other mixed models convert on the host).
     */
    public static LayerFormat of(LlamaWeights weights) {
        for (LayerFormat f : values()) {
            if (!f.isQuantized() || f == K_MIXED) continue;
            boolean all = true;
            for (LayerWeights l : weights.layers()) {
                for (WeightMatrix m : projections(l)) all &= m.type() == f.type;
            }
            if (all && !weights.layers().isEmpty()) return f;
        }
        return KQuantLayout.of(weights) != null ? K_MIXED : F16;
    }

    /** The seven projections in image order: q, k, v, o, gate (w1), down (w2), up (w3). */
    static List<WeightMatrix> projections(LayerWeights l) {
        return List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3());
    }
}
