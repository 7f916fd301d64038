package dev.sequoia.engine.tokenizer;

/**
 * The token kinds a GGUF file stores in {@code tokenizer.ggml.token_type} (the SentencePiece piece types),
 * by their numeric code. Decoding uses them: control tokens render as nothing, byte tokens as their byte.
 */
public enum GgufTokenType {
    UNDEFINED(0), NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

    private final int code;

    GgufTokenType(int code) { this.code = code; }

    public int code() { return code; }

    /** The type with GGUF code {@code code}; {@code token} only names the culprit in the error. */
    public static GgufTokenType of(int code, int token) {
        for (GgufTokenType t : values()) if (t.code == code) return t;
        throw new IllegalArgumentException("token " + token + ": unknown GGUF token_type " + code
                + ", expected 0..6 (undefined, normal, unknown, control, user-defined, unused, byte)");
    }
}
