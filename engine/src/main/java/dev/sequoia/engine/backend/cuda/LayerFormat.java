package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.util.List;

/**
 * How a layer image stores its seven projections on the CUDA side (host pinned image, resident buffer, slot):
 * fp16, or the model's own GGUF Q8_0 / Q4_0 blocks copied verbatim (half or about 0.28 of the fp16 bytes over
 * PCIe). A quantized image is dequantized on the device into one fp16 scratch image before the layer's GEMMs
 * ({@link LayerDequantizer}); the GEMMs always read fp16.
 */
public enum LayerFormat {
    F16(TensorType.F16, null),
    Q8_0(TensorType.Q8_0, "dequant_q8_0_f16"),
    Q4_0(TensorType.Q4_0, "dequant_q4_0_f16");

    private final TensorType type;
    private final String dequantKernel;

    LayerFormat(TensorType type, String dequantKernel) {
        this.type = type;
        this.dequantKernel = dequantKernel;
    }

    /** The element type of the image's projections. */
    public TensorType type() { return type; }

    public boolean isQuantized() { return dequantKernel != null; }

    /** The kernel turning an image of this format into fp16 (blocks -> 32 halves each); null for F16. */
    String dequantKernel() { return dequantKernel; }

    /** Byte offsets of the projections in an image of this format, and its total size. */
    public Fp16Layers.Offsets offsets(LlamaConfig c) {
        return Fp16Layers.Offsets.of(this, c.dim(), c.kvDim(), c.hiddenDim());
    }

    /**
     * The model's own format: Q8_0 (or Q4_0) when every projection of every layer is stored so, else F16
     * (F32, BF16, F16 and mixed-type models convert to fp16 on the host).
     */
    public static LayerFormat of(LlamaWeights weights) {
        for (LayerFormat f : List.of(Q8_0, Q4_0)) {
            boolean all = true;
            for (LayerWeights l : weights.layers()) {
                for (WeightMatrix m : projections(l)) all &= m.type() == f.type;
            }
            if (all && !weights.layers().isEmpty()) return f;
        }
        return F16;
    }

    /** The seven projections in image order: q, k, v, o, gate (w1), down (w2), up (w3). */
    static List<WeightMatrix> projections(LayerWeights l) {
        return List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3());
    }
}
