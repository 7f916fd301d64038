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
    /*
     * The K-quants: super-blocks of 256 values (ggml's QK_K) split into sub-blocks with their own small scales.
     * Byte layouts and decoding are in kernel/KQuantBlocks.
     */
    /** 16 x 4-bit scale/min pairs, 2-bit quants, fp16 d and dmin: 84 bytes per 256 values (2.625 bits). */
    Q2_K(10, 256, 84),
    /** 1 high bit + 2 low bits per quant, 16 x 6-bit signed scales, fp16 d: 110 bytes (3.4375 bits). */
    Q3_K(11, 256, 110),
    /** fp16 d and dmin, 8 x 6-bit scale/min pairs, 4-bit quants: 144 bytes (4.5 bits). */
    Q4_K(12, 256, 144),
    /** As Q4_K plus one high bit per quant: 176 bytes (5.5 bits). */
    Q5_K(13, 256, 176),
    /** 4 low + 2 high bits per quant, 16 x int8 scales, fp16 d: 210 bytes (6.5625 bits). */
    Q6_K(14, 256, 210),
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
    /** One of the 256-value super-block types (Q2_K .. Q6_K). */
    public boolean isKQuant() { return blockSize == 256; }

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
