package dev.sequoia.engine.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character table ({@code bytes_to_unicode}): byte-level BPE vocabularies spell
 * every byte as one printable character, so tokens are ordinary strings. Bytes that are printable Latin-1
 * ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves; the other 68 map, in byte order, to U+0100, U+0101, …
 * (so the space 0x20 becomes 'Ġ' U+0120 and the newline 0x0A becomes 'Ċ' U+010A).
 */
final class ByteLevel {
    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_CHAR = new int[512];

    static {
        Arrays.fill(BYTE_OF_CHAR, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevel() {}

    /** The character that spells byte {@code b} (0..255). */
    static char charOf(int b) { return CHAR_OF_BYTE[b & 0xFF]; }

    /** The byte that character {@code c} spells, or -1 when {@code c} is not in the table. */
    static int byteOf(char c) { return c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1; }

    /** The byte-level spelling of {@code bytes}. */
    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = charOf(bytes[i]);
        return new String(out);
    }
}
