package dev.sequoia.engine.format.llama2c;

import dev.sequoia.engine.format.BinaryCursor;
import dev.sequoia.engine.format.LlamaTensorMapper;
import dev.sequoia.engine.format.MappedFiles;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.TensorNames;
import dev.sequoia.engine.format.TensorSlice;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.tensor.TensorLocation;
import dev.sequoia.engine.tensor.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads a llama2.c v0 checkpoint ({@code .bin}): the header, then float32 arrays in a fixed order, each
 * matrix row-major {@code (out, in)} and stacked over layers (layout in shared/models/README.md). The arrays
 * become GGUF-named {@link TensorSlice}s over the mapping, so the shared mapper checks and builds the
 * weights. The file has no tokenizer (it comes from a separate file); the result's tokenizer is null.
 */
public final class Llama2cReader {
    private final Path file;
    private final MemorySegment mapping;
    private final Llama2cHeader h;
    private final Map<String, TensorSlice> tensors = new LinkedHashMap<>();
    private long offset = Llama2cHeader.BYTES;

    private Llama2cReader(Path file, MemorySegment mapping, Llama2cHeader header) {
        this.file = file;
        this.mapping = mapping;
        this.h = header;
    }

    public static Model read(Path file, Arena arena) {
        MemorySegment mapping = MappedFiles.map(file, arena);
        Llama2cHeader header = Llama2cHeader.read(new BinaryCursor(file, mapping));
        return new Llama2cReader(file, mapping, header).read();
    }

    private Model read() {
        checkSize();
        LlamaConfig config = config();
        TensorNames n = TensorNames.GGUF;
        long dim = h.dim(), kv = h.kvDim(), hidden = h.hiddenDim();
        add(n.embedding(), h.vocabSize(), dim);
        stacked(n.attnNorm(), dim);
        stacked(n.wq(), dim, dim);
        stacked(n.wk(), kv, dim);
        stacked(n.wv(), kv, dim);
        stacked(n.wo(), dim, dim);
        stacked(n.ffnNorm(), dim);
        stacked(n.gate(), hidden, dim);
        stacked(n.down(), dim, hidden);
        stacked(n.up(), hidden, dim);
        add(n.finalNorm(), dim);
        offset += 4L * h.seqLen() * h.headDim(); // freq_cis_real and freq_cis_imag: (seq_len, hs/2) each, unused
        if (!h.sharedClassifier()) add(n.classifier(), h.vocabSize(), dim);
        var weights = new LlamaTensorMapper(file, config, tensors, n).map();
        return new Model(file, "llama2c", config, weights, null, TensorSlice.locations(tensors), null);
    }

    private LlamaConfig config() {
        try {
            return new LlamaConfig(h.dim(), h.hiddenDim(), h.layers(), h.heads(), h.kvHeads(), h.vocabSize(),
                    h.seqLen(), 1e-5f, 10000f, h.headDim(), RopeLayout.INTERLEAVED, null);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file, "header: " + e.getMessage(), e);
        }
    }

    /** The file must be exactly header + arrays: anything else means a wrong header or a damaged file. */
    private void checkSize() {
        long dim = h.dim(), kv = h.kvDim(), hidden = h.hiddenDim(), vocab = h.vocabSize(), layers = h.layers();
        long floats = Llama2cSizes.sum(file,
                Llama2cSizes.product(file, vocab, dim),
                Llama2cSizes.product(file, layers, dim, 2),                        // rms_att, rms_ffn
                Llama2cSizes.product(file, layers, dim, dim, 2),                   // wq, wo
                Llama2cSizes.product(file, layers, kv, dim, 2),                    // wk, wv
                Llama2cSizes.product(file, layers, hidden, dim, 3),                // w1, w2, w3
                dim,                                                               // rms_final
                Llama2cSizes.product(file, h.seqLen(), h.headDim()),               // freq_cis tables
                h.sharedClassifier() ? 0 : Llama2cSizes.product(file, vocab, dim));
        long expected = Llama2cSizes.sum(file, Llama2cHeader.BYTES, Llama2cSizes.product(file, floats, 4));
        if (mapping.byteSize() != expected) {
            throw new ModelFormatException(file, "size is " + mapping.byteSize() + " bytes, but the header " + h
                    + " describes " + expected + " bytes" + (mapping.byteSize() < expected ? " (truncated?)" : ""));
        }
    }

    /** One (rows, cols) or (n) float32 array at the current offset. */
    private void add(String name, long... shape) {
        long elements = 1;
        for (long d : shape) elements *= d;
        long bytes = 4 * elements;
        tensors.put(name, new TensorSlice(name, TensorType.F32, shape, mapping.asSlice(offset, bytes),
                new TensorLocation(file, offset, bytes)));
        offset += bytes;
    }

    /** One array per layer, stored back to back ({@code [L][...]}). */
    private void stacked(String suffix, long... shape) {
        for (int l = 0; l < h.layers(); l++) add(TensorNames.GGUF.layer(l, suffix), shape);
    }
}
