package dev.sequoia.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Byte-level BPE on hand-built vocabularies whose expected ids follow by hand: ids 0..255 are the bytes
 * themselves (token b spells byte b), merged tokens follow from 256 in the order given.
 */
class ByteLevelBpeTokenizerTest {

    @Test
    void mergesByRankWithinEachPreToken() {
        // ranks: 0 "Ġ t"->256, 1 "h e"->257, 2 "Ġt he"->258, 3 "t he"->259
        var t = tokenizer(List.of("Ġ t", "h e", "Ġt he", "t he"), Map.of(), false);
        // "the" -> t h e -> t he -> the ; " then" -> Ġ t h e n -> Ġt h e n -> Ġt he n -> Ġthe n
        assertArrayEquals(new int[] {259, 258, 'n'}, t.encode("the then", false, false));
        assertEquals("Ġthe", t.piece(258));
    }

    @Test
    void equalPairsMergeLeftmostFirst() {
        var t = tokenizer(List.of("a a"), Map.of(), false);
        assertArrayEquals(new int[] {256, 'a'}, t.encode("aaa", false, false));
    }

    @Test
    void lowerRankWinsOverPosition() {
        var t = tokenizer(List.of("b c", "a b"), Map.of(), false); // 256 "bc", 257 "ab"
        assertArrayEquals(new int[] {'a', 256}, t.encode("abc", false, false));
    }

    @Test
    void ignoreMergesTakesAWholePreTokenThatIsAToken() {
        List<String> merges = List.of("x y", "xy z"); // 256 "xy", 257 "xyz"
        List<String> extra = List.of("xz");          // 258 "xz", reachable by no merge
        var plain = tokenizer(merges, extra, Map.of(), false);
        var llama3 = tokenizer(merges, extra, Map.of(), true);
        assertArrayEquals(new int[] {'x', 'z'}, plain.encode("xz", false, false));
        assertArrayEquals(new int[] {258}, llama3.encode("xz", false, false));
        assertArrayEquals(new int[] {257}, plain.encode("xyz", false, false));
    }

    @Test
    void llama3SplitSeparatesContractionsDigitTriplesAndNewlines() {
        var t = tokenizer(List.of(), Map.of(), true);
        assertEquals(List.of("I", "'m", " ", "123", "45", " hello", "\n\n", "world", "!!"),
                t.preTokens("I'm 12345 hello\n\nworld!!"));
        assertEquals(List.of("Hello", " ", " world", "'T"), t.preTokens("Hello  world'T"));
        assertEquals(List.of("Ünïcode", " 你好", " 🙂", "\t"), t.preTokens("Ünïcode 你好 🙂\t"));
    }

    @Test
    void gpt2SplitKeepsTheSpaceWithTheFollowingWordOrNumber() {
        var t = new ByteLevelBpeTokenizer(byteTokens(List.of(), List.of()), List.of(), Map.of(), -1, -1,
                ByteLevelBpeTokenizer.GPT2_SPLIT, false);
        assertEquals(List.of("I", "'m", " 12345", " hello", "!!"), t.preTokens("I'm 12345 hello!!"));
    }

    @Test
    void specialTokensAreMatchedVerbatimLongestFirst() {
        Map<String, Integer> specials = Map.of("<|begin_of_text|>", 256, "<|x|>", 257, "<|x|>y", 258);
        String[] tokens = byteTokens(List.of(), List.of("<|begin_of_text|>", "<|x|>", "<|x|>y"));
        var t = new ByteLevelBpeTokenizer(tokens, List.of(), specials, 256, 257);
        assertArrayEquals(new int[] {256, 258, 'h', 'i', 257, 257}, t.encode("<|x|>yhi<|x|>", true, true, true));
        assertEquals("<|x|>y", new String(t.decode(-1, 258), StandardCharsets.UTF_8));
        assertArrayEquals(new int[] {'<', '|'}, t.encode("<|", false, false, true));
    }

    @Test
    void specialTokenTextIsPlainTextUnlessTheCallerAllowsIt() {
        Map<String, Integer> specials = Map.of("<|x|>", 256);
        var t = new ByteLevelBpeTokenizer(byteTokens(List.of(), List.of("<|x|>")), List.of(), specials, -1, -1);
        assertArrayEquals(new int[] {'<', '|', 'x', '|', '>'}, t.encode("<|x|>", false, false));
        assertArrayEquals(new int[] {256}, t.encode("<|x|>", false, false, true));
    }

    @Test
    void bytesMapToPrintableCharactersLikeGpt2() {
        assertEquals('Ġ', ByteLevel.charOf(' '));
        assertEquals('Ċ', ByteLevel.charOf('\n'));
        assertEquals('A', ByteLevel.charOf('A'));
        assertEquals('ÿ', ByteLevel.charOf(0xFF));
        assertEquals('Ń', ByteLevel.charOf(0xAD)); // the 68th (last) non-printable byte maps to U+0143
        for (int b = 0; b < 256; b++) assertEquals(b, ByteLevel.byteOf(ByteLevel.charOf(b)));
    }

