package dev.sequoia.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the table of contents of an NVIDIA fatbin (what nvcc -fatbin writes): which GPU architectures it
 * carries machine code (ELF/cubin) for, and which PTX it carries for JIT on newer GPUs. Used to check the
 * build's output without a GPU and to say, on a GPU, whether it has code for that GPU.
 *
 * <p>Layout (little-endian): header {u32 magic 0xBA55ED50, u16 version, u16 headerSize, u64 payloadSize},
 * then entries {u16 kind (1 = PTX, 2 = ELF), u16 version, u32 entryHeaderSize, u64 size, ..., u32 arch at
 * offset 28}, each followed by its payload.
 */
public final class Fatbin {
    private Fatbin() {}

    public static final int MAGIC = 0xBA55ED50;

    /** One image: PTX or ELF for an architecture such as 90 (sm_90 / compute_90). */
    public record Entry(Kind kind, int arch, long bytes) {
        @Override
        public String toString() {
            return (kind == Kind.PTX ? "compute_" : "sm_") + arch;
        }
    }

    public enum Kind { PTX, ELF }

    /** The entries of {@code image}; throws naming the offset when it is not a fatbin. */
    public static List<Entry> entries(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (image.length < 16 || b.getInt(0) != MAGIC) {
            throw new IllegalArgumentException("not a fatbin: expected magic 0xBA55ED50 at offset 0 of "
                    + image.length + " bytes");
        }
        int headerSize = b.getShort(6) & 0xFFFF;
        long end = headerSize + b.getLong(8);
        List<Entry> out = new ArrayList<>();
        long off = headerSize;
        while (off + 32 <= Math.min(end, image.length)) {
            int at = (int) off;
            int kind = b.getShort(at) & 0xFFFF;
            int entryHeader = b.getInt(at + 4);
            long size = b.getLong(at + 8);
            int arch = b.getInt(at + 28);
            if (kind != 1 && kind != 2) {
                throw new IllegalArgumentException("fatbin entry at offset " + off + " has kind " + kind + ", expected 1 (PTX) or 2 (ELF)");
            }
            out.add(new Entry(kind == 1 ? Kind.PTX : Kind.ELF, arch, size));
            off += entryHeader + size;
        }
        return out;
    }
}
