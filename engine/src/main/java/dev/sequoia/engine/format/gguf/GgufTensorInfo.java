package dev.sequoia.engine.format.gguf;

import java.util.Arrays;

/**
 * One tensor-info entry of a GGUF file, as stored: dims in ggml {@code ne} order (inner dimension first),
 * the GGML type id and the offset of its data relative to the start of the tensor-data section.
 */
public record GgufTensorInfo(String name, long[] ne, int ggmlType, long offset) {
    public GgufTensorInfo {
        ne = ne.clone();
    }

    @Override
    public long[] ne() { return ne.clone(); }

    /** The dims outer-first: {@code (rows, cols)} for a matrix. */
    public long[] shapeOuterFirst() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) s[i] = ne[ne.length - 1 - i];
        return s;
    }

    @Override
    public String toString() {
        return name + " ne=" + Arrays.toString(ne) + " type=" + GgmlTypeNames.name(ggmlType) + " offset=" + offset;
    }
}
