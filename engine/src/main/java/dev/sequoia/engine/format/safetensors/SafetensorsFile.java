package dev.sequoia.engine.format.safetensors;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.format.BinaryCursor;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.TensorSlice;
import dev.sequoia.engine.tensor.TensorLocation;
import dev.sequoia.engine.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One mapped {@code .safetensors} file: a little-endian u64 header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, then the data, offsets
 * relative to its start. Shapes are outer-first (row-major), like {@link TensorSlice}. F32, F16 and BF16
 * are supported; every entry is checked (dtype, shape, byte count, bounds) before a view is made.
 */
public final class SafetensorsFile {
    /** A header larger than this is treated as corrupt (real ones are well under a few MB). */
    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsFile() {}

    /** The tensors of a mapped file, by name, in header order. */
    public static Map<String, TensorSlice> read(Path file, MemorySegment mapping) {
        BinaryCursor in = new BinaryCursor(file, mapping);
        long headerLength = in.i64("header length");
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, "header length " + headerLength + " is implausible (expected 2.."
                    + MAX_HEADER_BYTES + ")");
        }
        String header = new String(in.bytes(headerLength, "JSON header"), StandardCharsets.UTF_8);
        long dataStart = 8 + headerLength;
        JsonNode root = parse(file, header);
        Map<String, TensorSlice> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals("__metadata__")) continue;
            out.put(e.getKey(), entry(in, e.getKey(), e.getValue(), dataStart));
        }
        return out;
    }

    private static JsonNode parse(Path file, String header) {
        try {
            JsonNode root = JSON.readTree(header);
            if (root == null || !root.isObject()) throw new ModelFormatException(file, "header is not a JSON object");
            return root;
        } catch (JacksonException e) {
            throw new ModelFormatException(file, "header is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static TensorSlice entry(BinaryCursor in, String name, JsonNode e, long dataStart) {
        Path file = in.file();
        TensorType type = dtype(file, name, e.path("dtype").asText(""));
        JsonNode shapeNode = e.path("shape"), offsets = e.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new ModelFormatException(file, "tensor '" + name + "': needs 'shape' and two 'data_offsets'");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).canConvertToLong() ? shapeNode.get(i).asLong() : -1;
            if (shape[i] < 0 || (shape[i] > 0 && elements > in.size() / shape[i])) {
                throw new ModelFormatException(file, "tensor '" + name + "': shape " + shapeNode + " is invalid for a file of "
                        + in.size() + " bytes");
            }
            elements *= shape[i];
        }
        long begin = offsets.get(0).asLong(-1), end = offsets.get(1).asLong(-1);
        long bytes = elements * (type == TensorType.F32 ? 4 : 2);
        if (begin < 0 || end - begin != bytes) {
            throw new ModelFormatException(file, "tensor '" + name + "': data_offsets " + offsets + " span "
                    + (end - begin) + " bytes, but " + type + " " + shapeNode + " needs " + bytes);
        }
        MemorySegment data = in.slice(dataStart + begin, bytes, "data of tensor '" + name + "'");
        return new TensorSlice(name, type, shape, data, new TensorLocation(file, dataStart + begin, bytes));
    }

    private static TensorType dtype(Path file, String name, String dtype) {
        return switch (dtype) {
            case "F32" -> TensorType.F32;
            case "F16" -> TensorType.F16;
            case "BF16" -> TensorType.BF16;
            default -> throw new ModelFormatException(file, "tensor '" + name + "' has unsupported dtype '" + dtype
                    + "'; supported: F32, F16, BF16");
        };
    }
}
