package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.ModelFormatException;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The key/value metadata of a GGUF file with typed accessors. A missing required key or a value of the
 * wrong kind is a {@link ModelFormatException} naming the file, the key and what was found.
 */
public final class GgufMetadata {
    private final Path file;
    private final Map<String, Object> values;
    private final List<String> keys;
    private final Map<String, MemorySegment> encoded;

    public GgufMetadata(Path file, Map<String, Object> values) {
        this(file, values, Map.of());
    }

    /**
     * @param values  key -> value as read (in file order when the map keeps order)
     * @param encoded key -> the entry's bytes as stored in the file (key, type and value), for writers that copy
     *                entries verbatim (split parts); may be empty
     */
    public GgufMetadata(Path file, Map<String, Object> values, Map<String, MemorySegment> encoded) {
        this.file = file;
        this.keys = List.copyOf(values.keySet());
        this.values = Map.copyOf(values);
        this.encoded = Map.copyOf(encoded);
    }

    /** The keys in file order. */
    public List<String> keys() { return keys; }

    /** The entry of {@code key} exactly as the file stores it (key, value type, value), or null when unknown. */
    public MemorySegment encoded(String key) { return encoded.get(key); }

    public Map<String, Object> asMap() { return values; }
    public boolean has(String key) { return values.containsKey(key); }

    public Object get(String key) {
        Object v = values.get(key);
        if (v == null) throw new ModelFormatException(file, "metadata key '" + key + "' is missing");
        return v;
    }

    /** An integer value that fits an int (any GGUF integer type). */
    public int intValue(String key) {
        Object v = get(key);
        if (!(v instanceof Integer || v instanceof Long)) throw wrongType(key, v, "an integer");
        long l = ((Number) v).longValue();
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
            throw new ModelFormatException(file, "metadata key '" + key + "' = " + l + " does not fit an int");
        }
        return (int) l;
    }

    public int intValue(String key, int defaultValue) {
        return has(key) ? intValue(key) : defaultValue;
    }

    /** A floating-point value (float32 or float64; integers accepted). */
    public double doubleValue(String key) {
        Object v = get(key);
        if (!(v instanceof Number n)) throw wrongType(key, v, "a number");
        return n.doubleValue();
    }

    public double doubleValue(String key, double defaultValue) {
        return has(key) ? doubleValue(key) : defaultValue;
    }

    public String string(String key) {
        Object v = get(key);
        if (!(v instanceof String s)) throw wrongType(key, v, "a string");
        return s;
    }

    public String string(String key, String defaultValue) {
        return has(key) ? string(key) : defaultValue;
    }

    public GgufArray array(String key) {
        Object v = get(key);
        if (!(v instanceof GgufArray a)) throw wrongType(key, v, "an array");
        return a;
    }

    public String[] strings(String key) {
        List<Object> list = array(key).values();
        String[] out = new String[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof String s)) throw wrongType(key + "[" + i + "]", list.get(i), "a string");
            out[i] = s;
        }
        return out;
    }

    public float[] floats(String key) {
        List<Object> list = array(key).values();
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number n)) throw wrongType(key + "[" + i + "]", list.get(i), "a number");
            out[i] = n.floatValue();
        }
        return out;
    }

    public int[] ints(String key) {
        List<Object> list = array(key).values();
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object v = list.get(i);
            if (!(v instanceof Integer || v instanceof Long)) throw wrongType(key + "[" + i + "]", v, "an integer");
            out[i] = ((Number) v).intValue();
        }
        return out;
    }

    private ModelFormatException wrongType(String key, Object v, String expected) {
        String found = v instanceof GgufArray a ? "an array of " + a.elementType() : v.getClass().getSimpleName();
        return new ModelFormatException(file, "metadata key '" + key + "' should be " + expected + ", found " + found);
    }
}
