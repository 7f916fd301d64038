package dev.sequoia.engine.format.safetensors;

import dev.sequoia.engine.format.ModelFormatException;
import dev.sequoia.engine.format.ModelLoader;
import dev.sequoia.engine.format.WeightsAssert;
import dev.sequoia.engine.format.synthetic.SyntheticModels;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Safetensors folders: sharded index, tied lm_head, and the errors a damaged file gives. */
class SafetensorsReaderTest {
    @TempDir
    Path dir;

    private Path model() throws IOException {
        Path m = dir.resolve("m");
        SyntheticModels.ofPreset("tiny-test", TensorType.F32, 5).writeSafetensors(m);
        return m;
    }

    private static Path safetensors(Path file, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        return Files.write(file, b.array());
    }

    private void assertRejected(Path file, String... words) {
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(ModelFormatException.class,
                    () -> SafetensorsFile.read(file, dev.sequoia.engine.format.MappedFiles.map(file, arena)));
            assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
            for (String w : words) assertTrue(e.getMessage().contains(w), "mentions " + w + ": " + e.getMessage());
        }
    }

    @Test
    void unsupportedDtypeIsNamed() throws IOException {
        assertRejected(safetensors(dir.resolve("a.safetensors"),
                "{\"w\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2), "'w'", "I8");
    }

    @Test
    void offsetsThatDisagreeWithTheShape() throws IOException {
        assertRejected(safetensors(dir.resolve("b.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 24), "'w'", "24");
    }

    @Test
    void dataOutsideTheFile() throws IOException {
        assertRejected(safetensors(dir.resolve("c.safetensors"),
                "{\"w\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 4), "'w'", "outside the file");
    }

    @Test
    void absurdHeaderLengthAndBrokenJson() throws IOException {
        Path f = dir.resolve("d.safetensors");
        Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertRejected(f, "header length");
        assertRejected(safetensors(dir.resolve("e.safetensors"), "{\"w\": [", 0), "JSON");
    }

    @Test
    void shardedIndexLoadsTheSameWeights() throws IOException {
        Path single = model();
        Path sharded = dir.resolve("sharded");
        Files.createDirectories(sharded);
        for (String f : new String[]{"config.json", "tokenizer.json"}) Files.copy(single.resolve(f), sharded.resolve(f));
        Files.copy(single.resolve("model.safetensors"), sharded.resolve("model-00001-of-00001.safetensors"));
        Files.writeString(sharded.resolve("model.safetensors.index.json"), "{\"weight_map\": {"
                + "\"model.embed_tokens.weight\": \"model-00001-of-00001.safetensors\","
                + "\"lm_head.weight\": \"model-00001-of-00001.safetensors\"}}");
        try (Arena arena = Arena.ofConfined()) {
            Model a = ModelLoader.load(single, null, arena), b = ModelLoader.load(sharded, null, arena);
            WeightsAssert.assertSameWeights(a.weights(), b.weights());
        }
    }

    @Test
    void tiedEmbeddingsShareTheClassifier() throws IOException {
        Path m = model();
        String config = Files.readString(m.resolve("config.json"));
        Files.writeString(m.resolve("config.json"), config.replace("\"tie_word_embeddings\" : false",
                "\"tie_word_embeddings\" : true"));
        try (Arena arena = Arena.ofConfined()) {
            Model tied = ModelLoader.load(m, null, arena);
            assertSame(tied.weights().tokenEmbedding(), tied.weights().classifier());
        }
    }

    @Test
    void shardOutsideTheFolderIsRefused() throws IOException {
        Path m = model();
        Files.move(m.resolve("model.safetensors"), dir.resolve("elsewhere.safetensors"));
        Files.writeString(m.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"model.norm.weight\": \"../elsewhere.safetensors\"}}");
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(m, null, arena));
            assertTrue(e.getMessage().contains("outside the model folder"), e.getMessage());
        }
    }
}
