package dev.sequoia.engine.format;

import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The bundled stories260K pair is copied out of the class path once, whole, and loads. */
class BundledModelsTest {
    @TempDir
    Path dir;

    @Test
    void extractsTheBundledPairOnceAndItLoads() throws IOException {
        BundledModels m = BundledModels.extract(dir);
        assertArrayEquals(Files.readAllBytes(Fixtures.target()), Files.readAllBytes(m.target()));
        assertArrayEquals(Files.readAllBytes(Fixtures.draft()), Files.readAllBytes(m.draft()));
        assertArrayEquals(Files.readAllBytes(Fixtures.tokenizer()), Files.readAllBytes(m.tokenizer()));
        var written = Files.getLastModifiedTime(m.target());
        BundledModels.extract(dir);
        assertEquals(written, Files.getLastModifiedTime(m.target()), "a complete copy is kept");
        Files.write(m.draft(), new byte[10]);
        BundledModels.extract(dir);
        assertArrayEquals(Files.readAllBytes(Fixtures.draft()), Files.readAllBytes(m.draft()), "a damaged copy is replaced");
        try (Arena arena = Arena.ofConfined()) {
            assertEquals(512, ModelLoader.load(m.target(), m.tokenizer(), arena).tokenizer().vocabSize());
        }
        try (var files = Files.list(dir)) {
            assertEquals(3, files.count(), "no partial files are left");
        }
    }
}
