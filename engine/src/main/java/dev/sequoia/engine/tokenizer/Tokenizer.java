package dev.sequoia.engine.tokenizer;

import java.util.function.IntPredicate;

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

    /**
     * Encodes text as plain text: a special token's text in it (say {@code <|eot_id|>}) is spelled with
     * ordinary tokens, as user text must be. {@code addBos} prepends BOS, {@code addEos} appends EOS.
     */
    int[] encode(String text, boolean addBos, boolean addEos);

    /**
     * Encodes text; with {@code parseSpecial} the text of a special (control or user-defined) token becomes
     * that token, as a rendered chat template needs ({@code <|start_header_id|>}, {@code </s>}...).
     */
    default int[] encode(String text, boolean addBos, boolean addEos, boolean parseSpecial) {
        return parseSpecial ? encode(text, addBos, addEos, at -> true) : encode(text, addBos, addEos);
    }

    /**
     * Encodes text where special tokens count only at some offsets: the text of a special token that starts
     * at an offset {@code specialAt} accepts becomes that token; anywhere else it is plain text. A rendered
     * chat prompt needs this: the template's own tokens are special, the same text typed by a user is not.
     */
    int[] encode(String text, boolean addBos, boolean addEos, IntPredicate specialAt);

    /**
     * The tokens that end a generation: EOS and the end-of-turn / end-of-message tokens the vocabulary
     * declares ({@code <|eot_id|>}, {@code <|eom_id|>}...). Never empty when the vocabulary has an EOS.
     */
    default int[] endOfGeneration() {
        return eos() >= 0 ? new int[] {eos()} : new int[0];
    }

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
