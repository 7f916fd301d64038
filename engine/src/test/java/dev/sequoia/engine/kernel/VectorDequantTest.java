package dev.sequoia.engine.kernel;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vector float16 conversion against {@link Float#float16ToFloat} on all 65,536 bit patterns. */
class VectorDequantTest {
    @Test
    void f16ConversionIsExactForEveryBitPattern() {
        VectorSpecies<Integer> ints = VectorDequant.F.withLanes(int.class).check(int.class);
        int lanes = ints.length();
        int[] bits = new int[lanes];
        float[] got = new float[lanes];
        for (int base = 0; base < 65536; base += lanes) {
            for (int i = 0; i < lanes; i++) bits[i] = (short) (base + i); // sign-extended, as S2I produces
            VectorDequant.f16ToF32(IntVector.fromArray(ints, bits, 0)).intoArray(got, 0);
            for (int i = 0; i < lanes; i++) {
                float expected = Float.float16ToFloat((short) bits[i]);
                String what = "f16 0x" + Integer.toHexString((base + i) & 0xFFFF);
                if (Float.isNaN(expected)) assertTrue(Float.isNaN(got[i]), what + " must be NaN, got " + got[i]);
                else assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(got[i]), what);
            }
        }
    }
}
