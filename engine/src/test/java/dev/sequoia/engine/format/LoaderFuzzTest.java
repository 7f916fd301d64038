package dev.sequoia.engine.format;

import dev.sequoia.engine.format.gguf.GgufReader;
import dev.sequoia.engine.kernel.ScalarMatMul;
import dev.sequoia.engine.kernel.VectorMatMul;
import dev.sequoia.engine.model.LayerWeights;
import dev.sequoia.engine.model.LlamaWeights;
import dev.sequoia.engine.tensor.WeightMatrix;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
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
    /** The share of structural byte flips the loader must reject (see {@link Tally}). */
    private static final double MIN_FLIPS_REJECTED = 0.75;

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

    /**
     * The K-quant block readers: a llama.cpp Q3_K_M file (Q3_K, Q4_K, Q5_K, Q6_K and F32 tensors) with its
     * structure and its block bytes corrupted. Whatever loads must decode every row of every matrix with the
     * scalar and the vector decoders without an exception (any bytes are a valid block; bad scales give NaN
     * or infinities, never an out-of-bounds read).
     */
    @Test
    void corruptedKQuantGgufGivesOnlyFormatErrorsAndDecodableBlocks() {
        Path original = Fixtures.fixture("llamacpp/kquant-tiny-s11-Q3_K_M.gguf");
        byte[] clean = CorruptFiles.read(original);
        int dataStart = (int) GgufReader.read(original, MemorySegment.ofArray(clean)).dataStart();
        SplittableRandom rnd = new SplittableRandom(4);
        for (int v = 0; v < VARIANTS; v++) {
            byte[] bad = rnd.nextInt(3) == 0 ? blockFlips(clean, dataStart, rnd) : variant(clean, dataStart, rnd);
            Path p = CorruptFiles.write(dir, "v" + v + "-q3km.gguf", bad);
            String what = "variant " + v + " of " + original.getFileName();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                try (Arena arena = Arena.ofConfined(); VectorMatMul vector = new VectorMatMul(1, false)) {
                    decodeAll(ModelLoader.load(p, null, arena).weights(), vector);
                } catch (ModelFormatException expected) {
                    // the one acceptable failure
                } catch (Throwable t) {
                    fail(what + ": " + t, t);
                }
            }, what + " hung");
        }
    }

    /** 1..64 random bytes in the tensor data (block scales, mins, quants, fp16 d). */
    private static byte[] blockFlips(byte[] clean, int dataStart, SplittableRandom rnd) {
        byte[] b = clean.clone();
        int n = 1 + rnd.nextInt(64);
        for (int i = 0; i < n; i++) b[dataStart + rnd.nextInt(b.length - dataStart)] = (byte) rnd.nextInt(256);
        return b;
    }

    private static void decodeAll(LlamaWeights w, VectorMatMul vector) {
        List<WeightMatrix> all = new ArrayList<>(List.of(w.tokenEmbedding(), w.classifier()));
        for (LayerWeights l : w.layers()) all.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3()));
        ScalarMatMul scalar = new ScalarMatMul();
        for (WeightMatrix m : all) {
            float[] a = new float[m.cols()], b = new float[m.cols()];
            for (int r = 0; r < m.rows(); r++) {
                scalar.dequantizeRow(m, r, a, 0);
                vector.dequantizeRow(m, r, b, 0);
                for (int c = 0; c < a.length; c++) {
                    if (Float.floatToIntBits(a[c]) != Float.floatToIntBits(b[c])) {
                        fail(m.name() + " row " + r + " col " + c + ": scalar " + a[c] + " vs vector " + b[c]);
                    }
                }
            }
        }
    }

    private void fuzz(Path original, Path tokenizer, int structureBytes, long seed) {
        byte[] clean = CorruptFiles.read(original);
        SplittableRandom rnd = new SplittableRandom(seed);
        String name = original.getFileName().toString();
        Tally tally = new Tally(name);
        for (int v = 0; v < VARIANTS; v++) {
            byte[] bad = variant(clean, structureBytes, rnd);
            Path p = CorruptFiles.write(dir, "v" + v + "-" + name, bad);
            tally.add(bad.length < clean.length, expectCleanLoadOrFormatError(p, tokenizer, p, "variant " + v + " of " + name));
        }
        tally.check();
    }

    private void fuzzTokenizer(byte[] clean, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Tally tally = new Tally("tok512.bin");
        for (int v = 0; v < VARIANTS; v++) {
            byte[] bad = variant(clean, clean.length, rnd);
            Path tok = CorruptFiles.write(dir, "v" + v + "-tok512.bin", bad);
            tally.add(bad.length < clean.length, expectCleanLoadOrFormatError(Fixtures.target(), tok, tok, "variant " + v + " of tok512.bin"));
        }
        tally.check();
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

    /** True when the loader rejected the file, whose name the error must then carry. */
    private static boolean expectCleanLoadOrFormatError(Path model, Path tokenizer, Path corrupted, String what) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Arena arena = Arena.ofConfined()) {
                ModelLoader.load(model, tokenizer, arena);
                return false;
            } catch (ModelFormatException expected) {
                // the one acceptable failure; it must say which file is bad
                String message = String.valueOf(expected.getMessage());
                if (!message.contains(corrupted.getFileName().toString()))
                    fail(what + ": the error does not name the file: " + message);
                return true;
            } catch (Throwable t) {
                return fail(what + ": " + t, t);
            }
        }, what + " hung");
    }

    /**
     * Counts rejections. Every truncated variant must be rejected (a shorter file cannot hold what its header
     * declares); of the byte flips in the structure, most must be (some land in harmless bytes, such as a
     * metadata string's text or a score's low mantissa bits, so not all).
     */
    private static final class Tally {
        private final String file;
        private int truncated, truncatedRejected, flipped, flippedRejected;

        Tally(String file) {
            this.file = file;
        }

        void add(boolean truncation, boolean rejected) {
            if (truncation) {
                truncated++;
                if (rejected) truncatedRejected++;
            } else {
                flipped++;
                if (rejected) flippedRejected++;
            }
        }

        void check() {
            System.out.printf("%s: rejected %d of %d truncations, %d of %d flipped variants%n",
                    file, truncatedRejected, truncated, flippedRejected, flipped);
            assertEquals(VARIANTS, truncated + flipped);
            assertTrue(truncated >= VARIANTS / 4 && flipped >= VARIANTS / 4, "the seeded mix has both kinds");
            assertEquals(truncated, truncatedRejected, file + ": every truncated variant must be rejected");
            assertTrue(flippedRejected >= MIN_FLIPS_REJECTED * flipped,
                    file + ": only " + flippedRejected + " of " + flipped + " structural byte flips were rejected");
        }
    }
}
