package dev.sequoia.engine.backend.cuda;

import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.tensor.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The quantized layer image (Q8_0, Q4_0 or one K-quant type): each projection's GGUF
 * blocks copied verbatim from the model (row-major, rows of cols/32 blocks, so the whole matrix is its blocks
 * back to back), the projections in image order at {@link Fp16Layers.Offsets#of(LayerFormat, int, int, int)}.
 * No requantization: the device sees the file's exact weights.
 */
public final class QuantLayers {
    private QuantLayers() {}

    /** Copies layer {@code w}'s blocks into {@code dst}; every projection must already be of {@code format}'s type. */
    public static void write(LayerWeights w, LayerFormat format, Fp16Layers.Offsets at, MemorySegment dst) {
        if (!format.isQuantized()) throw new IllegalArgumentException("QuantLayers writes quantized images, not " + format);
        if (dst.byteSize() < at.total()) {
            throw new IllegalArgumentException(format + " layer image needs " + at.total() + " bytes, destination has " + dst.byteSize());
        }
        List<WeightMatrix> p = LayerFormat.projections(w);
        long[] offsets = {at.q(), at.k(), at.v(), at.o(), at.gate(), at.down(), at.up(), at.total()};
        for (int i = 0; i < p.size(); i++) {
            WeightMatrix m = p.get(i);
            if (m.type() != format.type()) {
                throw new IllegalArgumentException(m.name() + " is " + m.type() + "; a " + format + " layer image needs "
                        + format.type() + " projections (load the model with LayerFormat.F16 instead)");
            }
            long room = offsets[i + 1] - offsets[i];
            if (m.byteSize() != room) {
                throw new IllegalArgumentException(m.name() + " has " + m.byteSize() + " bytes; its place in the "
                        + format + " image has " + room);
            }
            MemorySegment.copy(m.data(), 0, dst, offsets[i], room);
        }
    }
}
