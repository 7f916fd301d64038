package dev.sequoia.engine.format.gguf;

import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tensor.TensorLocation;
import dev.sequoia.engine.tensor.TensorType;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Split GGUF in llama.cpp's gguf-split layout: written by {@link GgufSplitWriter}, opened by the first part,
 * every tensor a view of its own part (its file and offset recorded), the same weights as the single file;
 * a missing, foreign or truncated part, or opening a later part, is a one-line error naming the part.
 */
class SplitGgufTest {
    @TempDir
    Path dir;

    private List<Path> split(Path source, String prefix, int parts) throws IOException {
        return GgufSplitWriter.split(source, dir.resolve(prefix), parts);
    }

    @Test
    void partsFollowGgufSplitsLayoutAndMetadata() throws IOException {
        List<Path> parts = split(Fixtures.targetGguf(), "stories", 3);
        assertEquals(List.of("stories-00001-of-00003.gguf", "stories-00002-of-00003.gguf", "stories-00003-of-00003.gguf"),
                parts.stream().map(p -> p.getFileName().toString()).toList());
        int tensors = 0;
        try (Arena arena = Arena.ofConfined()) {
            GgufFile single = GgufReader.read(Fixtures.targetGguf(), dev.sequoia.engine.format.MappedFiles.map(Fixtures.targetGguf(), arena));
            for (int i = 0; i < 3; i++) {
                GgufFile f = GgufReader.read(parts.get(i), dev.sequoia.engine.format.MappedFiles.map(parts.get(i), arena));
                assertEquals(i, f.metadata().intValue(GgufSplit.NO));
                assertEquals(3, f.metadata().intValue(GgufSplit.COUNT));
                assertEquals(single.tensors().size(), f.metadata().intValue(GgufSplit.TENSORS_COUNT));
                assertEquals(GgufValueType.UINT16.id(), f.metadata().encoded(GgufSplit.NO).get(
                        java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 8 + GgufSplit.NO.length()), "split.no is UINT16");
                assertEquals(i == 0, f.metadata().has("tokenizer.ggml.tokens"), "only the first part has the model's metadata");
                assertFalse(f.tensors().isEmpty());
                tensors += f.tensors().size();
            }
            assertEquals(single.tensors().size(), tensors);
        }
    }

    @Test
    void aModelInThreePartsHasTheSingleFilesWeightsEachFromItsOwnPart() throws IOException {
        List<Path> parts = split(Fixtures.targetGguf(), "stories", 3);
        try (Arena arena = Arena.ofConfined()) {
            Model single = ModelLoader.load(Fixtures.targetGguf(), null, arena);
            Model three = ModelLoader.load(parts.getFirst(), null, arena);
            assertEquals(single.config(), three.config());
            assertArrayEquals(single.tokenizer().encode("Once upon a time", true, false),
                    three.tokenizer().encode("Once upon a time", true, false));
            Set<Path> files = three.locations().values().stream().map(TensorLocation::file).collect(Collectors.toSet());
            assertEquals(Set.copyOf(parts), files);
            for (var e : three.locations().entrySet()) {
                TensorLocation at = e.getValue();
                byte[] onDisk = new byte[(int) at.length()];
                try (FileChannel ch = FileChannel.open(at.file())) {
                    ch.read(java.nio.ByteBuffer.wrap(onDisk), at.offset());
                }
                TensorLocation there = single.locations().get(e.getKey());
                byte[] original = new byte[(int) there.length()];
                try (FileChannel ch = FileChannel.open(there.file())) {
                    ch.read(java.nio.ByteBuffer.wrap(original), there.offset());
                }
                assertArrayEquals(original, onDisk, e.getKey() + " at its recorded offset in " + at.file().getFileName());
            }
            var w1 = single.weights().layers().get(4).w2().data();
            var w3 = three.weights().layers().get(4).w2().data();
            assertEquals(-1, w1.mismatch(w3));
        }
    }

    /** Parts written by llama.cpp's gguf-py (fixtures/split/README.md): same weights and logits as the single file. */
    @Test
    void partsWrittenByLlamaCppsWriterLoadAsTheSingleFile() {
        Path first = Fixtures.fixture("split/stories260K-00001-of-00003.gguf");
        Fixtures.fixture("split/stories260K-00002-of-00003.gguf"); // (extracted beside it when tests run from a jar)
        Fixtures.fixture("split/stories260K-00003-of-00003.gguf");
        try (Arena arena = Arena.ofConfined()) {
            Model single = ModelLoader.load(Fixtures.targetGguf(), null, arena);
            Model three = ModelLoader.load(first, null, arena);
            assertEquals(single.config(), three.config());
            assertEquals(3, three.locations().values().stream().map(TensorLocation::file).distinct().count());
            assertArrayEquals(single.tokenizer().encode("Once upon a time", true, false),
                    three.tokenizer().encode("Once upon a time", true, false));
            var a = new dev.sequoia.engine.model.LlamaTransformer(single, new dev.sequoia.engine.kernel.ScalarMatMul());
            var b = new dev.sequoia.engine.model.LlamaTransformer(three, new dev.sequoia.engine.kernel.ScalarMatMul());
            int[] tokens = {1, 403, 407, 261, 378}, parents = {-1, 0, 1, 2, 3};
            float[][] la = a.forward(a.newCache(8), tokens, parents), lb = b.forward(b.newCache(8), tokens, parents);
            for (int i = 0; i < la.length; i++) assertArrayEquals(la[i], lb[i], "position " + i);
        }
    }

    @Test
    void openingALaterPartNamesTheFirst() throws IOException {
        List<Path> parts = split(Fixtures.targetGguf(), "stories", 3);
        assertRefused(parts.get(1), "is part 2 of 3", "stories-00001-of-00003.gguf");
    }

    @Test
    void aMissingPartIsNamed() throws IOException {
        List<Path> parts = split(Fixtures.targetGguf(), "stories", 3);
        Files.delete(parts.get(2));
        assertRefused(parts.getFirst(), parts.get(2).toString(), "part 3 of 3 is missing");
    }

    @Test
    void aTruncatedPartIsNamed() throws IOException {
        List<Path> parts = split(Fixtures.targetGguf(), "stories", 3);
        try (FileChannel ch = FileChannel.open(parts.get(1), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100);
        }
        assertRefused(parts.getFirst(), parts.get(1).toString(), "part 2 of 3");
    }

    @Test
    void aPartOfAnotherModelIsRefused() throws IOException {
        List<Path> parts = split(Fixtures.targetGguf(), "stories", 3);
        Path other = dir.resolve("other.gguf");
        SyntheticModels.ofPreset("tiny-test", TensorType.F32, 5).writeGguf(other);
        List<Path> otherParts = split(other, "other", 3);
        Files.copy(otherParts.get(2), parts.get(2), StandardCopyOption.REPLACE_EXISTING);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> load(parts.getFirst()));
        assertTrue(e.getMessage().contains("another model"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void aSplitNameMustMatchItsCount() throws IOException {
        List<Path> parts = split(Fixtures.targetGguf(), "stories", 3);
        Path renamed = dir.resolve("renamed.gguf");
        Files.copy(parts.getFirst(), renamed);
        assertRefused(renamed, "split.count = 3", "PREFIX-00001-of-00003.gguf");
    }

    private static void load(Path file) {
        try (Arena arena = Arena.ofConfined()) {
            ModelLoader.load(file, null, arena);
        }
    }

    private static void assertRefused(Path file, String... contains) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> load(file));
        for (String c : contains) assertTrue(e.getMessage().contains(c), "'" + c + "' in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
