package dev.sequoia.engine.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The special tokens of a vocabulary as text: finds them in a text (longest first, so a longer token wins
 * over its prefix) and tells which of them end a generation. Immutable.
 */
final class SpecialTokens {
    /**
     * Texts of the end-of-turn tokens llama.cpp recognises by name when a file does not declare them
     * (Llama 3's {@code <|eot_id|>} and {@code <|eom_id|>}, ChatML's {@code <|im_end|>}, Phi's, Gemma's).
     */
    static final Set<String> END_OF_TURN_NAMES =
            Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>");

    /** A piece of text: either plain text, or a special token (id >= 0). */
    record Fragment(String text, int id) {
        boolean special() { return id >= 0; }
    }

    private final Map<String, Integer> ids;
    private final Pattern pattern;

    SpecialTokens(Map<String, Integer> ids, int vocab) {
        ids.forEach((text, id) -> {
            if (text.isEmpty()) throw new IllegalArgumentException("special token " + id + " has empty text");
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("special token '" + text + "' has id " + id + " outside vocabulary");
            }
        });
        this.ids = Map.copyOf(ids);
        this.pattern = ids.isEmpty() ? null : Pattern.compile(ids.keySet().stream()
                .sorted(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()))
                .map(Pattern::quote)
                .collect(Collectors.joining("|")));
    }

    Map<String, Integer> ids() { return ids; }

    /**
     * The text cut at every special token that starts at an offset {@code specialAt} accepts (empty plain
     * fragments left out); a special token's text anywhere else stays inside the plain text around it.
     */
    List<Fragment> split(String text, IntPredicate specialAt) {
        List<Fragment> out = new ArrayList<>();
        int from = 0;
        if (pattern != null) {
            Matcher m = pattern.matcher(text);
            while (m.find()) {
                if (!specialAt.test(m.start())) continue;
                if (m.start() > from) out.add(new Fragment(text.substring(from, m.start()), -1));
                out.add(new Fragment(m.group(), ids.get(m.group())));
                from = m.end();
            }
        }
        if (from < text.length()) out.add(new Fragment(text.substring(from), -1));
        return out;
    }

    /** EOS, the declared ids, and the special tokens named like an end of turn; sorted, distinct. */
    int[] endOfGeneration(int eos, int... declared) {
        TreeSet<Integer> out = new TreeSet<>();
        if (eos >= 0) out.add(eos);
        for (int id : declared) if (id >= 0) out.add(id);
        ids.forEach((text, id) -> {
            if (END_OF_TURN_NAMES.contains(text)) out.add(id);
        });
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
