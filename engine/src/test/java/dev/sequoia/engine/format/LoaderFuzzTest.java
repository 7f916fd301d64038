package dev.sequoia.engine.format;

import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Feeds seeded, corrupted variants of every real model file to the loader: truncations anywhere and random
 * byte flips concentrated in the structural regions (header, metadata, tensor infos, tokenizer entries).
 * The only acceptable outcomes are a clean load or a {@link ModelFormatException}; anything else (another
 * exception, an OutOfMemoryError, a hang) fails.
 */
class LoaderFuzzTest {
    private static final int VARIANTS = 200;
    /** GGUF structure (header + metadata + tensor infos) ends at 14176 in stories260K.gguf. */
    private static final int GGUF_STRUCTURE = 14176;
    private static final int BIN_HEADER = 28;

    @TempDir
    Path dir;

    @Test
    void corruptedGgufGivesOnlyFormatErrors() {
        fuzz(Fixtures.targetGguf(), null, GGUF_STRUCTURE, 1);
    }

    @Test
    void corruptedLlama2cCheckpointGivesOnlyFormatErrors() {
        fuzz(Fixtures.target(), null, BIN_HEADER, 2);
    }

    @Test
    void corruptedTokenizerGivesOnlyFormatErrors() {
        byte[] tok = CorruptFiles.read(Fixtures.tokenizer());
        fuzzTokenizer(tok, 3);
    }

    private void fuzz(Path original, Path tokenizer, int structureBytes, long seed) {
        byte[] clean = CorruptFiles.read(original);
        SplittableRandom rnd = new SplittableRandom(seed);
        String name = original.getFileName().toString();
        for (int v = 0; v < VARIANTS; v++) {
            byte[] bad = variant(clean, structureBytes, rnd);
            Path p = CorruptFiles.write(dir, "v" + v + "-" + name, bad);
            expectCleanLoadOrFormatError(p, tokenizer, "variant " + v + " of " + name);
        }
    }

    private void fuzzTokenizer(byte[] clean, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int v = 0; v < VARIANTS; v++) {
            Path tok = CorruptFiles.write(dir, "v" + v + "-tok512.bin", variant(clean, clean.length, rnd));
            expectCleanLoadOrFormatError(Fixtures.target(), tok, "variant " + v + " of tok512.bin");
        }
    }

    /** Half truncations (anywhere), half 1..8 byte flips inside the first {@code structureBytes}. */
    private static byte[] variant(byte[] clean, int structureBytes, SplittableRandom rnd) {
        if (rnd.nextBoolean()) return Arrays.copyOf(clean, rnd.nextInt(clean.length));
        byte[] b = clean.clone();
        int flips = 1 + rnd.nextInt(8);
        for (int i = 0; i < flips; i++) {
            int at = rnd.nextInt(structureBytes);
            b[at] = rnd.nextInt(4) == 0 ? (byte) 0xFF : (byte) (b[at] ^ (1 << rnd.nextInt(8)));
        }
        return b;
    }

    private static void expectCleanLoadOrFormatError(Path model, Path tokenizer, String what) {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Arena arena = Arena.ofConfined()) {
                ModelLoader.load(model, tokenizer, arena);
            } catch (ModelFormatException expected) {
                // the one acceptable failure
            } catch (Throwable t) {
                fail(what + ": " + t, t);
            }
        }, what + " hung");
    }
}
