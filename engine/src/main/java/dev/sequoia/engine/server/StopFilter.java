package dev.sequoia.engine.server;

import java.util.List;

/**
 * What a client may be shown of the generated text: OpenAI leaves a stop string out of the reply, so text that
 * could still grow into one is held back until the next token decides. The engine keeps the stop string in its
 * own text (and stops right after it); this filter cuts it off.
 *
 * <p>Confined to one request's thread.
 */
final class StopFilter {
    private final List<String> stops;
    private final StringBuilder text = new StringBuilder();
    private int shown;
    private boolean stopped;

    StopFilter(List<String> stops) {
        this.stops = stops;
    }

    /** Adds generated text; returns what can be shown now (possibly empty). */
    String add(String piece) {
        if (stopped) return "";
        text.append(piece);
        int cut = firstStop();
        if (cut >= 0) {
            stopped = true;
            return take(cut);
        }
        return take(text.length() - heldBack());
    }

    /** At the end of the generation: whatever was held back and is not a stop string. */
    String flush() {
        if (stopped) return "";
        return take(text.length());
    }

    /** The reply as shown in full (the stop string excluded). */
    String shownText() { return text.substring(0, shown); }

    private String take(int upTo) {
        if (upTo <= shown) return "";
        String s = text.substring(shown, upTo);
        shown = upTo;
        return s;
    }

    private int firstStop() {
        int first = -1;
        for (String s : stops) {
            int at = text.indexOf(s, Math.max(0, shown - s.length() + 1));
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    /** Length of the longest tail of the text that is a proper prefix of a stop string. */
    private int heldBack() {
        int longest = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length() - shown); k > longest; k--) {
                if (text.substring(text.length() - k).equals(s.substring(0, k))) {
                    longest = k;
                    break;
                }
            }
        }
        return longest;
    }
}
