package dev.sequoia.engine.tokenizer;

import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** SentencePiece BPE against llama2.c: golden ids from tok512.bin, the naive twin, byte round-trips. */
class SentencePieceTokenizerTest {
    private static SentencePieceTokenizer tok512;

    @BeforeAll
    static void load() {
        tok512 = Llama2cTokenizerFile.read(Fixtures.tokenizer(), 512);
    }

    static List<GoldenTokenization> golden() { return GoldenTokenization.all(); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("golden")
    void encodesLikeTheGoldenReference(GoldenTokenization c) {
        assertArrayEquals(c.idsWithBos(), tok512.encode(c.text(), true, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("golden")
    void decodesGoldenIdsBackToTheText(GoldenTokenization c) {
        assertEquals(c.decoded(), tok512.decodeAll(-1, c.idsWithBos()).replaceFirst("^\n<s>\n", ""));
        assertEquals(c.decoded(), tok512.decodeAll(1, Arrays.copyOfRange(c.idsWithBos(), 1, c.idsWithBos().length)));
    }

    @Test
    void decodesGreedyContinuationsLikeRunC() {
        for (var c : GoldenTokenization.readGolden().path("cases")) {
            int[] prompt = ints(c.path("prompt_tokens"));
            int[] greedy = ints(c.path("greedy_tokens"));
            assertEquals(c.path("greedy_text").asText(), tok512.decodeAll(prompt[prompt.length - 1], greedy));
            int[] both = new int[prompt.length - 1 + greedy.length];
            System.arraycopy(prompt, 1, both, 0, prompt.length - 1);
            System.arraycopy(greedy, 0, both, prompt.length - 1, greedy.length);
            assertEquals(c.path("full_text").asText(), tok512.decodeAll(1, both));
        }
    }

    @Test
    void piecesMatchTheGoldenPromptPieces() {
        var c = GoldenTokenization.readGolden().path("cases").get(0);
        int[] ids = ints(c.path("prompt_tokens"));
        for (int i = 0; i < ids.length; i++) assertEquals(c.path("prompt_pieces").get(i).asText(), tok512.piece(ids[i]));
    }

    @Test
    void emptyTextIsJustBosAndEos() {
        assertArrayEquals(new int[] {1, 2}, tok512.encode("", true, true));
        assertArrayEquals(new int[0], tok512.encode("", false, false));
    }

    @Test
    void unknownCharactersFallBackToOneTokenPerUtf8Byte() {
        // '你' is E4 BD A0: byte tokens are byte + 3 in llama2.c files
        int[] ids = tok512.encode("你", false, false);
        assertArrayEquals(new int[] {tok512.encode(" ", false, false)[0], 0xE4 + 3, 0xBD + 3, 0xA0 + 3}, ids);
        assertEquals("<0xE4>", tok512.piece(0xE4 + 3));
    }

    @Test
    void utf8SplitAcrossByteTokensRoundTripsWhenBytesAreConcatenated() {
        String text = "Tom said 你好 🙂 to Sue.";
        int[] ids = tok512.encode(text, true, false);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int prev = -1;
        for (int id : ids) {
            byte[] b = tok512.decode(prev, id);
            if (SentencePieceTokenizer.byteOfPiece(tok512.piece(id)) >= 0) assertEquals(1, b.length);
            if (prev >= 0) bytes.writeBytes(b);
            prev = id;
        }
        assertEquals(text, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void leadingSpaceIsDroppedOnlyRightAfterBos() {
        int[] ids = tok512.encode("Once", false, false);
        assertEquals(1, ids.length, "dummy prefix and word merge into one piece");
        int once = ids[0];
        assertEquals(" Once", tok512.piece(once));
        assertEquals("Once", new String(tok512.decode(1, once), StandardCharsets.UTF_8));
        assertEquals(" Once", new String(tok512.decode(-1, once), StandardCharsets.UTF_8));
        assertEquals(" Once", new String(tok512.decode(once, once), StandardCharsets.UTF_8));
        // llama2.c tests the piece "<0x20>", not its byte: a byte-token space survives after BOS
        assertEquals(" ", new String(tok512.decode(1, 0x20 + 3), StandardCharsets.UTF_8));
    }

    @Test
    void matchesTheNaiveLlama2cLoopOnRandomText() {
        NaiveLlama2cEncoder naive = naiveTwin(tok512);
        Random rnd = new Random(20240217);
        String alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ .,!?'\"\n\t0123456789éü你好🙂 ";
        int[] cps = alphabet.codePoints().toArray();
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(80);
            for (int i = 0; i < len; i++) sb.appendCodePoint(cps[rnd.nextInt(cps.length)]);
            String text = sb.toString();
            assertArrayEquals(naive.encode(text, true, false), tok512.encode(text, true, false), "text: " + text);
        }
    }

    @Test
    void tiesMergeTheLeftmostPairFirst() {
        // "aaa": pieces "aa" and "a" only; both pairs tie, so the left one merges: [" ", "aa", "a"]
        String[] pieces = {"<unk>", "<s>", "</s>", " ", "a", "aa", " a"};
        float[] scores = {0, 0, 0, 0, 0, -1, -5};
        var t = new SentencePieceTokenizer(pieces, scores, null, 1, 2);
        assertArrayEquals(new int[] {3, 5, 4}, t.encode("aaa", false, false));
        assertArrayEquals(naiveTwin(t).encode("aaa", false, false), t.encode("aaa", false, false));
    }

    @Test
    void higherScoreMergesFirstWhereverItIs() {
        // " ab": " a" (-3) vs "ab" (-1): "ab" wins although it is to the right
        String[] pieces = {"<unk>", "<s>", "</s>", " ", "a", "b", " a", "ab"};
        float[] scores = {0, 0, 0, 0, 0, 0, -3, -1};
        var t = new SentencePieceTokenizer(pieces, scores, null, 1, 2);
        assertArrayEquals(new int[] {3, 7}, t.encode("ab", false, false));
    }

    @Test
    void scoresAtOrBelowMinusTenBillionNeverMerge() {
        String[] pieces = {"<unk>", "<s>", "</s>", " ", "a", " a"};
        var t = new SentencePieceTokenizer(pieces, new float[] {0, 0, 0, 0, 0, Float.NEGATIVE_INFINITY}, null, 1, 2);
        assertArrayEquals(new int[] {3, 4}, t.encode("a", false, false));
    }

    @Test
    void metaspaceVocabularyEncodesLikeTheSpaceVocabulary() {
        SentencePieceTokenizer meta = withMetaspace(tok512, null);
        assertTrue(meta.usesMetaspace());
        assertFalse(tok512.usesMetaspace());
        for (GoldenTokenization c : GoldenTokenization.all()) {
            assertArrayEquals(c.idsWithBos(), meta.encode(c.text(), true, false), c.toString());
            assertEquals(c.decoded(), meta.decodeAll(1, Arrays.copyOfRange(c.idsWithBos(), 1, c.idsWithBos().length)));
        }
    }

    @Test
    void controlTokensDecodeToNothingWhenTypesAreKnown() {
        int[] types = new int[512];
        Arrays.fill(types, GgufTokenType.NORMAL.code());
        types[0] = GgufTokenType.UNKNOWN.code();
        types[1] = types[2] = GgufTokenType.CONTROL.code();
        for (int b = 0; b < 256; b++) types[b + 3] = GgufTokenType.BYTE.code();
        SentencePieceTokenizer meta = withMetaspace(tok512, types);
        assertEquals(0, meta.decode(-1, 1).length);
        assertEquals(0, meta.decode(-1, 2).length);
        assertArrayEquals(new byte[] {(byte) 0xE4}, meta.decode(-1, 0xE4 + 3));
        assertEquals("\n<s>\n", new String(tok512.decode(-1, 1), StandardCharsets.UTF_8), "no types: verbatim");
    }

    @Test
    void longInputsEncodeInNearLinearTime() {
        String text = "Once upon a time, there was a little girl named Lily. 你好 ".repeat(4000); // 220k chars
        int[] ids = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> tok512.encode(text, true, false));
        assertEquals(text, tok512.decodeAll(1, Arrays.copyOfRange(ids, 1, ids.length)));
    }

    @Test
    void rejectsInconsistentVocabularies() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new SentencePieceTokenizer(new String[] {"a", "b"}, new float[1], null, -1, -1));
        assertTrue(e.getMessage().contains("scores"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new SentencePieceTokenizer(new String[] {"a"}, new float[1], new int[] {9}, -1, -1));
        assertThrows(IllegalArgumentException.class,
                () -> new SentencePieceTokenizer(new String[] {"a"}, new float[1], null, 1, -1));
        assertThrows(IllegalArgumentException.class, () -> tok512.decode(-1, 512));
    }

    // ---- helpers ----

    static NaiveLlama2cEncoder naiveTwin(SentencePieceTokenizer t) {
        String[] pieces = new String[t.vocabSize()];
        float[] scores = new float[t.vocabSize()];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = t.piece(i);
            scores[i] = t.score(i);
        }
        return new NaiveLlama2cEncoder(pieces, scores);
    }

    /** The same vocabulary spelled GGUF-style: spaces as U+2581, ids 0..2 renamed as llama.cpp does. */
    static SentencePieceTokenizer withMetaspace(SentencePieceTokenizer t, int[] types) {
        String[] pieces = new String[t.vocabSize()];
        float[] scores = new float[t.vocabSize()];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = t.piece(i).replace(' ', '\u2581');
            scores[i] = t.score(i);
        }
        pieces[0] = "<unk>";
        pieces[1] = "<s>";
        pieces[2] = "</s>";
        return new SentencePieceTokenizer(pieces, scores, types, 1, 2);
    }

    private static int[] ints(com.fasterxml.jackson.databind.JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
