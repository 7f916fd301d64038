package dev.sequoia.engine.tokenizer;

import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Reading llama2.c tokenizer files, and refusing broken ones with errors that say where. */
class Llama2cTokenizerFileTest {
    @TempDir Path dir;

    @Test
    void readsTok512() {
        SentencePieceTokenizer t = Llama2cTokenizerFile.read(Fixtures.tokenizer(), 512);
        assertEquals(512, t.vocabSize());
        assertEquals(1, t.bos());
        assertEquals(2, t.eos());
        assertEquals("<unk>", t.piece(0));
        assertEquals("\n<s>\n", t.piece(1));
        assertEquals("<0x00>", t.piece(3));
        assertEquals("<0xFF>", t.piece(258));
        assertEquals(" t", t.piece(259));
        assertEquals(-1.0f, t.score(260));
    }

    @Test
    void readsToTheEndWithoutAVocabSize() {
        SentencePieceTokenizer t = Llama2cTokenizerFile.read(Fixtures.tokenizer());
        assertEquals(512, t.vocabSize());
    }

    @Test
    void rejectsEveryTruncation() throws IOException {
        byte[] full = Files.readAllBytes(Fixtures.tokenizer());
        for (int len = 0; len < full.length; len += (len < 64 ? 1 : 37)) {
            Path f = write("cut" + len + ".bin", Arrays.copyOf(full, len));
            var e = assertThrows(ModelFormatException.class, () -> Llama2cTokenizerFile.read(f, 512), "length " + len);
            assertEquals(f, e.file());
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("max_token_length"),
                    e.getMessage());
        }
    }

    @Test
    void namesTheTokenWhoseLengthIsImpossible() throws IOException {
        // token 0's length field sits after max_token_length (4) and its score (4)
        byte[] bytes = Files.readAllBytes(Fixtures.tokenizer());
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1_000_000);
        var e = assertThrows(ModelFormatException.class, () -> Llama2cTokenizerFile.read(write("len.bin", bytes), 512));
        assertTrue(e.getMessage().contains("token 0: length 1000000"), e.getMessage());
    }

    @Test
    void rejectsAVocabSizeThatDoesNotMatch() {
        var more = assertThrows(ModelFormatException.class, () -> Llama2cTokenizerFile.read(Fixtures.tokenizer(), 513));
        assertTrue(more.getMessage().contains("token 512"), more.getMessage());
        var fewer = assertThrows(ModelFormatException.class, () -> Llama2cTokenizerFile.read(Fixtures.tokenizer(), 500));
        assertTrue(fewer.getMessage().contains("vocab_size 500"), fewer.getMessage());
        assertThrows(ModelFormatException.class, () -> Llama2cTokenizerFile.read(Fixtures.tokenizer(), 0));
    }

    @Test
    void rejectsPiecesThatAreNotUtf8() throws IOException {
        // token 0 is "<unk>": its first byte sits at 4 + 4 + 4
        byte[] bytes = Files.readAllBytes(Fixtures.tokenizer());
        bytes[12] = (byte) 0xFF;
        var e = assertThrows(ModelFormatException.class, () -> Llama2cTokenizerFile.read(write("utf.bin", bytes), 512));
        assertTrue(e.getMessage().contains("token 0") && e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void rejectsAMissingFile() {
        assertThrows(ModelFormatException.class, () -> Llama2cTokenizerFile.read(dir.resolve("absent.bin"), 512));
    }

    @Test
    void randomByteFlipsGiveAFormatErrorOrAUsableTokenizer() throws IOException {
        byte[] full = Files.readAllBytes(Fixtures.tokenizer());
        Random rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            byte[] bytes = full.clone();
            for (int k = 0; k < 1 + rnd.nextInt(4); k++) bytes[rnd.nextInt(bytes.length)] ^= (byte) (1 << rnd.nextInt(8));
            Path f = write("flip.bin", bytes);
            try {
                Tokenizer t = Llama2cTokenizerFile.read(f, 512);
                assertEquals(512, t.vocabSize());
                t.encode("Once upon a time, 你好", true, true);
            } catch (ModelFormatException expected) {
                assertEquals(f, expected.file());
            }
        }
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }
}
