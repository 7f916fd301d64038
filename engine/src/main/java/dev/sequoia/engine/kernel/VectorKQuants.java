package dev.sequoia.engine.kernel;

import dev.sequoia.engine.tensor.TensorType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.sequoia.engine.kernel.KQuantBlocks.half;
import static dev.sequoia.engine.kernel.KQuantBlocks.u8;

/**
 * Vector decoding of K-quant super-blocks, the twin of {@link KQuantBlocks} (same layouts, same float
 * operations in the same order: a product and then a difference, never fused, so the values are equal bit
 * for bit). Every run of 16 values shares one scale (and min), so one byte vector of {@code L <= 16} quants is
 * unpacked with byte shifts and masks, widened to floats and scaled. Stateless; safe from any thread.
 */
final class VectorKQuants {
    private static final VectorSpecies<Float> F = VectorDequant.F;
    private static final int L = VectorDequant.L;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private VectorKQuants() {}

    /** {@code blocks} super-blocks of {@code type} from byte {@code off} of seg into {@code dst[dstOff..)}. */
    static void decode(TensorType type, MemorySegment seg, long off, int blocks, float[] dst, int dstOff) {
        if (L > 16) { // 1024-bit vectors: the scalar decoder (no such CPU ships today)
            for (int b = 0; b < blocks; b++) {
                KQuantBlocks.decode(type, seg, off + (long) b * type.bytesPerBlock(), dst, dstOff + 256 * b);
            }
            return;
        }
        int bytes = type.bytesPerBlock();
        for (int b = 0; b < blocks; b++, off += bytes, dstOff += 256) {
            switch (type) {
                case Q2_K -> q2(seg, off, dst, dstOff);
                case Q3_K -> q3(seg, off, dst, dstOff);
                case Q4_K -> q45(seg, off, off + 16, -1, dst, dstOff);
                case Q5_K -> q45(seg, off, off + 48, off + 16, dst, dstOff);
                case Q6_K -> q6(seg, off, dst, dstOff);
                default -> throw new IllegalArgumentException(type + " is not a K-quant type");
            }
        }
    }

    private static ByteVector bytes(MemorySegment seg, long off) {
        return ByteVector.fromMemorySegment(B, seg, off, LE);
    }

    private static FloatVector floats(ByteVector q) {
        return (FloatVector) q.convertShape(VectorOperators.B2F, F, 0);
    }

    private static void q2(MemorySegment seg, long off, float[] y, int o) {
        float d = half(seg, off + 80), min = half(seg, off + 82);
        int is = 0;
        for (int n = 0; n < 256; n += 128) {
            long q = off + 16 + n / 4;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int h = 0; h < 2; h++, o += 16) {
                    int sc = u8(seg, off + is++);
                    float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l += L) {
                        ByteVector v = bytes(seg, q + 16 * h + l).lanewise(VectorOperators.LSHR, shift).and((byte) 3);
                        floats(v).mul(dl).sub(ml).intoArray(y, o + l);
                    }
                }
            }
        }
    }

    private static void q3(MemorySegment seg, long off, float[] y, int o) {
        float d = half(seg, off + 108);
        int is = 0, bit = 0;
        for (int n = 0; n < 256; n += 128) {
            long q = off + 32 + n / 4;
            for (int shift = 0; shift < 8; shift += 2, bit++) {
                for (int h = 0; h < 2; h++, o += 16) {
                    float dl = d * (KQuantBlocks.q3Scale(seg, off + 96, is++) - 32);
                    for (int l = 0; l < 16; l += L) {
                        ByteVector low = bytes(seg, q + 16 * h + l).lanewise(VectorOperators.LSHR, shift).and((byte) 3);
                        ByteVector high = bytes(seg, off + 16 * h + l).lanewise(VectorOperators.LSHR, bit).and((byte) 1);
                        ByteVector v = low.add(high.lanewise(VectorOperators.LSHL, 2)).sub((byte) 4);
                        floats(v).mul(dl).intoArray(y, o + l);
                    }
                }
            }
        }
    }

    /** Q4_K (qh < 0) or Q5_K: per 64 values, 32 bytes of nibbles (low: first 32 values) and maybe fifth bits. */
    private static void q45(MemorySegment seg, long off, long qs, long qh, float[] y, int o) {
        float d = half(seg, off), min = half(seg, off + 2);
        for (int sub = 0; sub < 8; sub++, o += 32) {
            float dl = d * KQuantBlocks.scaleMinK4(seg, off + 4, sub, false);
            float ml = min * KQuantBlocks.scaleMinK4(seg, off + 4, sub, true);
            int shift = 4 * (sub & 1);
            for (int l = 0; l < 32; l += L) {
                ByteVector v = bytes(seg, qs + 32 * (sub >>> 1) + l).lanewise(VectorOperators.LSHR, shift).and((byte) 0xF);
                if (qh >= 0) {
                    ByteVector h = bytes(seg, qh + l).lanewise(VectorOperators.LSHR, sub).and((byte) 1);
                    v = v.or(h.lanewise(VectorOperators.LSHL, 4));
                }
                floats(v).mul(dl).sub(ml).intoArray(y, o + l);
            }
        }
    }

    private static void q6(MemorySegment seg, long off, float[] y, int o) {
        float d = half(seg, off + 208);
        for (int n = 0; n < 2; n++, o += 128) {
            long ql = off + 64 * n, qh = off + 128 + 32 * n, sc = off + 192 + 8 * n;
            for (int l = 0; l < 32; l += L) {
                int is = l / 16;
                ByteVector lo = bytes(seg, ql + l), hi = bytes(seg, ql + l + 32), h = bytes(seg, qh + l);
                ByteVector q1 = lo.and((byte) 0xF).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                ByteVector q2 = hi.and((byte) 0xF).or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 3)
                        .lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                ByteVector q3 = lo.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 4)
                        .and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                ByteVector q4 = hi.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 6)
                        .lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                floats(q1).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + is)).intoArray(y, o + l);
                floats(q2).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 2)).intoArray(y, o + l + 32);
                floats(q3).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 4)).intoArray(y, o + l + 64);
                floats(q4).mul(d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 6)).intoArray(y, o + l + 96);
            }
        }
    }
}
