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
final class LayerDequantizer implements AutoCloseable {
    private static final int BLOCK = 256;
    private static final int MAX_GRID = 65535; // the kernel strides over the rest
    private final LayerFormat format;
    private final long elements;
    private final DeviceBuffer scratch;

    LayerDequantizer(CudaContext ctx, LayerFormat format, Fp16Layers.Offsets fp16) {
        if (!format.isQuantized()) throw new IllegalArgumentException("a " + format + " image needs no dequantization");
        this.format = format;
        this.elements = fp16.total() / 2;
        this.scratch = ctx.allocate(fp16.total());
    }

    /** Enqueues image (quantized, at device address {@code image}) -> scratch (fp16); returns the scratch's address. */
    long toFp16(CudaModule module, CudaStream stream, long image) {
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
