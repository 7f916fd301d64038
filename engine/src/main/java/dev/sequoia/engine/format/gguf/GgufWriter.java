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

/**
 * Writes a GGUF v3 file: header, metadata, tensor infos (dims inner-first, offsets aligned), then each
 * tensor's data streamed row by row. Metadata values map to GGUF types as llama.cpp expects them:
 * Integer -> UINT32, Long -> UINT64, Float -> FLOAT32, Boolean -> BOOL, String -> STRING,
 * String[] / float[] / int[] -> arrays of STRING / FLOAT32 / INT32. {@code general.file_type} (llama.cpp's
 * {@code llama_ftype}) is always written: the caller's value, or else the file type of the matrices' most
 * common type, so llama.cpp need not guess it.
 */
public final class GgufWriter {
    private final int alignment;

    /** GGUF's key for llama.cpp's file type number. */
    public static final String FILE_TYPE = "general.file_type";

    public GgufWriter(int alignment) {
        this.alignment = alignment;
    }

    public void write(Path file, Map<String, Object> metadata, List<TensorPlan> tensors) throws IOException {
        byte[] h = header(metadata, tensors);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(h));
            RowStreamer rows = new RowStreamer(ch);
            rows.pad(GgufReader.alignUp(h.length, alignment) - h.length);
            for (TensorPlan t : tensors) {
                rows.write(t);
                rows.pad(GgufReader.alignUp(t.byteSize(), alignment) - t.byteSize());
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
