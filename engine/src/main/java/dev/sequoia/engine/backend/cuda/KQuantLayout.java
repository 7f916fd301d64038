package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.util.List;

/**
 * The layer images of a model whose projections are K-quants of more than one type ({@link LayerFormat#K_MIXED}:
 * a Q4_K_M file holds Q4_K and, in some layers, Q6_K projections). Each projection's blocks are copied verbatim
 * into a region sized for the largest type that projection has in any layer, so every image has the same
 * offsets and size (a slot holds any layer); a layer whose projection is smaller leaves the region's tail
 * unused. The device dequantizes each projection with its own type's kernel ({@link LayerDequantizer}).
 *
 * @param types     per layer, the seven projections' types in image order (q, k, v, o, gate, down, up)
 * @param slotTypes per projection, the type whose size its region has (the largest over layers)
 */
public record KQuantLayout(TensorType[][] types, TensorType[] slotTypes) {
    /** The layout of {@code w}, or null when some projection is not a K-quant. */
    public static KQuantLayout of(LlamaWeights w) {
        if (w.layers().isEmpty()) return null;
        TensorType[][] types = new TensorType[w.layers().size()][];
        TensorType[] slot = new TensorType[7];
        for (int l = 0; l < types.length; l++) {
            List<WeightMatrix> p = LayerFormat.projections(w.layers().get(l));
            types[l] = new TensorType[p.size()];
            for (int i = 0; i < p.size(); i++) {
                TensorType t = p.get(i).type();
                if (!t.isKQuant()) return null;
                types[l][i] = t;
                if (slot[i] == null || t.bytesPerBlock() > slot[i].bytesPerBlock()) slot[i] = t;
            }
        }
        return new KQuantLayout(types, slot);
    }

    /** Byte offsets of the projection regions and the image size. */
    public Fp16Layers.Offsets offsets(LlamaConfig c) {
        long[] elements = elements(c);
        long[] at = new long[8];
        for (int i = 0; i < 7; i++) at[i + 1] = at[i] + slotTypes[i].byteSize(elements[i]);
        return new Fp16Layers.Offsets(at[0], at[1], at[2], at[3], at[4], at[5], at[6], at[7]);
    }

    /** Elements of the seven projections in image order. */
    static long[] elements(LlamaConfig c) {
        long dim = c.dim(), kv = c.kvDim(), hidden = c.hiddenDim();
        return new long[]{dim * dim, kv * dim, kv * dim, dim * dim, hidden * dim, dim * hidden, hidden * dim};
    }

    /** Copies layer {@code w}'s blocks (layer {@code layer} of this layout) into {@code dst} at {@code at}. */
    public void write(int layer, LayerWeights w, Fp16Layers.Offsets at, java.lang.foreign.MemorySegment dst) {
        List<WeightMatrix> p = LayerFormat.projections(w);
        long[] starts = {at.q(), at.k(), at.v(), at.o(), at.gate(), at.down(), at.up(), at.total()};
        for (int i = 0; i < p.size(); i++) {
            WeightMatrix m = p.get(i);
            if (m.type() != types[layer][i]) {
                throw new IllegalArgumentException(m.name() + " is " + m.type() + ", the layout says " + types[layer][i]);
            }
            if (m.byteSize() > starts[i + 1] - starts[i]) {
                throw new IllegalArgumentException(m.name() + " has " + m.byteSize() + " bytes; its region has "
                        + (starts[i + 1] - starts[i]));
            }
            java.lang.foreign.MemorySegment.copy(m.data(), 0, dst, starts[i], m.byteSize());
        }
    }
}
