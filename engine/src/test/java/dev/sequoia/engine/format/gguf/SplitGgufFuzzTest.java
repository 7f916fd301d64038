package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.MappedFiles;
import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Corrupts the index of a 3-part split model (stories260K.gguf written by {@link GgufSplitWriter}): truncations
 * of any part, byte flips in any part's header, metadata (the split keys included) and tensor infos, and parts
 * swapped or duplicated. Opening the first part must either load or give a {@link ModelFormatException}
 * naming a part's file; nothing else (another exception, a hang) is acceptable.
 */
class SplitGgufFuzzTest {
    private static final int VARIANTS = 300;

    @TempDir
    Path dir;

    @Test
    void corruptedSplitIndexGivesOnlyFormatErrors() throws IOException {
        List<Path> clean = GgufSplitWriter.split(Fixtures.targetGguf(), dir.resolve("clean"), 3);
        List<byte[]> parts = new ArrayList<>();
        int[] structure = new int[3];
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < 3; i++) {
                parts.add(Files.readAllBytes(clean.get(i)));
                structure[i] = (int) GgufReader.read(clean.get(i), MappedFiles.map(clean.get(i), arena)).dataStart();
            }
        }
        SplittableRandom rnd = new SplittableRandom(12);
        int rejected = 0;
        for (int v = 0; v < VARIANTS; v++) {
            Path prefix = Files.createDirectories(dir.resolve("v" + v)).resolve("model");
            byte[][] variant = variant(parts, structure, rnd);
            for (int i = 0; i < 3; i++) Files.write(GgufSplit.partPath(prefix, i, 3), variant[i]);
            if (rejects(GgufSplit.partPath(prefix, 0, 3), "variant " + v)) rejected++;
        }
        // seeded: 293 of 300 are caught; a flip inside a tensor name, a float or padding may still load
        assertTrue(rejected >= VARIANTS * 9 / 10 && rejected < VARIANTS, rejected + " of " + VARIANTS + " rejected");
        System.out.println("split index fuzz: " + rejected + " of " + VARIANTS + " variants rejected");
    }

    /** One part damaged: truncated (a third of the time), 1..8 flipped structure bytes, or replaced by another part. */
    private static byte[][] variant(List<byte[]> parts, int[] structure, SplittableRandom rnd) {
        byte[][] out = parts.stream().map(byte[]::clone).toArray(byte[][]::new);
        int victim = rnd.nextInt(3);
        switch (rnd.nextInt(6)) {
            case 0, 1 -> out[victim] = Arrays.copyOf(out[victim], rnd.nextInt(out[victim].length));
            case 2 -> out[victim] = parts.get((victim + 1 + rnd.nextInt(2)) % 3).clone();
            default -> {
                int flips = 1 + rnd.nextInt(8);
                for (int f = 0; f < flips; f++) {
                    int at = rnd.nextInt(structure[victim]);
                    out[victim][at] = rnd.nextInt(4) == 0 ? (byte) 0xFF : (byte) (out[victim][at] ^ (1 << rnd.nextInt(8)));
                }
            }
        }
        return out;
    }

    /** True when refused with a format error; fails on any other outcome than a load. */
    private static boolean rejects(Path first, String what) {
        boolean[] refused = {false};
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (Arena arena = Arena.ofConfined()) {
                ModelLoader.load(first, null, arena);
            } catch (ModelFormatException expected) {
                refused[0] = true; // (a flipped name may carry any bytes into the message, newlines included)
            } catch (Throwable t) {
                fail(what + ": " + t, t);
            }
        }, what + " hung");
        return refused[0];
    }
}
