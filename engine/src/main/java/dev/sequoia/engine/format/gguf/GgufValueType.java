package dev.sequoia.engine.format.gguf;

/**
 * The metadata value types of the GGUF spec, with their ids and the fewest bytes a value of the type
 * takes in the file (used to bound counts before reading arrays).
 */
public enum GgufValueType {
    UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
    /** uint64 length + UTF-8 bytes. */
    STRING(8, 8),
    /** uint32 element type + uint64 count + elements. */
    ARRAY(9, 12),
    UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

    private final int id;
    private final int minBytes;

    GgufValueType(int id, int minBytes) {
        this.id = id;
        this.minBytes = minBytes;
    }

    public int id() { return id; }
    public int minBytes() { return minBytes; }

    /** The type with this id, or null when the spec has none. */
    public static GgufValueType fromId(long id) {
        for (GgufValueType t : values()) if (t.id == id) return t;
        return null;
    }
}