    @Test
    void arbitraryUnicodeRoundTripsThroughEncodeAndDecode() {
        var t = tokenizer(List.of("Ġ t", "h e", "Ġt he", "ð Ł", "ä ½"), Map.of("<|eot_id|>", 261), true);
        String[] parts = {"the", " ", "  ", "\n", "\r\n", "\t", "🙂", "👩‍👩‍👧", "你好", "é", "é", "Ω", "123456",
                "don't", "!!", "<|eot_id|>", "<|eot", "\u0000", "\uFEFF", "𝔘"};
        Random rnd = new Random(99);
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder sb = new StringBuilder();
            for (int i = rnd.nextInt(12); i > 0; i--) sb.append(parts[rnd.nextInt(parts.length)]);
            String text = sb.toString();
            assertEquals(text, t.decodeAll(-1, t.encode(text, false, false)), "text: " + text);
            assertEquals(text, t.decodeAll(-1, t.encode(text, false, false, true)), "text: " + text);
        }
    }

    @Test
    void anEmojiSplitAcrossByteTokensRoundTripsAsBytes() {
        var t = tokenizer(List.of(), Map.of(), true);
        int[] ids = t.encode("🙂", false, false);
        assertArrayEquals(new int[] {0xF0, 0x9F, 0x99, 0x82}, ids);
        for (int id : ids) assertArrayEquals(new byte[] {(byte) id}, t.decode(-1, id));
    }

    @Test
    void matchesTheNaiveRescanOnRandomMerges() {
        Random rnd = new Random(5);
        List<String> merges = new ArrayList<>();
        List<String> pool = new ArrayList<>(List.of("a", "b", "c", "d"));
        while (merges.size() < 40) {
            String l = pool.get(rnd.nextInt(pool.size())), r = pool.get(rnd.nextInt(pool.size()));
            if (!pool.contains(l + r)) {
                merges.add(l + " " + r);
                pool.add(l + r);
            }
        }
        String[] tokens = byteTokens(merges, List.of());
        var t = new ByteLevelBpeTokenizer(tokens, merges, Map.of(), -1, -1, "(?s).+", false);
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder sb = new StringBuilder();
            for (int i = rnd.nextInt(40); i > 0; i--) sb.append((char) ('a' + rnd.nextInt(4)));
            String text = sb.toString();
            assertArrayEquals(naiveBpe(text, tokens, merges), t.encode(text, false, false), "text: " + text);
        }
    }

    @Test
    void rejectsMergesAndVocabulariesThatCannotWork() {
        var unknownPart = assertThrows(IllegalArgumentException.class, () -> tokenizer(List.of("q Z"), List.of(), Map.of(), true)
                .encode("", false, false));
        assertTrue(unknownPart.getMessage().contains("merges[0]"), unknownPart.getMessage());
        String[] noBytes = {"a", "b"};
        var missing = assertThrows(IllegalArgumentException.class,
                () -> new ByteLevelBpeTokenizer(noBytes, List.of(), Map.of(), -1, -1));
        assertTrue(missing.getMessage().contains("byte 0x00"), missing.getMessage());
    }

    // ---- helpers ----

    /** Bytes 0..255, then the merge results in merge order, then {@code extra} tokens. */
    static String[] byteTokens(List<String> merges, List<String> extra) {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.charOf(b)));
        for (String m : merges) {
            String merged = m.replace(" ", "");
            if (!tokens.contains(merged)) tokens.add(merged);
        }
        tokens.addAll(extra);
        return tokens.toArray(String[]::new);
    }

    private static ByteLevelBpeTokenizer tokenizer(List<String> merges, Map<String, Integer> specials, boolean ignoreMerges) {
        return tokenizer(merges, List.of(), specials, ignoreMerges);
    }

    private static ByteLevelBpeTokenizer tokenizer(List<String> merges, List<String> extra, Map<String, Integer> specials,
                                                   boolean ignoreMerges) {
        List<String> all = new ArrayList<>(extra);
        specials.keySet().stream().sorted().forEach(all::add);
        String[] tokens = byteTokens(merges.stream().filter(m -> !m.equals("q Z")).toList(), all);
        Map<String, Integer> ids = new HashMap<>();
        specials.keySet().forEach(s -> ids.put(s, Arrays.asList(tokens).indexOf(s)));
        return new ByteLevelBpeTokenizer(tokens, merges, ids, -1, -1, ByteLevelBpeTokenizer.LLAMA3_SPLIT, ignoreMerges);
    }

    /** The textbook loop: rescan for the lowest-ranked pair (leftmost on ties), merge, repeat. */
    private static int[] naiveBpe(String text, String[] tokens, List<String> merges) {
        List<String> symbols = new ArrayList<>();
        for (char c : text.toCharArray()) symbols.add(String.valueOf(c));
        while (true) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                int rank = merges.indexOf(symbols.get(i) + " " + symbols.get(i + 1));
                if (rank >= 0 && rank < bestRank) {
                    bestRank = rank;
                    best = i;
                }
            }
            if (best < 0) break;
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        return symbols.stream().mapToInt(s -> Arrays.asList(tokens).indexOf(s)).toArray();
    }
}
