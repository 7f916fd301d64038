package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.FileType;
import dev.sequoia.engine.format.RowStreamer;
import dev.sequoia.engine.format.TensorPlan;
import dev.sequoia.engine.tensor.TensorType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Writes a GGUF v3 file: header, metadata, tensor infos (dims inner-first, offsets aligned), then each
 * tensor's data streamed row by row. Metadata values map to GGUF types as llama.cpp expects them:
 * Integer -> UINT32, Long -> UINT64, Float -> FLOAT32, Boolean -> BOOL, String -> STRING,
 * String[] / float[] / int[] -> arrays of STRING / FLOAT32 / INT32, and a {@link Typed} integer as its
 * stated type (llama.cpp checks some keys' types strictly: {@code split.no} is UINT16, say). {@code general.file_type} (llama.cpp's
 * {@code llama_ftype}) is always written: the caller's value, or else the file type of the matrices' most
 * common type, so llama.cpp need not guess it.
 */
public final class GgufWriter {
    /** An integer metadata value written as {@code type} (UINT8..INT64). */
    public record Typed(GgufValueType type, long value) {}

    private final int alignment;

    /** GGUF's key for llama.cpp's file type number. */
    public static final String FILE_TYPE = "general.file_type";

    public GgufWriter(int alignment) {
        this.alignment = alignment;
    }

    public void write(Path file, Map<String, Object> metadata, List<TensorPlan> tensors) throws IOException {
        write(file, metadata, tensors, bytes -> {});
    }

    /** As {@link #write(Path, Map, List)}, telling {@code progress} the bytes written after each tensor. */
    public void write(Path file, Map<String, Object> metadata, List<TensorPlan> tensors, LongConsumer progress)
            throws IOException {
        byte[] h = header(metadata, tensors);
        long written = GgufReader.alignUp(h.length, alignment);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(h));
            RowStreamer rows = new RowStreamer(ch);
            rows.pad(GgufReader.alignUp(h.length, alignment) - h.length);
            for (TensorPlan t : tensors) {
                rows.write(t);
                rows.pad(GgufReader.alignUp(t.byteSize(), alignment) - t.byteSize());
                written += GgufReader.alignUp(t.byteSize(), alignment);
                progress.accept(written);
            }
            rows.flush();
        }
    }

    /** Header, metadata and tensor infos: everything before the (aligned) tensor data. */
    public byte[] header(Map<String, Object> metadata, List<TensorPlan> tensors) {
        if (!metadata.containsKey(FILE_TYPE)) {
            metadata = new LinkedHashMap<>(metadata);
            metadata.put(FILE_TYPE, FileType.of(mostCommonMatrixType(tensors)).llamaFtype());
        }
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        Le le = new Le(head);
        le.i32(GgufReader.MAGIC);
        le.i32(3);
        le.i64(tensors.size());
        le.i64(metadata.size() + 1);
        le.string("general.alignment");
        le.i32(GgufValueType.UINT32.id());
        le.i32(alignment);
        for (var e : metadata.entrySet()) {
            le.string(e.getKey());
            value(le, e.getKey(), e.getValue());
        }
        long offset = 0;
        for (TensorPlan t : tensors) {
            le.string(t.name());
            long[] s = t.shape();
            le.i32(s.length);
            for (int d = s.length - 1; d >= 0; d--) le.i64(s[d]); // ggml ne: inner dimension first
            le.i32(t.type().ggmlId());
            le.i64(offset);
            offset = GgufReader.alignUp(offset + t.byteSize(), alignment);
        }
        return head.toByteArray();
    }

    /** The type most matrices (tensors of two or more dims) have; F32 when there are none. */
    static TensorType mostCommonMatrixType(List<TensorPlan> tensors) {
        Map<TensorType, Integer> counts = new EnumMap<>(TensorType.class);
        for (TensorPlan t : tensors) if (t.shape().length >= 2) counts.merge(t.type(), 1, Integer::sum);
        return counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(TensorType.F32);
    }

    /** The size of the whole file {@link #write} produces. */
    public long fileSize(byte[] header, List<TensorPlan> tensors) {
        long size = GgufReader.alignUp(header.length, alignment);
        for (TensorPlan t : tensors) size += GgufReader.alignUp(t.byteSize(), alignment);
        return size;
    }

    private static void value(Le le, String key, Object v) {
        switch (v) {
            case Integer i when i >= 0 -> { le.i32(GgufValueType.UINT32.id()); le.i32(i); }
            case Long l -> { le.i32(GgufValueType.UINT64.id()); le.i64(l); }
            case Float f -> { le.i32(GgufValueType.FLOAT32.id()); le.f32(f); }
            case Boolean b -> { le.i32(GgufValueType.BOOL.id()); le.out.write(b ? 1 : 0); }
            case Typed t -> typed(le, key, t);
            case String s -> { le.i32(GgufValueType.STRING.id()); le.string(s); }
            case String[] a -> {
                le.array(GgufValueType.STRING, a.length);
                for (String s : a) le.string(s);
            }
            case float[] a -> {
                le.array(GgufValueType.FLOAT32, a.length);
                for (float f : a) le.f32(f);
            }
            case int[] a -> {
                le.array(GgufValueType.INT32, a.length);
                for (int i : a) le.i32(i);
            }
            default -> throw new IllegalArgumentException("metadata '" + key + "': cannot write a " + v.getClass());
        }
    }

    private static void typed(Le le, String key, Typed t) {
        le.i32(t.type().id());
        switch (t.type()) {
            case UINT8, INT8 -> le.out.write((int) t.value());
            case UINT16, INT16 -> le.out.writeBytes(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN)
                    .putShort((short) t.value()).array());
            case UINT32, INT32 -> le.i32((int) t.value());
            case UINT64, INT64 -> le.i64(t.value());
            default -> throw new IllegalArgumentException("metadata '" + key + "': " + t.type() + " is not an integer type");
        }
    }

    /** One metadata entry (key, type, value) encoded as a GGUF file stores it. */
    public static byte[] encodeEntry(String key, Object value) {
        Le le = new Le(new ByteArrayOutputStream());
        le.string(key);
        value(le, key, value);
        return le.out.toByteArray();
    }

    /** One tensor-info entry: name, dims inner-first (ggml ne), type and data offset. */
    public static byte[] encodeTensorInfo(String name, long[] ne, int ggmlType, long offset) {
        Le le = new Le(new ByteArrayOutputStream());
        le.string(name);
        le.i32(ne.length);
        for (long d : ne) le.i64(d);
        le.i32(ggmlType);
        le.i64(offset);
        return le.out.toByteArray();
    }

    /** The fixed start of a GGUF v3 file: magic, version, tensor count, metadata count. */
    public static byte[] encodeStart(long tensors, long metadataEntries) {
        Le le = new Le(new ByteArrayOutputStream());
        le.i32(GgufReader.MAGIC);
        le.i32(3);
        le.i64(tensors);
        le.i64(metadataEntries);
        return le.out.toByteArray();
    }

    /** Little-endian primitives onto a byte stream. */
    private record Le(ByteArrayOutputStream out) {
        void i32(int v) { out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array()); }
        void i64(long v) { out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array()); }
        void f32(float v) { i32(Float.floatToRawIntBits(v)); }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            out.writeBytes(b);
        }

        void array(GgufValueType type, int n) {
            i32(GgufValueType.ARRAY.id());
            i32(type.id());
            i64(n);
        }
    }
}
