package dev.sequoia.engine.tokenizer;

import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The vocabulary stored in stories260K.gguf ("▁" spelling, token types) tokenizes exactly as tok512.bin:
 * the golden ids, and the same bytes for every token but the control tokens BOS/EOS.
 */
class GgufVocabularyTest {
    private static Arena arena;
    private static Tokenizer gguf;
    private static Tokenizer tok512;

    @BeforeAll
    static void load() {
        arena = Arena.ofShared();
        gguf = ModelLoader.load(Fixtures.targetGguf(), null, arena).tokenizer();
        tok512 = Llama2cTokenizerFile.read(Fixtures.tokenizer(), 512);
    }

    @AfterAll
    static void close() {
        if (arena != null) arena.close();
    }

    @Test
    void isAMetaspaceSentencePieceVocabulary() {
        SentencePieceTokenizer sp = assertInstanceOf(SentencePieceTokenizer.class, gguf);
        assertTrue(sp.usesMetaspace());
        assertEquals(512, sp.vocabSize());
        assertEquals(1, sp.bos());
        assertEquals(2, sp.eos());
    }

    @Test
    void encodesTheGoldenIds() {
        for (GoldenTokenization c : GoldenTokenization.all()) {
            assertArrayEquals(c.idsWithBos(), gguf.encode(c.text(), true, false), c.toString());
            assertEquals(c.decoded(), gguf.decodeAll(1, Arrays.copyOfRange(c.idsWithBos(), 1, c.idsWithBos().length)));
        }
    }

    @Test
    void decodesEveryTokenToTheSameBytesAsTok512() {
        for (int id = 0; id < 512; id++) {
            if (id == 1 || id == 2) {
                assertEquals(0, gguf.decode(-1, id).length, "control token " + id);
                continue;
            }
            for (int prev : new int[] {-1, 1, 300}) {
                assertArrayEquals(tok512.decode(prev, id), gguf.decode(prev, id), "token " + id + " after " + prev);
            }
        }
    }
}
