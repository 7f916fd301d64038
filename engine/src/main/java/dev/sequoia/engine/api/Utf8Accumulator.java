package dev.sequoia.engine.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Collects the bytes of generated tokens and hands out text only in whole UTF-8 characters, so a character
 * split across tokens is never shown half-decoded.
 */
final class Utf8Accumulator {
    private final ByteArrayOutputStream all = new ByteArrayOutputStream();
    private final StringBuilder text = new StringBuilder();
    private int decodedBytes;

    /** Adds bytes; returns the text that became complete. */
    String add(byte[] bytes) {
        all.writeBytes(bytes);
        byte[] b = all.toByteArray();
        int end = completeEnd(b);
        if (end <= decodedBytes) return "";
        String s = new String(b, decodedBytes, end - decodedBytes, StandardCharsets.UTF_8);
        decodedBytes = end;
        text.append(s);
        return s;
    }

    /** Everything so far, an unfinished trailing character included (as a replacement character). */
    String text() {
        return all.toString(StandardCharsets.UTF_8);
    }

    /** Complete text so far (for stop-string checks). */
    CharSequence completeText() { return text; }

    /** The end of the longest prefix that does not stop inside a multi-byte character. */
    private static int completeEnd(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation byte: look further back
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
