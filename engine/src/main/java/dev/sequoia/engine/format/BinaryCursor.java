package dev.sequoia.engine.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads little-endian values from a mapped model file at a moving position. Every read is bounds-checked
 * first; a failure is a {@link ModelFormatException} naming the file, the offset and what was being read.
 * Counts read from the file are checked against the bytes left ({@link #requireCount}) before anything is
 * allocated for them, so a corrupted count cannot allocate gigabytes or loop for long.
 *
 * <p>Owned by one reader on one thread; the segment belongs to the caller's arena.
 */
public final class BinaryCursor {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment data;
    private long pos;

    public BinaryCursor(Path file, MemorySegment data) {
        this.file = file;
        this.data = data;
    }

    public Path file() { return file; }
    public MemorySegment data() { return data; }
    public long position() { return pos; }
    public long size() { return data.byteSize(); }
    public long remaining() { return data.byteSize() - pos; }

    /** Fails unless {@code bytes} more bytes are available for {@code what}. */
    public void require(long bytes, String what) {
        if (bytes < 0 || bytes > remaining()) {
            throw error("truncated: " + what + " needs " + bytes + " bytes, only " + remaining() + " left of "
                    + size());
        }
    }

    /**
     * Fails unless {@code count} items of at least {@code minBytesEach} bytes could still fit in the file:
     * the guard to apply to every count before allocating or looping on it.
     */
    public void requireCount(long count, long minBytesEach, String what) {
        if (count < 0 || (minBytesEach > 0 && count > remaining() / minBytesEach)) {
            throw error("implausible " + what + " " + Long.toUnsignedString(count) + ": " + remaining()
                    + " bytes left cannot hold that many (at least " + minBytesEach + " bytes each)");
        }
    }

    public int u8(String what) {
        require(1, what);
        return data.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    public short i16(String what) {
        require(2, what);
        short v = data.get(I16, pos);
        pos += 2;
        return v;
    }

    public int i32(String what) {
        require(4, what);
        int v = data.get(I32, pos);
        pos += 4;
        return v;
    }

    /** An unsigned 32-bit value. */
    public long u32(String what) {
        return Integer.toUnsignedLong(i32(what));
    }

    public long i64(String what) {
        require(8, what);
        long v = data.get(I64, pos);
        pos += 8;
        return v;
    }

    public float f32(String what) {
        require(4, what);
        float v = data.get(F32, pos);
        pos += 4;
        return v;
    }

    public double f64(String what) {
        require(8, what);
        double v = data.get(F64, pos);
        pos += 8;
        return v;
    }

    /** {@code length} bytes decoded as UTF-8 (malformed sequences become U+FFFD). */
    public String utf8(long length, String what) {
        return new String(bytes(length, what), StandardCharsets.UTF_8);
    }

    public byte[] bytes(long length, String what) {
        require(length, what);
        byte[] out = data.asSlice(pos, length).toArray(ValueLayout.JAVA_BYTE);
        pos += length;
        return out;
    }

    public void skip(long bytes, String what) {
        require(bytes, what);
        pos += bytes;
    }

    public void seek(long position, String what) {
        if (position < 0 || position > size()) {
            throw error(what + " at offset " + position + " lies outside the file (" + size() + " bytes)");
        }
        pos = position;
    }

    /** A slice of the underlying file, checked to lie inside it. */
    public MemorySegment slice(long offset, long length, String what) {
        if (offset < 0 || length < 0 || offset > size() - length) {
            throw new ModelFormatException(file, what + ": bytes [" + offset + ", " + (offset + length)
                    + ") lie outside the file (" + size() + " bytes)");
        }
        return data.asSlice(offset, length);
    }

    /** An error naming the file and the current offset. */
    public ModelFormatException error(String message) {
        return new ModelFormatException(file, "at offset " + pos + ": " + message);
    }
}
