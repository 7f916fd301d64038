package dev.sequoia.engine.backend.cuda;

import dev.sequoia.cuda.CudaContext;
import dev.sequoia.cuda.CudaModule;
import dev.sequoia.cuda.CudaStream;
import dev.sequoia.cuda.DeviceBuffer;
import dev.sequoia.cuda.Kernel.Dim3;

import java.lang.foreign.MemorySegment;

/**
 * Turns a quantized layer image on the device (resident buffer or slot) into the fp16 layer image the GEMMs
 * read: one launch of the format's dequant kernel over the whole image, on the compute stream, into one
 * reusable fp16 scratch of one layer. Because both images hold the projections back to back in the same order,
 * quantized block i is fp16 elements 32i..32i+31 and the fp16 offsets apply to the scratch unchanged.
 *
 * <p>Ordering: it runs on the stream the layer's GEMMs run on, after the "layer ready" wait and before the
 * "slot free" record, so the slot is not overwritten while it is read and the scratch not while the previous
 * layer's GEMMs read it. Owns the scratch; the module and stream are borrowed.
 */
public final class LayerDequantizer implements AutoCloseable {
    private static final int BLOCK = 256;
    private static final int MAX_GRID = 65535; // the kernel strides over the rest
    private final LayerFormat format;
    private final long elements;
    private final DeviceBuffer scratch;
    /** K_MIXED: the per-layer projection types, the quantized image's offsets and the fp16 ones; else null. */
    private final KQuantLayout kquant;
    private final long[] quantAt, halfAt;

    public LayerDequantizer(CudaContext ctx, LayerFormat format, Fp16Layers.Offsets fp16) {
        this(ctx, format, fp16, null, null);
    }

    /** {@code kquant} and {@code quant} (its image offsets) for a K_MIXED image, else null. */
    LayerDequantizer(CudaContext ctx, LayerFormat format, Fp16Layers.Offsets fp16, KQuantLayout kquant,
                     Fp16Layers.Offsets quant) {
        if (!format.isQuantized()) throw new IllegalArgumentException("a " + format + " image needs no dequantization");
        if ((format == LayerFormat.K_MIXED) != (kquant != null)) {
            throw new IllegalArgumentException("a K_MIXED image, and only one, needs its KQuantLayout");
        }
        this.format = format;
        this.elements = fp16.total() / 2;
        this.kquant = kquant;
        this.quantAt = kquant == null ? null : starts(quant);
        this.halfAt = starts(fp16);
        this.scratch = ctx.allocate(fp16.total());
    }

    private static long[] starts(Fp16Layers.Offsets o) {
        return new long[]{o.q(), o.k(), o.v(), o.o(), o.gate(), o.down(), o.up(), o.total()};
    }

    /**
     * Layer {@code layer}'s image -> scratch: one launch over the whole image, or for K_MIXED one launch per
     * projection with that projection's type (region p of the image -> fp16 projection p of the scratch).
     */
    long toFp16(CudaModule module, CudaStream stream, long image, int layer) {
        if (kquant == null) return toFp16(module, stream, image);
        for (int p = 0; p < 7; p++) {
            long halves = (halfAt[p + 1] - halfAt[p]) / 2;
            LayerFormat f = LayerFormat.valueOf(kquant.types()[layer][p].name());
            int grid = (int) Math.min(MAX_GRID, (halves + BLOCK - 1) / BLOCK);
            module.kernel(f.dequantKernel()).launch(Dim3.of(grid), Dim3.of(BLOCK), 0, stream, image + quantAt[p],
                    scratch.address() + halfAt[p], halves / f.type().blockSize());
        }
        return scratch.address();
    }

    /** Enqueues image (quantized, at device address {@code image}) -> scratch (fp16); returns the scratch's address. */
    public long toFp16(CudaModule module, CudaStream stream, long image) {
        if (kquant != null) throw new IllegalStateException("a K_MIXED image is dequantized per layer: toFp16(..., layer)");
        long blocks = elements / format.type().blockSize();
        int grid = (int) Math.min(MAX_GRID, (elements + BLOCK - 1) / BLOCK);
        // image (blocks of 32 quants) -> scratch (elements,) fp16
        module.kernel(format.dequantKernel()).launch(Dim3.of(grid), Dim3.of(BLOCK), 0, stream, image, scratch.address(), blocks);
        return scratch.address();
    }

    /** Device bytes of the scratch (one fp16 layer image). */
    long scratchBytes() { return scratch.byteSize(); }

    long scratchAddress() { return scratch.address(); }

    /** Copies the scratch (the last image dequantized, once its stream is synchronized) to the host: for tests. */
    void readScratch(MemorySegment dst) { scratch.copyTo(0, dst.asSlice(0, scratch.byteSize())); }

    @Override
    public void close() { scratch.close(); }
}
