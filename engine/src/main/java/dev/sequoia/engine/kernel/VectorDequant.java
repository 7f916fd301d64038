package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.tensor.WeightMatrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector decoding of weight rows into floats: one method per storage type, each the vector twin of the
 * matching case of {@link ScalarMatMul#dequantizeRow}. Stateless; safe from any thread.
 *
 * <p>F16 has no vector conversion in the Vector API ({@code S2F} converts the integer value), so it uses
 * the exact bit trick: move exponent+mantissa into float position and multiply by 2^112 (which also
 * renormalises subnormals), then patch infinities/NaNs and put the sign back.
 */
final class VectorDequant {
    /** The widest float species, but at least 256 bits so that the byte species of L lanes exists. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 8
            ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
    static final int L = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class).check(int.class);
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16 = ScalarMatMul.I16;

    private VectorDequant() {}

    /**
     * Columns {@code [c0, c0+len)} of row {@code row} of W as floats into {@code dst[dstOff..dstOff+len)}.
     * For block-quantized types c0 and len are multiples of the block size (32, or 256 for K-quants).
     */
    static void decode(WeightMatrix w, int row, int c0, int len, float[] dst, int dstOff) {
        decode(w.type(), w.data(), row * w.rowBytes() + w.type().byteSize(c0), len, dst, dstOff);
    }

    /** {@code len} values of {@code type} stored from byte {@code off} of {@code seg} as floats into dst. */
    static void decode(TensorType type, MemorySegment seg, long off, int len, float[] dst, int dstOff) {
        switch (type) {
            case F32 -> MemorySegment.copy(seg, ScalarMatMul.F32, off, dst, dstOff, len);
            case F16 -> halfs(seg, off, len, dst, dstOff, false);
            case BF16 -> halfs(seg, off, len, dst, dstOff, true);
            case Q8_0 -> q8(seg, off, len / 32, dst, dstOff);
            case Q4_0 -> q4(seg, off, len / 32, dst, dstOff);
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> VectorKQuants.decode(type, seg, off, len / 256, dst, dstOff);
        }
    }

    private static void halfs(MemorySegment seg, long off, int len, float[] dst, int dstOff, boolean bf16) {
        int i = 0;
        for (int upper = len - L; i <= upper; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(S, seg, off + 2L * i, LE);
            IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
            FloatVector f = bf16 ? bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats() : f16ToF32(bits);
            f.intoArray(dst, dstOff + i);
        }
        for (; i < len; i++) {
            short h = seg.get(I16, off + 2L * i);
            dst[dstOff + i] = bf16 ? ScalarMatMul.bf16ToFloat(h) : Float.float16ToFloat(h);
        }
    }

    /** IEEE binary16 bit patterns (in the low 16 bits of each lane, any high bits) to floats, exactly. */
    static FloatVector f16ToF32(IntVector h) {
        IntVector em = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
        FloatVector scaled = em.reinterpretAsFloats().mul(0x1p112f);
        VectorMask<Integer> infOrNan = h.and(0x7c00).eq(0x7c00);
        IntVector bits = ((IntVector) scaled.reinterpretAsInts()).blend(em.or(0x7f800000), infOrNan);
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** Q8_0 blocks: 2-byte f16 scale, then 32 signed bytes. */
    private static void q8(MemorySegment seg, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 34, dstOff += 32) {
            float scale = Float.float16ToFloat(seg.get(I16, off));
            for (int j = 0; j < 32; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, seg, off + 2 + j, LE);
                ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(scale).intoArray(dst, dstOff + j);
            }
        }
    }

    /** Q4_0 blocks: 2-byte f16 scale, then 16 bytes; byte j holds element j (low nibble) and j+16 (high). */
    private static void q4(MemorySegment seg, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 18, dstOff += 32) {
            float scale = Float.float16ToFloat(seg.get(I16, off));
            for (int j = 0; j < 16; j += L) {
                ByteVector q = ByteVector.fromMemorySegment(B, seg, off + 2 + j, LE);
                ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(scale).intoArray(dst, dstOff + j);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(scale).intoArray(dst, dstOff + 16 + j);
            }
        }
    }
}
