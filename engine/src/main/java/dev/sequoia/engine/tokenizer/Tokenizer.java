package dev.sequoia.engine.tokenizer;

/**
 * Text to token ids and back. Decoding works on bytes, so a UTF-8 character split across tokens
 * round-trips when the caller concatenates the bytes of successive tokens.
 */
public interface Tokenizer {
    int vocabSize();

    /** Beginning-of-sequence id, or -1 when the vocabulary has none. */
    int bos();

    /** End-of-sequence id, or -1 when the vocabulary has none. */
    int eos();

    /** Encodes text; {@code addBos} prepends BOS, {@code addEos} appends EOS. */
    int[] encode(String text, boolean addBos, boolean addEos);

    /** The bytes token {@code token} contributes after {@code previous} (-1 at the start). */
    byte[] decode(int previous, int token);

    /** The vocabulary entry of a token as text, for display. */
    String piece(int token);

    /** Decodes a whole sequence (previous-token rules applied in order) to a string. */
    default String decodeAll(int previous, int[] tokens) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int prev = previous;
        for (int t : tokens) {
            out.writeBytes(decode(prev, t));
            prev = t;
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
