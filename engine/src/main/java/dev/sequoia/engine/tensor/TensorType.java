package dev.sequoia.engine.tensor;

/**
 * Element types a weight tensor may have. Quantized types are stored in blocks along the row
 * (the inner, "in" dimension): a row of {@code cols} elements takes {@code cols / blockSize} blocks.
 * The numeric ids are GGML's ({@code ggml_type}) so GGUF files map directly.
 */
public enum TensorType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    /** 32 quants of 4 bits with one fp16 scale: 18 bytes per block. */
    Q4_0(2, 32, 18),
    /** 32 signed 8-bit quants with one fp16 scale: 34 bytes per block. */
    Q8_0(8, 32, 34),
    BF16(30, 1, 2);

    private final int ggmlId;
    private final int blockSize;
    private final int bytesPerBlock;

    TensorType(int ggmlId, int blockSize, int bytesPerBlock) {
        this.ggmlId = ggmlId;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    public int ggmlId() { return ggmlId; }
    public int blockSize() { return blockSize; }
    public int bytesPerBlock() { return bytesPerBlock; }
    public boolean isQuantized() { return blockSize > 1; }

    /** Bytes taken by {@code elements} values; elements must be a multiple of the block size. */
    public long byteSize(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return elements / blockSize * bytesPerBlock;
    }

    /** The type with GGML id {@code id}, or null when we do not support it. */
    public static TensorType fromGgmlId(int id) {
        for (TensorType t : values()) {
            if (t.ggmlId == id) return t;
        }
        return null;
    }
}
