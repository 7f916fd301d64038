package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.BinaryCursor;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.TensorSlice;
import dev.sequoia.engine.tensor.TensorLocation;
import dev.sequoia.engine.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the structure of a mapped GGUF v2/v3 file (ggml's docs/gguf.md): header, metadata key/values of
 * every type (arrays included), tensor infos and the aligned start of the tensor data. Every tensor is
 * validated here (supported type, sane dims, aligned offset, data inside the file); its data is never read.
 */
public final class GgufReader {
    /** "GGUF" read as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY_NESTING = 4;
    /** name (8) + n_dims (4) + one dim (8) + type (4) + offset (8). */
    private static final int MIN_TENSOR_INFO_BYTES = 32;
    /** key (8) + type (4) + smallest value (1). */
    private static final int MIN_KV_BYTES = 13;

    private final BinaryCursor in;

    private GgufReader(Path file, MemorySegment mapping) {
        this.in = new BinaryCursor(file, mapping);
    }

    public static GgufFile read(Path file, MemorySegment mapping) {
        return new GgufReader(file, mapping).read();
    }

    private GgufFile read() {
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw new ModelFormatException(in.file(), "bad magic 0x%08x, expected 'GGUF'".formatted(magic));
        }
        int version = in.i32("version");
        if (version != 2 && version != 3) {
            throw new ModelFormatException(in.file(), "unsupported GGUF version " + version
                    + " (expected 2 or 3, little-endian; version 1 and big-endian files are not supported)");
        }
        long tensorCount = in.i64("tensor_count");
        in.requireCount(tensorCount, MIN_TENSOR_INFO_BYTES, "tensor_count");
        long kvCount = in.i64("metadata_kv_count");
        in.requireCount(kvCount, MIN_KV_BYTES, "metadata_kv_count");
        Map<String, MemorySegment> encoded = new LinkedHashMap<>();
        GgufMetadata metadata = new GgufMetadata(in.file(), readMetadata(kvCount, encoded), encoded);
        long alignment = alignment(metadata);
        List<GgufTensorInfo> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) infos.add(readTensorInfo(i));
        long dataStart = alignUp(in.position(), alignment);
        Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
        for (GgufTensorInfo t : infos) {
            validateTensor(t, alignment, dataStart);
            if (tensors.put(t.name(), t) != null) {
                throw new ModelFormatException(in.file(), "tensor '" + t.name() + "' appears twice");
            }
        }
        return new GgufFile(in.file(), version, metadata, tensors, alignment, dataStart, in.data());
    }

    /** The key/values in file order; {@code encoded} receives each entry's bytes as stored. */
    private Map<String, Object> readMetadata(long count, Map<String, MemorySegment> encoded) {
        Map<String, Object> kv = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            long start = in.position();
            String key = string("metadata key #" + i);
            GgufValueType type = valueType(in.u32("type of '" + key + "'"), key);
            Object value = value(type, key, 0);
            if (kv.put(key, value) != null) throw in.error("metadata key '" + key + "' appears twice");
            encoded.put(key, in.data().asSlice(start, in.position() - start));
        }
        return kv;
    }

    private GgufValueType valueType(long id, String key) {
        GgufValueType t = GgufValueType.fromId(id);
        if (t == null) throw in.error("metadata '" + key + "' has unknown value type " + id + " (expected 0..12)");
        return t;
    }

    private Object value(GgufValueType type, String key, int depth) {
        return switch (type) {
            case UINT8 -> in.u8(key);
            case INT8 -> (int) (byte) in.u8(key);
            case UINT16 -> in.i16(key) & 0xFFFF;
            case INT16 -> (int) in.i16(key);
            case UINT32 -> in.u32(key);
            case INT32 -> in.i32(key);
            case FLOAT32 -> in.f32(key);
            case BOOL -> boolValue(key);
            case STRING -> string(key);
            case UINT64, INT64 -> in.i64(key);
            case FLOAT64 -> in.f64(key);
            case ARRAY -> array(key, depth);
        };
    }

    private boolean boolValue(String key) {
        int b = in.u8(key);
        if (b > 1) throw in.error("metadata '" + key + "': bool must be 0 or 1, found " + b);
        return b == 1;
    }

    private GgufArray array(String key, int depth) {
        if (depth >= MAX_ARRAY_NESTING) throw in.error("metadata '" + key + "': arrays nested too deeply");
        GgufValueType elementType = valueType(in.u32("element type of '" + key + "'"), key);
        long n = in.i64("length of array '" + key + "'");
        in.requireCount(n, elementType.minBytes(), "length of array '" + key + "'");
        List<Object> values = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) values.add(value(elementType, key, depth + 1));
        return new GgufArray(elementType, values);
    }

    private String string(String what) {
        long len = in.i64("length of " + what);
        in.requireCount(len, 1, "length of " + what);
        return in.utf8(len, what);
    }

    private long alignment(GgufMetadata metadata) {
        if (!metadata.has("general.alignment")) return DEFAULT_ALIGNMENT;
        Object v = metadata.get("general.alignment");
        long a = v instanceof Number n && !(v instanceof Float || v instanceof Double) ? n.longValue() : -1;
        if (a <= 0 || a > (1 << 20) || Long.bitCount(a) != 1) {
            throw new ModelFormatException(in.file(), "general.alignment = " + v + ", expected a power of two");
        }
        return a;
    }

    private GgufTensorInfo readTensorInfo(long index) {
        String name = string("name of tensor #" + index);
        long nDims = in.u32("n_dimensions of tensor '" + name + "'");
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw in.error("tensor '" + name + "' has " + nDims + " dimensions, expected 1.." + MAX_DIMS);
        }
        long[] ne = new long[(int) nDims];
        for (int d = 0; d < nDims; d++) ne[d] = in.i64("dimension " + d + " of tensor '" + name + "'");
        int type = in.i32("type of tensor '" + name + "'");
        long offset = in.i64("offset of tensor '" + name + "'");
        return new GgufTensorInfo(name, ne, type, offset);
    }

    private void validateTensor(GgufTensorInfo t, long alignment, long dataStart) {
        TensorType type = supportedType(t);
        long elements = elements(t);
        if (t.ne()[0] % type.blockSize() != 0) {
            throw new ModelFormatException(in.file(), "tensor '" + t.name() + "': " + type + " needs rows of a multiple of "
                    + type.blockSize() + " elements, ne[0] = " + t.ne()[0]);
        }
        if (t.offset() < 0 || t.offset() % alignment != 0) {
            throw new ModelFormatException(in.file(), "tensor '" + t.name() + "': data offset " + t.offset()
                    + " is not a non-negative multiple of the alignment " + alignment);
        }
        long bytes = type.byteSize(elements);
        in.slice(dataStart + t.offset(), bytes, "data of tensor '" + t.name() + "' (" + type + " " + elements
                + " elements at data offset " + t.offset() + ")");
    }

    private TensorType supportedType(GgufTensorInfo t) {
        TensorType type = TensorType.fromGgmlId(t.ggmlType());
        if (type == null) {
            throw new ModelFormatException(in.file(), "tensor '" + t.name() + "' has unsupported type "
                    + GgmlTypeNames.name(t.ggmlType()) + "; supported: F32, F16, BF16, Q8_0, Q4_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K");
        }
        return type;
    }

    /** The element count, bounded by what the file could hold (no overflow, no absurd dims). */
    private long elements(GgufTensorInfo t) {
        long limit = 4 * in.size(); // no supported type stores more than four elements per byte (Q2_K: 3.05)
        long n = 1;
        for (long d : t.ne()) {
            if (d <= 0 || d > limit || n > limit / d) {
                throw new ModelFormatException(in.file(), "tensor '" + t.name() + "' has dims ne = "
                        + java.util.Arrays.toString(t.ne()) + ": each must be positive and the product at most "
                        + limit + " for a file of " + in.size() + " bytes");
            }
            n *= d;
        }
        return n;
    }

    /** The tensors as outer-first views of their data (all were validated by {@link #read}). */
    public static Map<String, TensorSlice> slices(GgufFile f) {
        Map<String, TensorSlice> out = new LinkedHashMap<>();
        for (GgufTensorInfo t : f.tensors().values()) {
            TensorType type = TensorType.fromGgmlId(t.ggmlType());
            long elements = 1;
            for (long d : t.ne()) elements *= d;
            long offset = f.dataStart() + t.offset(), bytes = type.byteSize(elements);
            MemorySegment data = f.mapping().asSlice(offset, bytes);
            out.put(t.name(), new TensorSlice(t.name(), type, t.shapeOuterFirst(), data,
                    new TensorLocation(f.path(), offset, bytes)));
        }
        return out;
    }

    static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }
}
