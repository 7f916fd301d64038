package dev.sequoia.engine.format;

import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each kind of damage is rejected with a ModelFormatException naming the file and the problem. */
class LoaderValidationTest {
    @TempDir
    Path dir;

    private void assertRejected(Path file, Path tokenizer, String... expectedWords) {
        ModelFormatException e;
        try (Arena arena = Arena.ofConfined()) {
            e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(file, tokenizer, arena));
        }
        String msg = e.getMessage();
        assertTrue(msg.contains(file.getFileName().toString()) || tokenizer != null, "names the file: " + msg);
        for (String w : expectedWords) assertTrue(msg.contains(w), "message mentions '" + w + "': " + msg);
    }

    private byte[] gguf() { return CorruptFiles.read(Fixtures.targetGguf()); }

    @Test
    void ggufTruncatedInTheMetadata() {
        assertRejected(CorruptFiles.write(dir, "t.gguf", Arrays.copyOf(gguf(), 5000)), null, "truncated");
    }

    @Test
    void ggufTruncatedInTheTensorData() {
        byte[] b = gguf();
        assertRejected(CorruptFiles.write(dir, "t.gguf", Arrays.copyOf(b, b.length - 100)), null,
                "blk.4.ffn_norm.weight", "outside the file");
    }

    @Test
    void ggufUnknownVersion() {
        byte[] b = gguf();
        CorruptFiles.putInt(b, 4, 7);
        assertRejected(CorruptFiles.write(dir, "v.gguf", b), null, "version 7");
    }

    @Test
    void ggufUnsupportedTensorTypeIsNamed() {
        byte[] b = gguf();
        int at = CorruptFiles.ggufTensorInfoAfterName(b, "blk.1.attn_k.weight");
        CorruptFiles.putInt(b, at + 4 + 2 * 8, 12); // n_dims (4) + 2 dims (16) -> type := Q4_K
        assertRejected(CorruptFiles.write(dir, "q.gguf", b), null, "blk.1.attn_k.weight", "Q4_K");
    }

    @Test
    void ggufShapeMismatchIsNamed() {
        byte[] b = gguf();
        int at = CorruptFiles.ggufTensorInfoAfterName(b, "blk.2.ffn_up.weight");
        CorruptFiles.putLong(b, at + 4 + 8, 86); // ne[1]: 172 -> 86 rows
        assertRejected(CorruptFiles.write(dir, "s.gguf", b), null, "blk.2.ffn_up.weight", "[86, 64]", "[172, 64]");
    }

    @Test
    void ggufOffsetOutOfRange() {
        byte[] b = gguf();
        int at = CorruptFiles.ggufTensorInfoAfterName(b, "blk.0.attn_q.weight");
        CorruptFiles.putLong(b, at + 4 + 2 * 8 + 4, 1L << 40);
        assertRejected(CorruptFiles.write(dir, "o.gguf", b), null, "blk.0.attn_q.weight", "outside the file");
    }

    @Test
    void ggufAbsurdMetadataCountDoesNotAllocate() {
        byte[] b = gguf();
        CorruptFiles.putLong(b, 16, Long.MAX_VALUE / 2);
        assertRejected(CorruptFiles.write(dir, "c.gguf", b), null, "metadata_kv_count");
    }

    @Test
    void ggufAbsurdTensorCount() {
        byte[] b = gguf();
        CorruptFiles.putLong(b, 8, 1L << 33);
        assertRejected(CorruptFiles.write(dir, "c.gguf", b), null, "tensor_count");
    }

    @Test
    void llama2cTruncated() {
        byte[] b = CorruptFiles.read(Fixtures.target());
        assertRejected(CorruptFiles.write(dir, "t.bin", Arrays.copyOf(b, b.length - 4)), null, "truncated");
    }

    @Test
    void llama2cHeaderThatDoesNotMatchTheSize() {
        byte[] b = CorruptFiles.read(Fixtures.target());
        CorruptFiles.putInt(b, 20, -512); // claims a separate classifier that is not there
        assertRejected(CorruptFiles.write(dir, "h.bin", b), null, "header");
    }

    @Test
    void llama2cAbsurdHeaderDoesNotOverflow() {
        byte[] b = CorruptFiles.read(Fixtures.target());
        for (int i = 0; i < 3; i++) CorruptFiles.putInt(b, 4 * i, Integer.MAX_VALUE - 1);
        assertRejected(CorruptFiles.write(dir, "a.bin", b), null);
    }

    @Test
    void badMagicIsNeitherGgufNorAPlausibleCheckpoint() {
        byte[] b = gguf();
        b[0] = 'X';
        assertRejected(CorruptFiles.write(dir, "m.gguf", b), null);
    }

    @Test
    void tokenizerOfTheWrongSize() {
        byte[] tok = CorruptFiles.read(Fixtures.tokenizer());
        Path t = CorruptFiles.write(dir, "tok.bin", Arrays.copyOf(tok, tok.length - 3));
        assertRejected(Fixtures.target(), t, "tok.bin");
    }
}
