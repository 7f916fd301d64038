package dev.sequoia.engine.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sequoia.engine.model.LlamaConfig;
import dev.sequoia.engine.model.Model;
import dev.sequoia.engine.model.RopeLayout;
import dev.sequoia.engine.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loads the real tiny models in both formats and checks config, weights and tokenizer. */
class ModelLoaderTest {

    @Test
    void ggufConfigComesFromLlamaKeys() {
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(Fixtures.targetGguf(), null, arena);
            assertEquals("gguf", m.format());
            assertEquals(new LlamaConfig(64, 172, 5, 8, 4, 512, 2048, 1e-5f, 10000f, 8, RopeLayout.INTERLEAVED, null),
                    m.config());
        }
    }

    @Test
    void ggufVersion2ReadsLikeVersion3(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        byte[] b = CorruptFiles.read(Fixtures.targetGguf());
        CorruptFiles.putInt(b, 4, 2); // v2 and v3 share the little-endian layout
        try (Arena arena = Arena.ofConfined()) {
            Model v2 = ModelLoader.load(CorruptFiles.write(dir, "v2.gguf", b), null, arena);
            Model v3 = ModelLoader.load(Fixtures.targetGguf(), null, arena);
            assertEquals(v3.config(), v2.config());
            WeightsAssert.assertSameWeights(v3.weights(), v2.weights());
        }
    }

    @Test
    void llama2cConfigComesFromHeader() {
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(Fixtures.target(), null, arena);
            assertEquals("llama2c", m.format());
            assertEquals(new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f, 8, RopeLayout.INTERLEAVED, null),
                    m.config());
            assertNull(m.tokenizer(), "a .bin has no tokenizer of its own");
            assertSame(m.weights().tokenEmbedding(), m.weights().classifier(), "positive vocab_size: shared classifier");
        }
    }

    @Test
    void ggufAndLlama2cWeightsAreIdentical() {
        try (Arena arena = Arena.ofConfined()) {
            Model gguf = ModelLoader.load(Fixtures.targetGguf(), null, arena);
            Model bin = ModelLoader.load(Fixtures.target(), null, arena);
            WeightsAssert.assertSameWeights(gguf.weights(), bin.weights());
        }
    }

    @Test
    void weightsAreViewsOfTheMappedFile() {
        try (Arena arena = Arena.ofConfined()) {
            Model m = ModelLoader.load(Fixtures.targetGguf(), null, arena);
            assertTrue(m.weights().layers().get(0).wq().data().isReadOnly(), "read-only view");
            assertTrue(m.weights().tokenEmbedding().data().isMapped(), "a view of the mapping, not a heap copy");
        }
    }

    @Test
    void bothTokenizersEncodeTheGoldenPrompts() throws IOException {
        JsonNode golden = new ObjectMapper().readTree(Fixtures.targetGolden().toFile());
        try (Arena arena = Arena.ofConfined()) {
            Model gguf = ModelLoader.load(Fixtures.targetGguf(), null, arena);
            Model bin = ModelLoader.load(Fixtures.target(), Fixtures.tokenizer(), arena);
            for (JsonNode c : golden.get("cases")) {
                String prompt = c.get("prompt").asText();
                int[] expected = StreamSupport.stream(c.get("prompt_tokens").spliterator(), false)
                        .mapToInt(JsonNode::asInt).toArray();
                assertArrayEquals(expected, gguf.tokenizer().encode(prompt, true, false), "gguf: " + prompt);
                assertArrayEquals(expected, bin.tokenizer().encode(prompt, true, false), "tok512.bin: " + prompt);
            }
        }
    }
}
